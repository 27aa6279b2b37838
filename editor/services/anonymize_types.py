"""The anonymize engine's names that the window and the CLI use: its options and strengths, the statuses of a face's
outcome, the verification limits and the recognizers that judge. Taken from here, the UI and the CLI depend on the
use cases alone (the import-linter contract in pyproject.toml), while the engine keeps the definitions.
"""

from editor.anonymize.engine import (ANONYMIZED, FAILED, FALLBACK, STANDARD, UNCHANGED_NOTE, AnonymizeOptions,
                                    FaceOutcome)
from editor.anonymize.recognizers import default_recognizers
from editor.anonymize.verify import VerificationLimits

__all__ = ["ANONYMIZED", "FAILED", "FALLBACK", "STANDARD", "UNCHANGED_NOTE", "AnonymizeOptions", "FaceOutcome",
           "VerificationLimits", "default_recognizers"]
