"""Faces › Remove Face Mask Using a Reference… from the window, on the public-domain pair (tests/reference_pair.py):
one undo step with the right person, one sentence in a dialog and no change with another person."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from ui_helpers import JOB_TIMEOUT_MS, open_and_wait

from editor.services.unmask_service import UNDO_LABEL
from reference_pair import cameraman, masked_pair, psnr            # tests/reference_pair.py


@pytest.fixture
def photos(tmp_path):
    try:
        pair = masked_pair()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    paths = {"masked": tmp_path / "masked.png", "reference": tmp_path / "portrait.png", "other": tmp_path / "other.png"}
    Image.fromarray(pair.masked).save(paths["masked"])
    Image.fromarray(pair.reference).save(paths["reference"])
    Image.fromarray(cameraman()).save(paths["other"])
    return pair, paths


def _unmask_with(qtbot, window, dialog_log, masked, reference) -> str:
    """Open `masked`, run the reference action with `reference` picked in the file dialog: the job's outcome."""
    open_and_wait(qtbot, window, masked)
    dialog_log.open_path = str(reference)
    with qtbot.waitSignal(window.runner.finished, timeout=JOB_TIMEOUT_MS) as blocker:
        window.commands.remove_face_mask_reference.trigger()
    return blocker.args[1]


def test_the_reference_action_removes_the_mask_in_one_undo_step(qtbot, window, dialog_log, photos):
    pair, paths = photos
    outcome = _unmask_with(qtbot, window, dialog_log, paths["masked"], paths["reference"])
    doc = window.doc
    assert outcome == "done", dialog_log.errors
    assert doc.history.depth == 1 and doc.history.undo_label == UNDO_LABEL
    assert "using the reference photo" in window.statusBar().currentMessage()
    covered = pair.coverage > 0
    assert psnr(doc.image, pair.truth, covered) > psnr(pair.masked, pair.truth, covered) + 5
    window.commands.undo.trigger()
    np.testing.assert_array_equal(doc.image, pair.masked)


def test_another_person_is_refused_in_a_dialog_and_nothing_changes(qtbot, window, dialog_log, photos):
    pair, paths = photos
    outcome = _unmask_with(qtbot, window, dialog_log, paths["masked"], paths["other"])
    doc = window.doc
    assert outcome == "failed"
    assert dialog_log.last_error.startswith("The reference photo other.png shows a different person")
    np.testing.assert_array_equal(doc.image, pair.masked)
    assert doc.history.depth == 0


def test_cancelling_the_file_dialog_does_nothing(qtbot, window, dialog_log, photos):
    _, paths = photos
    open_and_wait(qtbot, window, paths["masked"])
    dialog_log.open_path = None
    started = []
    window.runner.started.connect(started.append)
    window.commands.remove_face_mask_reference.trigger()
    assert not started and window.doc.history.depth == 0
