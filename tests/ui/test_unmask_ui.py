"""Faces › Remove Face Masks from the window: a job with progress, one undo step, a clear message without a mask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from masked_sample import sample_wearing      # tests/masked_sample.py
from ui_helpers import JOB_TIMEOUT_MS, open_and_wait

from editor.services.faces import detect_faces
from editor.services.unmask_service import UNDO_LABEL


@pytest.fixture
def masked_photo(tmp_path) -> Path:
    """The astronaut wearing a cloth mask (MIT template), as a PNG."""
    masked, _ = sample_wearing("cloth")["cloth"]
    path = tmp_path / "masked.png"
    Image.fromarray(masked).save(path)
    return path


def test_remove_face_masks_runs_as_a_job_and_undoes_in_one_step(qtbot, window, masked_photo):
    open_and_wait(qtbot, window, masked_photo)
    doc = window.doc
    before = doc.image.copy()
    progress: list[float] = []
    window.runner.started.connect(lambda job: job.progressed.connect(lambda f, _t: progress.append(f)))
    with qtbot.waitSignal(window.runner.finished, timeout=JOB_TIMEOUT_MS) as blocker:
        QTest.keyClick(window, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert blocker.args[1] == "done"
    assert progress and progress[-1] == 1.0
    assert np.any(doc.image != before)
    assert doc.history.depth == 1 and doc.history.undo_label == UNDO_LABEL
    assert "Removed 1 face mask" in window.statusBar().currentMessage()
    assert len(doc.faces) == 1                                   # the faces the job found are listed
    assert window.status.device.text() in ("Device: CPU", "Device: CUDA")
    assert window.commands.undo.text() == f"&Undo {UNDO_LABEL}"

    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(doc.image, before)


def test_a_photo_without_a_mask_gets_one_sentence_and_no_change(qtbot, opened, dialog_log):
    doc = opened.doc
    before = doc.image.copy()
    with qtbot.waitSignal(opened.runner.finished, timeout=JOB_TIMEOUT_MS) as blocker:
        opened.commands.remove_face_masks.trigger()
    assert blocker.args[1] == "failed"
    assert dialog_log.last_error == "The face in this photo wears no face mask that Veil can find."
    np.testing.assert_array_equal(doc.image, before)
    assert doc.history.depth == 0 and opened.commands.remove_face_masks.isEnabled()


def test_fill_uses_the_face_model_on_a_face_by_default(qtbot, window, masked_photo):
    open_and_wait(qtbot, window, masked_photo)
    doc = window.doc
    assert window.options.engine == "face-model"
    face = detect_faces(doc.image)[0]
    x, y, w, h = (int(v) for v in face.box)
    mouth = _box_mask(doc.mask.shape, y + h // 2, y + 3 * h // 4, x + w // 4, x + 3 * w // 4)
    doc.add_to_mask(doc.bounds, mouth, "brush")
    before, painted = doc.image.copy(), doc.mask.copy()
    with qtbot.waitSignal(window.runner.finished, timeout=JOB_TIMEOUT_MS) as blocker:
        window.commands.inpaint.trigger()
    assert blocker.args[1] == "done" and not doc.mask.any()
    assert doc.history.undo_label == "Inpaint (face-model)"
    changed = np.any(doc.image != before, axis=2)
    assert changed.any() and not changed[painted == 0].any()


def _box_mask(shape, y0, y1, x0, x1) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask
