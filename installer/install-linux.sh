#!/usr/bin/env bash
# Install the one-folder bundle for the current user: the app in ~/.local/opt/veil, `veil` on the PATH
# (~/.local/bin), the menu entry and the icons. Usage: installer/install-linux.sh [dist/veil] [prefix]
# Uninstall: rm -rf ~/.local/opt/veil ~/.local/bin/veil ~/.local/share/applications/veil.desktop \
#            ~/.local/share/icons/hicolor/*/apps/veil.png
set -euo pipefail
bundle="$(cd "${1:-dist/veil}" && pwd)"
prefix="${2:-$HOME/.local}"
[ -x "$bundle/veil" ] || { echo "no bundle at $bundle; run 'make dist' first" >&2; exit 1; }
mkdir -p "$prefix/opt" "$prefix/bin" "$prefix/share/applications"
rm -rf "$prefix/opt/veil.new"
cp -a "$bundle" "$prefix/opt/veil.new"
rm -rf "$prefix/opt/veil"
mv "$prefix/opt/veil.new" "$prefix/opt/veil"       # an interrupted copy never replaces a working install
ln -sfn "$prefix/opt/veil/veil" "$prefix/bin/veil"
resources="$prefix/opt/veil/_internal/resources"
sed "s|^Exec=veil |Exec=$prefix/bin/veil |" "$resources/veil.desktop" > "$prefix/share/applications/veil.desktop"
for png in "$resources"/icons/veil-*.png; do
    size="$(basename "$png" .png)"; size="${size#veil-}"
    mkdir -p "$prefix/share/icons/hicolor/${size}x${size}/apps"
    cp "$png" "$prefix/share/icons/hicolor/${size}x${size}/apps/veil.png"
done
command -v update-desktop-database > /dev/null && update-desktop-database "$prefix/share/applications" || true
command -v gtk-update-icon-cache > /dev/null && gtk-update-icon-cache -q "$prefix/share/icons/hicolor" 2> /dev/null || true
echo "Installed Veil in $prefix/opt/veil; run 'veil' or find it in the applications menu."
