"""Faces are found in a worker, listed and drawn; only included faces go into the mask."""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from ui_helpers import open_and_wait

from editor.core.geometry import bounding_rect
from editor.ui.canvas.face_painter import EXCLUDED, INCLUDED
from editor.ui.canvas.image_bridge import qimage_to_rgb


def detect(qtbot, win) -> None:
    with qtbot.waitSignal(win.runner.finished, timeout=60_000) as blocker:
        QTest.keyClick(win, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        assert win.runner.busy                          # the key returned before detection finished
    assert blocker.args[1] == "done"


def test_detection_runs_in_a_worker_and_lists_the_face(qtbot, opened, monkeypatch):
    from editor.ui.faces import controller as face_controller

    threads, results = [], []
    real = face_controller.find_faces

    def spy(image, ctx=None):
        threads.append(threading.current_thread())
        results.append(real(image, ctx))
        return results[-1]

    monkeypatch.setattr(face_controller, "find_faces", spy)
    win = opened
    detect(qtbot, win)
    assert threads and threads[0] is not threading.main_thread()
    assert len(win.doc.faces) == 1
    panel = win.face_panel
    assert panel.list.count() == 1 and panel.stack.currentWidget() is panel.list
    item = panel.list.item(0)
    assert item.checkState() == Qt.CheckState.Checked and item.text().startswith("Face 1\nscore 0.")
    assert not item.icon().isNull()
    assert panel.summary.text() == "1 face · 1 included"
    # The status bar names the device the detection job reported, and the document remembers it.
    assert win.status.device.text() == f"Device: {results[0].device}" and win.doc.last_device == results[0].device

    # The box is drawn in green on the canvas along its top edge.
    x, y, w, h = win.doc.faces[0].box
    top = win.canvas.view.to_widget(QPointF(x + w / 2, y))
    pixels = qimage_to_rgb(win.canvas.grab().toImage())
    around = pixels[int(top.y()) - 1: int(top.y()) + 2, int(top.x())]
    green = np.array([INCLUDED.red(), INCLUDED.green(), INCLUDED.blue()])
    assert (np.abs(around.astype(int) - green).max(axis=1) < 40).any()


def test_unchecking_excludes_and_masking_uses_only_included_faces(qtbot, window, tmp_path, sample_photo):
    pair = tmp_path / "pair.png"
    photo = np.asarray(Image.open(sample_photo).convert("RGB"))
    Image.fromarray(np.hstack([photo, photo[:, ::-1]])).save(pair)
    open_and_wait(qtbot, window, pair)
    detect(qtbot, window)
    doc, panel = window.doc, window.face_panel
    assert len(doc.faces) == 2
    left, right = sorted(range(2), key=lambda i: doc.faces[i].box[0])

    panel.list.item(right).setCheckState(Qt.CheckState.Unchecked)
    assert not doc.faces[right].included and doc.faces[left].included
    assert panel.summary.text() == "2 faces · 1 included"
    assert "(excluded)" in panel.list.item(right).text()

    panel.list.setCurrentRow(right)
    assert window.canvas.highlighted_face == right
    x, y, w, h = doc.faces[right].box
    edge = window.canvas.view.to_widget(QPointF(x, y + h / 2))
    pixels = qimage_to_rgb(window.canvas.grab().toImage()).astype(int)
    grey = np.array([EXCLUDED.red(), EXCLUDED.green(), EXCLUDED.blue()])
    strip = pixels[int(edge.y()) - 12: int(edge.y()) + 12, int(edge.x()) - 1: int(edge.x()) + 2].reshape(-1, 3)
    assert (np.abs(strip - grey).max(axis=1) < 30).any()        # dashed grey box for the excluded face

    window.commands.mask_faces.trigger()
    masked = bounding_rect(doc.mask)
    assert masked is not None
    lx, ly, lw, lh = doc.faces[left].box
    assert masked.x1 <= 512                                     # nothing on the excluded (right) half
    assert masked.x0 <= lx + lw / 2 <= masked.x1 and masked.y0 <= ly + lh / 2 <= masked.y1
    assert doc.mask[int(ly + lh / 2), int(lx + lw / 2)] == 255
    assert doc.history.undo_label == "Mask selected faces"

    panel.list.item(left).setCheckState(Qt.CheckState.Unchecked)
    assert not window.commands.mask_faces.isEnabled()


def test_a_photo_without_faces_says_so(qtbot, window, tmp_path):
    blank = tmp_path / "wall.png"
    Image.fromarray(np.full((200, 300, 3), 128, np.uint8)).save(blank)
    open_and_wait(qtbot, window, blank)
    detect(qtbot, window)
    assert window.doc.faces == [] and window.face_panel.stack.currentWidget() is window.face_panel.empty
    assert "No face found" in window.statusBar().currentMessage()
