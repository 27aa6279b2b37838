"""Where the shipped models live, what the manifest says about them, and checksum-verified paths to them.

Nothing is downloaded: every model is a file in `models/` (or VEIL_MODELS_DIR) with a row in manifest.json.
A file is hashed once per process (re-hashed only if its size or mtime changes), so asking for a path is cheap.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from editor.core.errors import ModelError
from editor.core.files import file_sha256 as _sha256   # looked up per call: the hash-once test counts calls

from .bundle import bundle_root

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
ENV_MODELS_DIR = "VEIL_MODELS_DIR"

_verified: dict[tuple[str, int, int], str] = {}   # (path, size, mtime_ns) -> sha256 that matched
_lock = threading.Lock()


def _default_models_dir() -> Path:
    return bundle_root() / "models"          # the repository's models/, or the frozen bundle's copy


def models_dir() -> Path:
    """The folder holding the model files and manifest.json (VEIL_MODELS_DIR overrides the shipped one)."""
    override = os.environ.get(ENV_MODELS_DIR)
    return Path(override).expanduser().resolve() if override else _default_models_dir()


def _shown(path: Path) -> str:
    """How a model path is named in messages: short for the shipped folder, full for a custom one."""
    try:
        return f"models/{path.relative_to(_default_models_dir()).as_posix()}"   # subfolders too (identities/)
    except ValueError:
        return str(path)


def load_manifest() -> dict:
    """The parsed manifest ({"version": 1, "models": {name: row}}); a missing or broken one is a ModelError."""
    path = models_dir() / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"The model manifest ({_shown(path)}) is missing; reinstall Veil.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise ModelError(f"The model manifest ({_shown(path)}) is unreadable; reinstall Veil.") from None
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION or not isinstance(data.get("models"), dict):
        raise ModelError(f"The model manifest ({_shown(path)}) has an unknown format; reinstall Veil.")
    return data


def model_info(name: str) -> dict:
    """The manifest row of one model."""
    models = load_manifest()["models"]
    if name not in models:
        raise ModelError(f"The model '{name}' is not listed in the model manifest; reinstall Veil.")
    return models[name]


def model_path(name: str) -> Path:
    """Path to a model file after checking it exists and matches the manifest's size and sha256."""
    info = model_info(name)
    path = models_dir() / info["file"]
    what = f"The {info.get('label', name + ' model')} model ({_shown(path)})"
    try:
        stat = path.stat()
    except OSError:
        raise ModelError(f"{what} is missing; reinstall Veil.") from None
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _lock:
        if _verified.get(key) == info["sha256"]:
            return path
    corrupt = ModelError(f"{what} is corrupt (checksum mismatch); reinstall Veil.")
    if "bytes" in info and stat.st_size != info["bytes"]:
        raise corrupt
    try:
        digest = _sha256(path)
    except OSError:
        raise ModelError(f"{what} cannot be read; check its permissions or reinstall Veil.") from None
    if digest != info["sha256"]:
        raise corrupt
    with _lock:
        _verified[key] = digest
    return path
