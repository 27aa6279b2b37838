"""What the installation holds and where it runs, for the window's settings, About box and start-up checks: the
model manifest and model files, dlib's model files, bundled resources, and the device preference (auto, CPU, GPU)
with the device a job would use now. Taken from here, the UI depends on the use cases alone (the import-linter
contract in pyproject.toml), while the runtime keeps the definitions.
"""

from editor.anonymize.identity import recognizer_path
from editor.runtime.bundle import resource_path
from editor.runtime.device import PREFERENCES, device_in_use, preference_problem, set_preference
from editor.runtime.models import load_manifest, model_path
from editor.vision.landmarks import predictor_path

__all__ = ["PREFERENCES", "device_in_use", "load_manifest", "model_path", "predictor_path", "preference_problem",
           "recognizer_path", "resource_path", "set_preference"]
