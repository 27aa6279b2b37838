"""The recovery vault's names that the window and the CLI use: key kinds and suites, a key's description, the
fingerprint's display form, the passphrase rule, the formats that carry a payload, the sidecar's name and the
vault's errors. Taken from here, the UI and the CLI depend on the use cases alone (the import-linter contract in
pyproject.toml), while the vault keeps the definitions.
"""

from editor.vault.embed import PAYLOAD_FORMATS, sidecar_path
from editor.vault.errors import AuditError, ConfirmationRequired, NoPayloadError, PassphraseError, VaultError
from editor.vault.keyfile import MIN_PASSPHRASE
from editor.vault.keypairs import CLASSIC, HYBRID, SUITE_TEXT, show_fingerprint
from editor.vault.keystore import PAIR, RECIPIENT, SEALER, SEALS, SIGNING, SYMMETRIC, KeyInfo

__all__ = ["AuditError", "CLASSIC", "ConfirmationRequired", "HYBRID", "KeyInfo", "MIN_PASSPHRASE", "NoPayloadError",
           "PAIR", "PAYLOAD_FORMATS", "PassphraseError", "RECIPIENT", "SEALER", "SEALS", "SIGNING", "SUITE_TEXT",
           "SYMMETRIC", "VaultError", "show_fingerprint", "sidecar_path"]
