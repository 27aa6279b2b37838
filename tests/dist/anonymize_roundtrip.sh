#!/usr/bin/env bash
# Part of `make dist-test`, run by smoke_test.sh inside dbus-run-session: the bundle creates a key in a real keyring
# (GNOME Keyring with a throw-away HOME, so no one's own keyring is touched), anonymizes the sample photo with it
# and recovers the originals. The sample also goes through as a PNG (tests/fixtures/astronaut.png, the same
# portrait), so the restore can be checked pixel for pixel without a JPEG decoder in the harness.
# Usage: anonymize_roundtrip.sh path/to/dist/veil/veil WORK_DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$1"
work="$2"
py="$(command -v python3)"
fail() { echo "dist-test: FAILED: $*" >&2; exit 1; }

export HOME="$work/home" XDG_DATA_HOME="$work/home/.local/share" XDG_CONFIG_HOME="$work/home/.config"
export XDG_RUNTIME_DIR="$work/home/run"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# A password creates and unlocks the default 'login' collection (an empty one creates none).
eval "$(printf 'veil-dist-test' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL

"$bin" keys create "dist test" || fail "veil keys create exited $?"

jpeg="$root/resources/sample.jpg"
png="$root/tests/fixtures/astronaut.png"
start=$(date +%s%N)
"$bin" anonymize "$jpeg" "$png" -o "$work/out" --key "dist test" || fail "veil anonymize exited $? (0: all verified)"
echo "anonymized 2 photos in $(( ($(date +%s%N) - start) / 1000000 )) ms (process start included)"
for name in sample.jpg astronaut.png; do
  [ -s "$work/out/$name" ] || fail "no $name written"
  "$bin" recover "$work/out/$name" -o "$work/$name.recovered.png" || fail "veil recover $name exited $?"
  [ -s "$work/$name.recovered.png" ] || fail "veil recover wrote nothing for $name"
done
cmp -s "$jpeg" "$work/out/sample.jpg" && fail "the anonymized sample.jpg equals the input"
"$py" "$root/tests/dist/check_recovery.py" "$png" "$work/out/astronaut.png" "$work/astronaut.png.recovered.png" \
  || fail "the anonymize/recover round trip on astronaut.png"
