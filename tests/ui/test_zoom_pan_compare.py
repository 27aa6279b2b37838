"""Zoom about the cursor, fit, 100%, keyboard zoom, space-drag and middle-button pan, hold-\\ before/after."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from ui_helpers import drag, line, wheel, widget_point

from editor.ui.canvas.image_bridge import qimage_to_rgb
from editor.ui.canvas.view_transform import FIT_MARGIN, ZOOM_STEP


def test_wheel_zooms_about_the_cursor(opened):
    canvas = opened.canvas
    anchor = widget_point(canvas, 120, 400)
    before_scale = canvas.scale
    under = canvas.view.to_image(QPointF(anchor))
    wheel(canvas, anchor, 2)
    assert canvas.scale == pytest.approx(before_scale * ZOOM_STEP ** 2)
    after = canvas.view.to_image(QPointF(anchor))
    assert (after.x(), after.y()) == pytest.approx((under.x(), under.y()), abs=1e-6)
    assert opened.status.zoom.text() == f"{canvas.scale * 100:.0f}%"
    wheel(canvas, anchor, -2)
    assert canvas.scale == pytest.approx(before_scale)


def test_fit_and_actual_pixels_by_keyboard(opened):
    win, canvas = opened, opened.canvas
    QTest.keyClick(win, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert canvas.scale == 1.0
    center = canvas.view.to_image(QPointF(canvas.width() / 2, canvas.height() / 2))
    QTest.keyClick(win, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert canvas.scale == pytest.approx(ZOOM_STEP)
    moved = canvas.view.to_image(QPointF(canvas.width() / 2, canvas.height() / 2))
    assert (moved.x(), moved.y()) == pytest.approx((center.x(), center.y()), abs=1e-6)    # about the centre
    QTest.keyClick(win, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert canvas.scale == pytest.approx(1.0)

    QTest.keyClick(win, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    top_left = canvas.view.to_widget(QPointF(0, 0))
    bottom_right = canvas.view.to_widget(QPointF(512, 512))
    assert top_left.x() >= FIT_MARGIN - 0.5 and top_left.y() >= FIT_MARGIN - 0.5
    assert bottom_right.x() <= canvas.width() - FIT_MARGIN + 0.5
    assert bottom_right.y() <= canvas.height() - FIT_MARGIN + 0.5
    # Fitted means one side touches the margin and the photo is centred.
    assert min(top_left.x(), top_left.y()) == pytest.approx(FIT_MARGIN, abs=0.5)
    assert top_left.x() + bottom_right.x() == pytest.approx(canvas.width(), abs=1)
    assert top_left.y() + bottom_right.y() == pytest.approx(canvas.height(), abs=1)


def test_fit_follows_window_resizes_until_the_user_zooms(qtbot, opened):
    canvas = opened.canvas
    scale = canvas.scale
    opened.resize(opened.width() + 200, opened.height() + 200)
    qtbot.waitUntil(lambda: canvas.scale > scale)
    wheel(canvas, QPoint(100, 100), 1)
    zoomed, height = canvas.scale, canvas.height()
    opened.resize(opened.width() - 150, opened.height() - 150)
    qtbot.waitUntil(lambda: canvas.height() < height)
    assert canvas.scale == zoomed


def test_space_drag_pans_without_painting(opened):
    canvas = opened.canvas
    offset = QPointF(canvas.view.offset)
    QTest.keyPress(canvas, Qt.Key.Key_Space)
    assert canvas.cursor().shape() == Qt.CursorShape.OpenHandCursor
    start, end = QPoint(300, 300), QPoint(360, 250)
    drag(canvas, line(start, end, 6))
    QTest.keyRelease(canvas, Qt.Key.Key_Space)
    assert canvas.view.offset.x() - offset.x() == pytest.approx(60)
    assert canvas.view.offset.y() - offset.y() == pytest.approx(-50)
    assert not opened.doc.mask.any()


def test_middle_button_drag_pans(opened):
    canvas = opened.canvas
    offset = QPointF(canvas.view.offset)
    drag(canvas, line(QPoint(400, 300), QPoint(330, 340), 5), Qt.MouseButton.MiddleButton)
    assert canvas.view.offset.x() - offset.x() == pytest.approx(-70)
    assert canvas.view.offset.y() - offset.y() == pytest.approx(40)
    assert not opened.doc.mask.any()


def test_holding_backslash_shows_the_original(opened):
    win, canvas, doc = opened, opened.canvas, opened.doc
    y0, y1, x0, x1 = 380, 460, 60, 160
    with doc.edit("paint") as rec:          # an edited image region and a mask over it
        rec.touch("image", doc.bounds)
        doc.image[y0:y1, x0:x1] = (0, 0, 255)
    doc.add_to_mask(doc.bounds, np.full(doc.mask.shape, 255, np.uint8), "select all")
    probe = widget_point(canvas, (x0 + x1) / 2, (y0 + y1) / 2)

    def shown():
        return qimage_to_rgb(canvas.grab().toImage())[probe.y(), probe.x()].astype(int)

    edited = shown()
    QTest.keyPress(canvas, Qt.Key.Key_Backslash)
    assert canvas.show_original
    original = shown()
    QTest.keyRelease(canvas, Qt.Key.Key_Backslash)
    assert not canvas.show_original
    assert np.abs(original - doc.original[(y0 + y1) // 2, (x0 + x1) // 2]).max() <= 8
    assert edited[2] > 100 and edited[0] > 100 and edited[1] < 80   # blue under a red tint: edit and mask show
    assert np.abs(shown() - edited).max() <= 1

    win.commands.compare.trigger()                       # the menu toggle stays on until toggled again
    assert canvas.show_original
    win.commands.compare.trigger()
    assert not canvas.show_original
