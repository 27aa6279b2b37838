#!/usr/bin/env bash
# Install the Debian packages the tests and the GUI need, only when running as root and only what is missing.
# exiftool is the standard XMP reader the tests check Veil's digital source type with.
set -euo pipefail
pkgs=(gnome-keyring dbus-x11 dbus-daemon libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1
      libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-cursor0 libxcb-shape0 libxcb-xkb1
      libdbus-1-3 libimage-exiftool-perl)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing system packages (install them with your package manager): ${missing[*]}" >&2
  exit 0
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
