"""A brush stroke made of real mouse events paints the mask; Ctrl+Z / Ctrl+Shift+Z undo and redo it."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from ui_helpers import drag, line, widget_point

Y = 300                       # the stroke runs along image row 300 (the chest), from x=150 to x=350


def stroke(win, x0=150, x1=350, y=Y):
    canvas = win.canvas
    drag(canvas, line(widget_point(canvas, x0, y), widget_point(canvas, x1, y)))


def test_mouse_stroke_paints_mask_and_keys_undo_redo(opened):
    win = opened
    doc = win.doc
    assert not doc.mask.any()
    size = win.brush_settings.size
    stroke(win)

    painted = doc.mask.copy()
    # Under the stroke, in image coordinates, the mask is fully selected; the brush's hard core covers it.
    for x in (160, 200, 250, 300, 340):
        assert painted[Y, x] == 255, x
        assert painted[Y - int(size * 0.3), x] > 0
    # Nothing far above or below the stroke, nor beyond its ends.
    assert not painted[: Y - int(size), :].any()
    assert not painted[Y + int(size):, :].any()
    assert not painted[:, : 150 - int(size)].any() and not painted[:, 350 + int(size):].any()
    assert doc.dirty and win.windowTitle().startswith("sample.jpg*")
    assert win.commands.undo.isEnabled()

    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not doc.mask.any()
    assert not doc.dirty and win.windowTitle().startswith("sample.jpg —")

    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    np.testing.assert_array_equal(doc.mask, painted)


def test_one_drag_is_one_undo_step(opened):
    win = opened
    stroke(win)
    stroke(win, y=Y + 80)
    assert win.doc.history.depth == 2
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.mask[Y, 250] == 255 and win.doc.mask[Y + 80, 250] == 0


def test_eraser_removes_what_the_brush_painted(opened):
    win = opened
    stroke(win)
    QTest.keyClick(win, Qt.Key.Key_E)
    assert win.canvas.tool is win.tools["eraser"] and win.commands.eraser.isChecked()
    stroke(win, 200, 300)
    mask = win.doc.mask
    assert mask[Y, 250] == 0 and mask[Y, 210] == 0
    assert mask[Y, 160] == 255 and mask[Y, 340] == 255     # the ends the eraser did not reach stay
    QTest.keyClick(win, Qt.Key.Key_B)
    assert win.canvas.tool is win.tools["brush"]


def test_bracket_keys_change_brush_size_and_the_painted_width(opened):
    win = opened
    settings = win.brush_settings
    start = settings.size
    QTest.keyClick(win, Qt.Key.Key_BracketRight)
    assert settings.size == round(start * 1.25)
    assert win.options.size_spin.value() == int(settings.size)
    QTest.keyClick(win, Qt.Key.Key_BracketLeft)
    QTest.keyClick(win, Qt.Key.Key_BracketLeft)
    assert settings.size < start

    settings.set_size(20)
    settings.set_hardness(1.0)
    stroke(win)
    thin = int((win.doc.mask[:, 250] > 0).sum())
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    for _ in range(3):
        QTest.keyClick(win, Qt.Key.Key_BracketRight)
    stroke(win)
    thick = int((win.doc.mask[:, 250] > 0).sum())
    assert abs(thin - 20) <= 3
    assert abs(thick - settings.size) <= 3 and thick > thin


def test_hardness_slider_sets_a_soft_edge(opened):
    win = opened
    # Shift+[ types "{" (the offscreen key mapper does not strip Shift the way xkb or Windows do).
    QTest.keyClick(win, Qt.Key.Key_BraceLeft)
    assert win.brush_settings.hardness == pytest.approx(0.6) and win.options.hardness_value.text() == "60%"
    win.options.hardness_slider.setValue(0)
    assert win.brush_settings.hardness == 0.0
    stroke(win)
    column = win.doc.mask[:, 250]
    values = set(np.unique(column[column > 0]).tolist())
    assert len(values) > 5          # a ramp, not a hard 0/255 edge


def test_canvas_is_read_only_while_a_job_runs(qtbot, opened):
    win = opened
    job = win.runner.submit("Hold", _until_cancelled, lambda r: None)
    assert win.canvas.read_only and not win.commands.undo.isEnabled() and not win.commands.inpaint.isEnabled()
    stroke(win)
    assert not win.doc.mask.any()
    with qtbot.waitSignal(win.runner.finished, timeout=10_000):
        job.cancel()
    assert not win.canvas.read_only and win.commands.undo.isEnabled() is False   # nothing to undo yet
    stroke(win)
    assert win.doc.mask.any()


def _until_cancelled(ctx) -> None:
    while True:
        ctx.progress(0.5, "holding")        # raises Cancelled once the test cancels
        time.sleep(0.002)
