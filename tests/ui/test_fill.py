"""Fill (inpaint) from the window: runs in a worker, applies on the UI thread, clears the mask, undoes in one step."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from ui_helpers import TickCounter, drag, line, open_and_wait, widget_point

from editor.core.geometry import bounding_rect
from editor.inpaint.registry import get_engine


def choose_engine(win, name: str) -> None:
    combo = win.options.engine_combo
    combo.setCurrentIndex(combo.findData(name))
    assert win.options.engine == name


def test_fill_applies_clears_mask_and_one_undo_restores_both(qtbot, opened):
    win, doc = opened, opened.doc
    choose_engine(win, "telea")
    canvas = win.canvas
    drag(canvas, line(widget_point(canvas, 180, 300), widget_point(canvas, 330, 300)))
    mask_before = doc.mask.copy()
    image_before = doc.image.copy()
    painted = bounding_rect(mask_before)

    with qtbot.waitSignal(win.runner.finished, timeout=30_000) as blocker:
        QTest.keyClick(win, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args[1] == "done"
    assert not doc.mask.any()
    changed = np.any(doc.image != image_before, axis=2)
    assert changed.any()
    assert not changed[mask_before == 0].any()                 # only masked pixels may change
    assert bounding_rect(changed).x0 >= painted.x0 and bounding_rect(changed).x1 <= painted.x1
    telea = get_engine("telea")          # the engine the job ran, which says where it runs
    assert win.status.device.text() == f"Device: {telea.device}" and doc.last_device == telea.device
    assert doc.history.undo_label == "Inpaint (telea)"

    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(doc.image, image_before)
    np.testing.assert_array_equal(doc.mask, mask_before)


def test_fill_without_a_mask_explains_what_to_do(opened, dialog_log):
    opened.commands.inpaint.trigger()
    assert not opened.runner.busy
    assert "paint over the area first" in opened.statusBar().currentMessage()


def test_a_real_engine_fills_a_big_area_in_a_worker_while_the_window_keeps_running(qtbot, window, tmp_path,
                                                                                   sample_photo):
    """FSR on a 2048 x 2048 photo with a 900 x 260 px hole: seconds of OpenCV work in the worker, while the UI
    thread's timer keeps ticking; the fill is applied once, as one undo step."""
    big = tmp_path / "big.png"
    Image.open(sample_photo).resize((2048, 2048)).save(big)
    open_and_wait(qtbot, window, big)
    doc = window.doc
    doc.add_to_mask(doc.bounds, _band(doc.mask.shape, 1100, 1360, 560, 1460), "band")
    hole = doc.mask > 0
    image_before = doc.image.copy()
    depth = doc.history.depth
    choose_engine(window, "fsr-fast")
    with TickCounter(lambda: window.runner.busy) as ticks:
        with qtbot.waitSignal(window.runner.finished, timeout=120_000) as blocker:
            window.commands.inpaint.trigger()
    assert blocker.args[1] == "done" and not doc.mask.any()
    assert ticks.seen.count(True) > 20, f"the UI thread ticked {ticks.seen.count(True)} times during the fill"
    changed = np.any(doc.image != image_before, axis=2)
    assert changed[hole].mean() > 0.5 and not changed[~hole].any()        # the hole filled, nothing else touched
    assert doc.history.depth == depth + 1 and doc.history.undo_label == "Inpaint (fsr-fast)"


def _band(shape, y0, y1, x0, x1) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask
