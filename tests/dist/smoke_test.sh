#!/usr/bin/env bash
# `make dist-test`: the built bundle, headless, on the sample photo. Runs its CLI (detect, inpaint; anonymize and
# recover with a key in a real keyring) and its GUI (VEIL_SMOKE_TEST=1: opens the photo, detects faces, checks every
# model is present, exits by itself) and prints the bundle size.
# Usage: tests/dist/smoke_test.sh [path/to/dist/veil/veil]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-$root/dist/veil/veil}"
[ -x "$bin" ] || { echo "dist-test: no bundle at $bin; run 'make dist' first." >&2; exit 1; }
py="$(command -v python3)"
sample="$root/resources/sample.jpg"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export QT_QPA_PLATFORM=offscreen VEIL_DATA_DIR="$work/data"
unset VEIL_MODELS_DIR PYTHONPATH PYTHONHOME

step() { printf '\n== %s\n' "$*"; }
fail() { echo "dist-test: FAILED: $*" >&2; exit 1; }

step "version"
"$bin" --version

step "detect"
start=$(date +%s%N)
"$bin" detect "$sample" --json > "$work/faces.json" || fail "veil detect exited $?"
faces="$("$py" "$root/tests/dist/make_mask.py" "$work/faces.json" "$work/mask.png")" || fail "no face in the sample"
[ "$faces" = 1 ] || fail "expected 1 face in the sample, got $faces"
echo "found $faces face in $(( ($(date +%s%N) - start) / 1000000 )) ms (process start included)"

step "inpaint"
"$bin" inpaint "$sample" --mask "$work/mask.png" -o "$work/filled.png" --engine telea || fail "veil inpaint exited $?"
[ "$(head -c 8 "$work/filled.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "no PNG written"
cmp -s "$sample" "$work/filled.png" && fail "the output equals the input"
echo "wrote $(stat -c %s "$work/filled.png") bytes"

step "bad input says one sentence and exits non-zero"
: > "$work/empty.jpg"
if "$bin" detect "$work/empty.jpg" 2> "$work/err.txt"; then fail "an empty file was accepted"; fi
cat "$work/err.txt"

step "GUI (offscreen, exits by itself)"
VEIL_SMOKE_TEST=1 "$bin" "$sample" 2>&1 | tee "$work/gui.txt" || fail "the GUI smoke test exited non-zero"
grep -q "smoke test: .* OK$" "$work/gui.txt" || fail "the GUI smoke test did not report OK"
# The start-up check must have found every model the manifest lists (an old or partial manifest in the bundle
# would check fewer), not just reported no problem.
present="$(sed -n 's/^smoke test: models present: //p' "$work/gui.txt")"
manifest_names='import json, sys; print(*json.load(open(sys.argv[1]))["models"])'
for name in $("$py" -c "$manifest_names" "$root/models/manifest.json"); do
  case ", $present," in *", $name,"*) ;; *) fail "the start-up check did not find the model '$name'";; esac
done

step "anonymize and recover (a key in GNOME Keyring on a private D-Bus session)"
if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  dbus-run-session -- bash "$root/tests/dist/anonymize_roundtrip.sh" "$bin" "$work/keyring" \
    || fail "the anonymize/recover round trip"
elif [ -n "${CI:-}" ]; then
  fail "dbus-run-session or gnome-keyring-daemon is missing (bash scripts/system_deps.sh installs them)"
else
  echo "SKIPPED: dbus-run-session or gnome-keyring-daemon is missing, so the bundle's anonymize was NOT checked"
fi

step "bundle size"
du -sh "$(dirname "$bin")"
echo "dist-test: OK"
