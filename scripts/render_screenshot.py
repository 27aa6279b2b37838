"""Render the README screenshot: the editor on the sample photo with its face found, a painted mask over the
mouth and the face selected in the panel. Writes docs/screenshot.png (or --output).

Runs headless (QT_QPA_PLATFORM=offscreen) or on a display; settings go to a throw-away folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from editor.core.document import Document  # noqa: E402
from editor.services.documents import open_document  # noqa: E402
from editor.services.faces import find_faces  # noqa: E402
from editor.ui.app import create_app  # noqa: E402
from editor.ui.main_window import MainWindow  # noqa: E402
from editor.ui.canvas.tools import BrushSettings  # noqa: E402


def paint_mouth(doc: Document, brush: BrushSettings) -> QPoint:
    """A brush stroke across the mouth of the first face (from its mouth corners); returns its end point."""
    face = doc.faces[0]
    (x0, y0), (x1, y1) = face.landmarks5[3], face.landmarks5[4]
    pad = (x1 - x0) * 0.25
    brush.set_size(round(max(8.0, face.box[3] * 0.16)))
    diameter = brush.size
    stroke = doc.begin_stroke(diameter, brush.hardness)
    steps = 12
    for i in range(steps + 1):
        t = i / steps
        stroke.move_to(x0 - pad + (x1 - x0 + 2 * pad) * t, y0 + (y1 - y0) * t + diameter * 0.1)
    stroke.end()
    return QPoint(int(x1 + pad), int(y1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", default=str(ROOT / "resources" / "sample.jpg"))
    parser.add_argument("--output", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--size", default="1400x900", help="window size, WxH")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    app = create_app()
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(QSettings(str(Path(tmp) / "veil.ini"), QSettings.Format.IniFormat))
        window.resize(width, height)
        window.show()
        app.processEvents()

        doc = open_document(args.photo)
        window.bridge.attach(doc)
        window.recent.add(args.photo)
        found = find_faces(doc.image)
        doc.set_faces(found.faces)
        if not doc.faces:
            print("no face found in the photo; the screenshot needs one", file=sys.stderr)
            return 1
        doc.last_device = found.device
        window.status.show_device(found.device)
        end = paint_mouth(doc, window.brush_settings)
        window.face_panel.list.setCurrentRow(0)
        window.show_message(f"Found {len(doc.faces)} face{'s' if len(doc.faces) != 1 else ''}.")
        app.processEvents()

        # Hover the brush just past the stroke so the screenshot shows the brush outline.
        hover = window.canvas.view.to_widget(end.toPointF()).toPoint() + QPoint(16, 4)
        QTest.mouseMove(window.canvas, hover)
        window.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
        app.processEvents()

        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        image = window.grab().toImage()
        if not image.save(str(out)):
            print(f"could not write {out}", file=sys.stderr)
            return 1
        print(f"wrote {out} ({image.width()} x {image.height()}); faces: {len(doc.faces)}, "
              f"masked pixels: {int(np.count_nonzero(doc.mask))}")
        doc.history.mark_clean()         # nothing to save: close without the unsaved-changes prompt
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
