"""Where Veil's shipped files are: beside the `editor` package in a checkout, inside the bundle when frozen.

PyInstaller unpacks a one-folder app into `sys._MEIPASS` (the `_internal` folder next to the `veil` binary) and
sets `sys.frozen`; the spec in installer/ copies `models/` and `resources/` there, so the same relative paths work.
"""

from __future__ import annotations

import sys
from pathlib import Path

import editor


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def bundle_root() -> Path:
    """The folder holding `models/` and `resources/`: the bundle's data folder, or the repository root."""
    if is_frozen():
        return Path(sys._MEIPASS)
    return Path(editor.__file__).resolve().parent.parent


def resource_path(name: str) -> Path:
    """A file shipped in `resources/` (it may be absent in a plain `pip install`: check `.is_file()`)."""
    return bundle_root() / "resources" / name
