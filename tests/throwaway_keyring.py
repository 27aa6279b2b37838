"""A throw-away GNOME Keyring for one test run, so plain `pytest` runs the keyring tests as scripts/run_tests.sh does.

The run gets a temporary HOME (and XDG folders) and its own D-Bus session bus, on which gnome-keyring-daemon serves
the Secret Service with a default collection unlocked by a throw-away password. Everything the tests and the
processes they start do with "the keyring" lands there; the developer's own keyring, reached through their own
session bus, is never on the bus the tests talk to. The folder is removed when the run ends.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

NEEDED = ("dbus-daemon", "gnome-keyring-daemon")
SECRET_SERVICE = "org.freedesktop.secrets"
READY_TIMEOUT_S = 10.0
# What the test run changes in its own environment (and therefore in every process it starts).
PRIVATE_VARS = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR",
                "DBUS_SESSION_BUS_ADDRESS", "GNOME_KEYRING_CONTROL", "VEIL_TEST_HOME")


def inside_run_tests() -> bool:
    """scripts/run_tests.sh already started one (it exports VEIL_TEST_HOME and makes it HOME)."""
    home = os.environ.get("VEIL_TEST_HOME")
    return bool(home) and os.path.realpath(os.path.expanduser("~")) == os.path.realpath(home)


class ThrowawayKeyring:
    """start() moves this process onto a private HOME and D-Bus session with a GNOME Keyring; stop() undoes it."""

    def __init__(self) -> None:
        self.home: Optional[Path] = None
        self.problem: Optional[str] = None         # why there is no keyring on the private bus, if there is none
        self._saved: dict[str, Optional[str]] = {}
        self._processes: list[subprocess.Popen] = []

    def start(self) -> None:
        self._saved = {name: os.environ.get(name) for name in PRIVATE_VARS}
        self.home = Path(tempfile.mkdtemp(prefix="veil-test-home-"))
        runtime = self.home / "run"
        runtime.mkdir(mode=0o700)
        os.environ.update(HOME=str(self.home), XDG_DATA_HOME=str(self.home / ".local" / "share"),
                          XDG_CONFIG_HOME=str(self.home / ".config"), XDG_CACHE_HOME=str(self.home / ".cache"),
                          XDG_RUNTIME_DIR=str(runtime), VEIL_TEST_HOME=str(self.home))
        # Whatever happens below, the developer's session bus (and the keyring on it) is out of reach.
        os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        os.environ.pop("GNOME_KEYRING_CONTROL", None)
        missing = [name for name in NEEDED if shutil.which(name) is None]
        if missing:
            self.problem = (f"{' and '.join(missing)} not found, so no throw-away keyring could be started "
                            "(install the dbus and gnome-keyring packages)")
            return
        try:
            self._start_daemons()
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            self.problem = f"the throw-away keyring did not start ({exc})"

    def _start_daemons(self) -> None:
        bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._processes.append(bus)
        address = bus.stdout.readline().strip()
        if not address:
            raise RuntimeError("dbus-daemon printed no address")
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        # A non-empty password creates and unlocks the default 'login' collection (an empty one creates none).
        daemon = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  text=True)
        self._processes.append(daemon)
        daemon.stdin.write(secrets.token_hex(16))
        daemon.stdin.close()
        self._wait_until_ready(daemon)

    @staticmethod
    def _wait_until_ready(daemon: subprocess.Popen) -> None:
        """Until our daemon owns the Secret Service's name. Asking the service itself before that would make the
        bus start another gnome-keyring-daemon (D-Bus activation), one without the password, whose collection
        stays locked."""
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        deadline = time.monotonic() + READY_TIMEOUT_S
        with open_dbus_connection(bus="SESSION") as bus:
            while not bus.send_and_get_reply(message_bus.NameHasOwner(SECRET_SERVICE)).body[0]:
                if daemon.poll() is not None:
                    raise RuntimeError(f"gnome-keyring-daemon exited with status {daemon.returncode}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gnome-keyring-daemon did not serve {SECRET_SERVICE} in "
                                       f"{READY_TIMEOUT_S:.0f} s")
                time.sleep(0.05)

    def stop(self) -> None:
        for proc in reversed(self._processes):      # the keyring before its bus
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        self._processes.clear()
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None
