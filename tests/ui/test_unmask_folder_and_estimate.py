"""File › Remove Face Masks in Folder run from the window on a real folder, and the note that a filled area is an
estimate: shown over the photo after Remove Face Masks, gone with an undo, and stated by the exported file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from ui_helpers import JOB_TIMEOUT_MS, open_and_wait

from editor.core import image_io
from editor.core.digital_source import TRAINED_COMPOSITE, read_source_type
from editor.services.documents import export_document
from editor.services.unmask_batch import REPORT_NAME
from editor.ui import main_window
from editor.ui.unmask.folder_dialog import BatchUnmaskDialog
from masked_sample import sample_wearing      # tests/masked_sample.py


@pytest.fixture
def masked_photo(tmp_path) -> Path:
    """The sample portrait wearing a KN95 mask (MIT template), as a PNG."""
    masked, _ = sample_wearing("KN95")["KN95"]
    path = tmp_path / "masked.png"
    Image.fromarray(masked).save(path)
    return path


def test_remove_face_masks_in_folder_runs_from_the_file_menu(qtbot, window, masked_photo, sample_photo, tmp_path,
                                                             monkeypatch):
    folder = tmp_path / "shoot"
    (folder / "day2").mkdir(parents=True)
    shutil.copyfile(masked_photo, folder / "day2" / "masked.png")
    shutil.copyfile(sample_photo, folder / "bare.jpg")
    out = tmp_path / "out"
    action = window.commands.batch_unmask
    assert action in window.menus["File"].actions() and action.isEnabled()      # no photo needs to be open
    opened: list[BatchUnmaskDialog] = []

    class Shown(BatchUnmaskDialog):             # exec() would block the test: show it and hand it over
        def exec(self) -> int:
            opened.append(self)
            self.show()
            return 0

    monkeypatch.setattr(main_window, "BatchUnmaskDialog", Shown)
    action.trigger()
    (dlg,) = opened
    assert not dlg.run_button.isEnabled()
    dlg.inputs.add([str(folder)])
    dlg.output_edit.setText(str(out))
    assert dlg.engine_combo.currentData() == "face-model" and dlg.run_button.isEnabled()

    with qtbot.waitSignal(dlg.runner.finished, timeout=JOB_TIMEOUT_MS) as blocker:
        QTest.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
    assert blocker.args[1] == "done"
    assert "2 photos · 1 face masks removed in 1 photos" in dlg.summary.text()
    assert "1 without a mask found, copied unchanged" in dlg.summary.text()
    assert str(out / REPORT_NAME) in dlg.summary.text() and "without a mask found" in dlg.status.text()
    written = image_io.load_image(out / "shoot" / "day2" / "masked.png")
    assert read_source_type(written.metadata.xmp) == TRAINED_COMPOSITE
    assert not np.array_equal(written.pixels, image_io.load_image(masked_photo).pixels)
    assert (out / "shoot" / "bare.jpg").read_bytes() == sample_photo.read_bytes()
    assert len(json.loads((out / REPORT_NAME).read_text())["files"]) == 2

    with qtbot.waitSignal(dlg.runner.finished, timeout=JOB_TIMEOUT_MS):
        QTest.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
    assert "2 done in an earlier run" in dlg.summary.text() and not dlg.report.files
    dlg.reject()


def test_the_window_says_once_that_the_filled_area_is_an_estimate(qtbot, window, masked_photo, tmp_path):
    open_and_wait(qtbot, window, masked_photo)
    notice = window.estimate_notice
    assert not notice.isVisibleTo(window)
    with qtbot.waitSignal(window.runner.finished, timeout=JOB_TIMEOUT_MS) as blocker:
        window.commands.remove_face_masks.trigger()
    assert blocker.args[1] == "done"
    assert notice.isVisibleTo(window) and "estimate, not the person's real face" in notice.label.text()
    canvas = window.canvas.rect()
    assert canvas.contains(notice.geometry())                       # over the photo, inside the canvas
    export_document(window.doc, tmp_path / "shared.jpg", profile="privacy")
    assert read_source_type(image_io.load_image(tmp_path / "shared.jpg").metadata.xmp) == TRAINED_COMPOSITE

    window.commands.undo.trigger()
    assert not notice.isVisibleTo(window)                           # the estimate is gone from the photo
    export_document(window.doc, tmp_path / "undone.jpg", profile="privacy")
    assert image_io.load_image(tmp_path / "undone.jpg").metadata.xmp is None
    window.commands.redo.trigger()
    assert notice.isVisibleTo(window)
    QTest.mouseClick(notice.close_button, Qt.MouseButton.LeftButton)
    assert not notice.isVisibleTo(window)
    window.commands.undo.trigger()
    window.commands.redo.trigger()
    assert not notice.isVisibleTo(window)                           # said once: hidden for this photo
