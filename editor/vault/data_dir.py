"""Where Veil keeps its non-secret vault files (key index, audit log): the user's data folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def veil_data_dir() -> Path:
    """VEIL_DATA_DIR if set (tests, portable installs), else the platform's per-user data folder + /veil."""
    override = os.environ.get("VEIL_DATA_DIR")
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
        return base / "Veil"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "Veil"
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "veil"

