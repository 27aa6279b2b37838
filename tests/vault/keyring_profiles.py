"""Separate users for the separation tests: each profile is its own HOME with its own GNOME Keyring (a real one,
started by gnome-keyring-daemon on a private D-Bus session for every command) and its own Veil data folder, and
runs `python -m editor` as a user would. Nothing one profile stores can be read by another."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_START = ('eval "$(printf veil-test | gnome-keyring-daemon --unlock --components=secrets)"; '
          'export GNOME_KEYRING_CONTROL; exec "$@"')


def require_keyring_tools() -> None:
    missing = [t for t in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(t) is None]
    if missing:
        message = f"separate keyrings need {', '.join(missing)} (scripts/system_deps.sh installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def one_sentence(self) -> bool:
        """stderr is `veil CMD: <one sentence>`: no traceback, one line, ends with a full stop."""
        lines = [line for line in self.err.splitlines() if "fd limit" not in line]   # dbus-daemon's own notice
        return len(lines) == 1 and lines[0].endswith(".") and "Traceback" not in self.err


class Profile:
    def __init__(self, home: Path) -> None:
        self.home = home
        (home / "run").mkdir(parents=True, exist_ok=True)
        (home / "run").chmod(0o700)

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "GNOME_KEYRING", "XDG_"))}
        env.update(HOME=str(self.home), XDG_DATA_HOME=str(self.home / ".local/share"),
                   XDG_CONFIG_HOME=str(self.home / ".config"), XDG_RUNTIME_DIR=str(self.home / "run"),
                   VEIL_DATA_DIR=str(self.home / "veil-data"), QT_QPA_PLATFORM="offscreen")
        return env

    def veil(self, *args, timeout: int = 600) -> Result:
        cmd = ["dbus-run-session", "--", "bash", "-c", _START, "_", sys.executable, "-m", "editor",
               *(str(a) for a in args)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=self.env(), timeout=timeout,
                              stdin=subprocess.DEVNULL)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args) -> str:
        result = self.veil(*args)
        assert result.code == 0, f"veil {' '.join(map(str, args))}: {result.err}"
        return result.out
