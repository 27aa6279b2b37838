"""The small pieces the window is made of: image bridge, display pyramid, actions, recent files, icons."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPointF, QSettings, QSizeF
from PySide6.QtGui import QIcon, QImage, QKeySequence

from editor.core.geometry import Rect
from editor.ui.actions import ACTION_SPECS, EDITING, VIEWING, Actions, build_menus, menu_sections
from editor.ui.canvas.display_pyramid import DisplayPyramid
from editor.ui.canvas.image_bridge import qimage_to_rgb, rgb_image
from editor.ui.canvas.view_transform import ViewTransform
from editor.ui.common import icons
from editor.ui.common.dialogs import shortcut_rows
from editor.ui.document.recent_files import MAX_RECENT, RecentFiles


def test_rgb_image_wraps_the_buffer_without_copying(qapp):
    pixels = np.zeros((30, 50, 3), np.uint8)
    wrapped = rgb_image(pixels)
    pixels[7, 11] = (200, 100, 50)                          # an in-place edit of the document's array...
    assert wrapped.image.pixelColor(11, 7).getRgb()[:3] == (200, 100, 50)     # ...is what the canvas paints
    np.testing.assert_array_equal(qimage_to_rgb(wrapped.image), pixels)


def test_pyramid_levels_match_a_fresh_downscale_after_an_edit(qapp):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (1100, 1500, 3), dtype=np.uint8)
    pyramid = DisplayPyramid(pixels)
    image, level = pyramid.level_for(0.2)
    assert level == 2 and (image.width(), image.height()) == (375, 275)
    pixels[100:300, 333:777] = 255 - pixels[100:300, 333:777]
    pyramid.refresh(Rect(333, 100, 777, 300))
    half = cv2.resize(pixels[:1100, :1500], (750, 550), interpolation=cv2.INTER_AREA)
    quarter = cv2.resize(half, (375, 275), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(qimage_to_rgb(pyramid.level_for(0.2)[0]), quarter)
    assert pyramid.level_for(0.6)[1] == 0


def test_view_transform_round_trips_and_clamps():
    view = ViewTransform()
    view.fit(QSizeF(4000, 3000), QSizeF(1000, 800))
    p = QPointF(123.5, 456.25)
    back = view.to_image(view.to_widget(p))
    assert (back.x(), back.y()) == pytest.approx((p.x(), p.y()))
    for _ in range(100):
        view.zoom_about(QPointF(10, 10), 2.0)
    assert view.scale == 32.0 and not view.fitted


def test_actions_have_unique_shortcuts_and_complete_menus(qtbot):
    from PySide6.QtWidgets import QMainWindow

    win = QMainWindow()
    qtbot.addWidget(win)
    actions = Actions(win)
    keys = [QKeySequence(k).toString() for spec in ACTION_SPECS for k in spec.keys]
    assert len(keys) == len(set(keys)), "two commands share a shortcut"
    menus = build_menus(win.menuBar(), actions)
    assert [m.title() for m in win.menuBar().findChildren(type(menus["File"]))
            if m.parent() is win.menuBar()] == ["&File", "&Edit", "&Mask", "&View", "&Faces", "&Help"]
    assert menus["Open Recent"] in [a.menu() for a in menus["File"].actions() if a.menu()]
    for name in ("open", "save", "save_as", "export", "quit"):
        assert actions[name] in menus["File"].actions()
    for name in EDITING + VIEWING:
        assert actions[name].statusTip()
    assert actions.undo.shortcut() == QKeySequence("Ctrl+Z")
    assert QKeySequence("Ctrl+Shift+Z") in actions.redo.shortcuts()
    rows = dict(row for _, acts in menu_sections(actions) for row in shortcut_rows(acts))
    assert rows["Before/After"] == "hold \\"
    assert rows["Smaller Brush"] == "[" and rows["Larger Brush"] == "]"
    assert len(rows) == sum(1 for s in ACTION_SPECS if s.keys or s.hold)


def test_recent_files_keep_the_newest_ten(tmp_path, qapp):
    recent = RecentFiles(QSettings(str(tmp_path / "r.ini"), QSettings.Format.IniFormat))
    files = []
    for i in range(MAX_RECENT + 3):
        f = tmp_path / f"p{i}.jpg"
        f.write_bytes(b"x")
        files.append(f)
        recent.add(f)
    recent.add(files[5])                                        # reopening moves it to the top
    paths = recent.paths()
    assert len(paths) == MAX_RECENT and paths[0] == str(files[5].resolve())
    assert str(files[0].resolve()) not in paths
    reread = RecentFiles(QSettings(str(tmp_path / "r.ini"), QSettings.Format.IniFormat))
    assert reread.paths() == paths


def test_every_icon_renders_with_a_disabled_variant(qapp):
    for name in icons.names():
        ico = icons.icon(name)
        alphas = []
        for mode in (QIcon.Mode.Normal, QIcon.Mode.Disabled):
            img = ico.pixmap(32, 32, mode).toImage().convertToFormat(QImage.Format.Format_ARGB32)
            argb = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes())
            alphas.append(int(argb[3::4].astype(int).sum()))
        assert alphas[0] > 0, f"icon {name} is empty"
        assert alphas[1] < alphas[0], f"icon {name} has no faded disabled state"



def test_every_tool_bar_command_fits_the_default_window(qtbot, settings, dialog_log):
    """At the window's default width nothing of the tool bar hides in its overflow menu (Fill did once)."""
    from editor.ui.app import create_app
    from editor.ui.main_window import MainWindow

    create_app([])                                   # the theme's paddings and fonts, as the app runs
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    bar = win.options
    assert win.width() == 1400
    widgets = [w for w in (bar.widgetForAction(a) for a in bar.actions() if not a.isSeparator()) if w is not None]
    # The bar lays itself out in the event loop: wait for every widget to show (it never does when one overflows).
    qtbot.waitUntil(lambda: all(w.isVisible() for w in widgets), timeout=3000)
    assert bar.fill_button.isVisible() and bar.fill_button.geometry().right() <= bar.width()
    win.close()
    win.runner.shutdown()
