#!/usr/bin/env bash
# Run the suite the way CI does: offscreen Qt, and a real GNOME Keyring (Secret Service) on a private
# D-Bus session with a throw-away HOME, so tests never touch the user's own keyring.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
py="${PYTHON:-$here/.venv/bin/python}"
export QT_QPA_PLATFORM=offscreen
export PYTHONUNBUFFERED=1
tmp_home="$(mktemp -d)"
trap 'rm -rf "$tmp_home"' EXIT
export VEIL_TEST_HOME="$tmp_home"

inner() {
  export HOME="$VEIL_TEST_HOME" XDG_DATA_HOME="$VEIL_TEST_HOME/.local/share" XDG_CONFIG_HOME="$VEIL_TEST_HOME/.config"
  export XDG_RUNTIME_DIR="$VEIL_TEST_HOME/run"; mkdir -p "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
  if command -v gnome-keyring-daemon >/dev/null; then
    # A password creates and unlocks the default 'login' collection (an empty one creates none).
    eval "$(printf 'veil-test' | gnome-keyring-daemon --unlock --components=secrets)"
    export GNOME_KEYRING_CONTROL
  fi
  cd "$here"
  "$py" -m pytest "$@"
}
export -f inner
export here py
# No exec: the shell must outlive the run so the EXIT trap removes the throw-away HOME.
if command -v dbus-run-session >/dev/null; then
  dbus-run-session -- bash -c 'inner "$@"' _ "$@"
else
  echo "dbus-run-session not found: keyring tests will be skipped" >&2
  bash -c 'inner "$@"' _ "$@"
fi
