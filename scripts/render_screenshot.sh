#!/usr/bin/env bash
# Render docs/screenshot.png (the README screenshot). Headless by default; set QT_QPA_PLATFORM=xcb with a
# DISPLAY to render through a real window system instead. Extra arguments go to render_screenshot.py.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
exec "${PYTHON:-$here/.venv/bin/python}" "$here/scripts/render_screenshot.py" "$@"
