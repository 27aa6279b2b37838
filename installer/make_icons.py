"""Render resources/icons/veil.svg to the PNG sizes Linux desktops use, a Windows .ico and a macOS .icns.

Run after editing the SVG: `.venv/bin/python installer/make_icons.py` (headless; Qt renders the SVG, Pillow
writes the multi-size ICO and ICNS). The outputs are small and committed, so a build needs no extra tools.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QBuffer, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - Qt needs it to paint
    renderer = QSvgRenderer(str(ICONS / "veil.svg"))
    if not renderer.isValid():
        print("resources/icons/veil.svg is not a valid SVG", file=sys.stderr)
        return 1
    images = {size: render(renderer, size) for size in PNG_SIZES}
    for size, image in images.items():
        image.save(ICONS / f"veil-{size}.png", optimize=True)
    images[256].save(ICONS / "veil.ico", sizes=[(s, s) for s in ICO_SIZES])
    images[512].save(ICONS / "veil.icns")
    print(f"wrote {len(PNG_SIZES)} PNGs, veil.ico and veil.icns to {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
