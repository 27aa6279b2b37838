"""Open (path, drop, recent), bad files, Save / Save As / Export and the unsaved-changes prompt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from ui_helpers import file_drop, open_and_wait, wait_idle

from editor.core.geometry import Rect


def paint_something(doc) -> None:
    doc.add_to_mask(Rect(100, 100, 140, 140), np.full((40, 40), 255, np.uint8), "test mask")
    with doc.edit("test pixels") as rec:
        rec.touch("image", Rect(10, 10, 30, 30))
        doc.image[10:30, 10:30] = 0


def test_open_by_path_shows_title_size_and_recent(opened, sample_photo):
    win = opened
    assert win.doc.path == sample_photo
    assert win.windowTitle() == "sample.jpg — Veil"
    assert win.status.size.text() == "512 × 512 px · 0.3 MP"
    assert win.status.zoom.text().endswith("%")
    assert win.recent.paths() == [str(sample_photo.resolve())]
    assert win.commands.save.isEnabled() and win.commands.detect_faces.isEnabled()


def test_open_from_the_file_menu(qtbot, window, dialog_log, sample_photo):
    dialog_log.open_path = None
    window.commands.open.trigger()                       # the user cancels the file dialog
    assert not window.runner.busy and window.doc is None
    dialog_log.open_path = str(sample_photo)
    with qtbot.waitSignal(window.runner.finished, timeout=30_000):
        QTest.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert window.doc is not None and window.doc.path == sample_photo


def test_drop_a_file_opens_it(qtbot, window, sample_photo, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    accepted, _ = file_drop(window, [str(text)])
    assert not accepted                                 # not a photo: the drag is refused
    with qtbot.waitSignal(window.runner.finished, timeout=30_000):
        accepted, drop = file_drop(window, [str(sample_photo)])
    assert accepted and drop.isAccepted()
    assert window.doc is not None and window.doc.path == sample_photo


def test_bad_file_shows_one_sentence_and_the_window_stays_usable(qtbot, window, dialog_log, tmp_path,
                                                                 sample_photo):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    open_and_wait(qtbot, window, bad)
    assert window.doc is None
    assert dialog_log.last_error is not None and "broken.jpg" in dialog_log.last_error
    assert dialog_log.errors[-1][1] is None             # an expected failure: no traceback details
    assert window.windowTitle() == "Veil"
    open_and_wait(qtbot, window, sample_photo)          # still usable
    assert window.doc is not None


def test_missing_recent_file_is_pruned_with_a_message(qtbot, window, dialog_log, tmp_path, sample_photo):
    other = tmp_path / "other.png"
    Image.open(sample_photo).save(other)
    open_and_wait(qtbot, window, other)
    open_and_wait(qtbot, window, sample_photo)
    assert window.recent.paths() == [str(sample_photo.resolve()), str(other.resolve())]
    other.unlink()
    window.menus["Open Recent"].aboutToShow.emit()
    assert window.recent.paths() == [str(sample_photo.resolve())]
    assert "Removed 1 missing photo" in window.statusBar().currentMessage()
    entries = [a.text() for a in window.menus["Open Recent"].actions() if a.text()]
    assert entries[0] == "&1 sample.jpg" and "Clear Menu" in entries


def test_save_as_writes_a_new_file_and_leaves_the_source_untouched(qtbot, opened, dialog_log, sample_photo,
                                                                   tmp_path):
    win = opened
    source_bytes = sample_photo.read_bytes()
    paint_something(win.doc)
    target = tmp_path / "edited.png"
    dialog_log.save_path = str(target)
    with qtbot.waitSignal(win.runner.finished, timeout=30_000):
        win.commands.save_as.trigger()
    assert sample_photo.read_bytes() == source_bytes
    saved = np.asarray(Image.open(target).convert("RGB"))
    np.testing.assert_array_equal(saved, win.doc.image)            # PNG: lossless
    assert win.doc.path == target and not win.doc.dirty
    assert win.windowTitle() == "edited.png — Veil"
    assert win.recent.paths()[0] == str(target.resolve())


def test_only_explicit_save_overwrites_the_original(qtbot, opened, dialog_log, sample_photo, tmp_path):
    win = opened
    source_bytes = sample_photo.read_bytes()
    paint_something(win.doc)
    win.doc.apply_mask_op("grow", 4)
    assert sample_photo.read_bytes() == source_bytes         # edits alone never touch the file
    dialog_log.export_choice = (str(tmp_path / "shared.jpg"), "privacy")
    with qtbot.waitSignal(win.runner.finished, timeout=30_000):
        win.commands.export.trigger()
    assert (tmp_path / "shared.jpg").is_file()
    assert sample_photo.read_bytes() == source_bytes and win.doc.dirty and win.doc.path == sample_photo

    with qtbot.waitSignal(win.runner.finished, timeout=30_000):
        win.commands.save.trigger()
    assert sample_photo.read_bytes() != source_bytes
    assert not win.doc.dirty and win.windowTitle() == "sample.jpg — Veil"
    reread = np.asarray(Image.open(sample_photo).convert("RGB")).astype(int)
    assert reread[10:30, 10:30].max() < 40                    # the black square we painted is in the file


def test_closing_a_dirty_document_prompts(qtbot, opened, dialog_log, tmp_path, sample_photo):
    win = opened
    paint_something(win.doc)
    dialog_log.save_changes_answer = "cancel"
    assert not win.close()
    assert win.isVisible() and dialog_log.save_changes_asked == ["sample.jpg"]

    # Opening another photo asks too; Cancel keeps the current one.
    win.open(sample_photo)
    assert dialog_log.save_changes_asked == ["sample.jpg", "sample.jpg"] and not win.runner.busy

    # Save, then close once the file is written.
    source = sample_photo.read_bytes()
    dialog_log.save_changes_answer = "save"
    with qtbot.waitSignal(win.runner.finished, timeout=30_000):
        assert not win.close()
    wait_idle(qtbot, win)
    qtbot.waitUntil(lambda: not win.isVisible())
    assert sample_photo.read_bytes() != source and not win.doc.dirty


def test_discard_closes_without_writing(opened, dialog_log, sample_photo):
    source = sample_photo.read_bytes()
    paint_something(opened.doc)
    dialog_log.save_changes_answer = "discard"
    assert opened.close()
    assert sample_photo.read_bytes() == source


def test_save_failure_keeps_the_document_dirty(qtbot, opened, dialog_log, tmp_path):
    paint_something(opened.doc)
    dialog_log.save_path = str(tmp_path / "no-such-folder" / "out.png")
    with qtbot.waitSignal(opened.runner.finished, timeout=30_000):
        opened.commands.save_as.trigger()
    assert dialog_log.last_error and opened.doc.dirty
    assert not Path(dialog_log.save_path).exists()
