"""Anonymize faces in the window, review them, re-roll, add a missed face by box, export.

Driven through the real window on the public-domain sample photo. The export tests need a recovery key, so they
run against the test run's throw-away GNOME Keyring (tests/conftest.py) and are skipped, with the reason, when it
could not be started.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from editor.core import image_io
from editor.services.anonymize_service import outcomes_in_image
from editor.services.vault_service import VaultService
from editor.ui.anonymize import controller as anonymize_controller
from editor.ui.faces.panel import THUMB
from editor.vault.audit import AuditLog
from editor.vault.keystore import KeyStore
from editor.vision.facenet import default_embedder
from ui_helpers import JOB_TIMEOUT_MS, drag, line, open_and_wait, wait_idle, widget_point

BACKGROUND_BOX = (8, 300, 88, 380)         # x0, y0, x1, y1: a patch of the sample photo with no face in it


@pytest.fixture(autouse=True)
def fixed_seeds(monkeypatch):
    """The window draws a fresh seed per run and re-roll; tests take them in a fixed order instead."""
    seeds = itertools.count(11)
    monkeypatch.setattr(anonymize_controller, "new_seed", lambda: next(seeds))


def click(button) -> None:
    assert button.isEnabled(), f"{button.text()} is disabled"
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def run_job(qtbot, win, trigger) -> str:
    """Trigger a command that starts one job; returns the job's outcome."""
    with qtbot.waitSignal(win.runner.finished, timeout=JOB_TIMEOUT_MS) as blocker:
        trigger()
    wait_idle(qtbot, win)
    return blocker.args[1]


def anonymize(qtbot, win):
    assert run_job(qtbot, win, win.commands.anonymize.trigger) == "done"
    review = win.anonymizer.review
    assert review.isVisible() and win.anonymizer.controller.reviewing
    return win.anonymizer.controller.pending


def thumbnail(win, row: int) -> np.ndarray:
    image = win.face_panel.list.item(row).icon().pixmap(THUMB, THUMB).toImage()
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    return np.array(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]


def draw_box(qtbot, win, box) -> None:
    win.commands.add_face.trigger()
    assert win.canvas.tool is win.anonymizer.box_tool
    a, b = widget_point(win.canvas, box[0], box[1]), widget_point(win.canvas, box[2], box[3])
    with qtbot.waitSignal(win.runner.finished, timeout=JOB_TIMEOUT_MS):
        drag(win.canvas, line(a, b, 6))
    wait_idle(qtbot, win)


# -- anonymize, review, apply ------------------------------------------------------------------------------------------
def test_anonymize_detects_previews_and_applies_as_one_undo_step(qtbot, opened):
    win = opened
    doc = win.doc
    before = doc.image.copy()
    assert not doc.faces                              # nothing detected yet: the command detects first
    result = anonymize(qtbot, win)

    assert len(doc.faces) == 1 and len(result.outcomes) == 1
    assert np.array_equal(doc.image, before)         # under review: nothing written yet
    # The status bar names the device the job reported: where FaceNet's ONNX Runtime session ran it.
    assert result.device == default_embedder().device
    assert win.status.device.text() == f"Device: {result.device}" and doc.last_device == result.device
    assert win.canvas.previewing
    shown, _ = win.canvas.display_image(1.0)
    assert shown.pixelColor(*_face_centre(doc.faces[0])).getRgb()[:3] == tuple(
        int(v) for v in result.image[_face_centre(doc.faces[0])[::-1]])
    card = win.anonymizer.review.cards[0]
    check = result.outcomes[0].check
    assert "Found again by the detector" in card.checks.text()
    for c in check.identity:
        assert f"{c.label} distance {c.distance:.2f} (new person ≥ {c.threshold:.2f})" in card.checks.text()
    assert f"Landmark error {check.landmark_nme:.3f}" in card.checks.text()
    assert card.chip.text().startswith("Flagged" if result.outcomes[0].flagged else "Verified")

    # Whole-photo before/after: the compare toggle shows the photo as it stands, then the preview again.
    centre = _face_centre(doc.faces[0])
    win.commands.compare.setChecked(True)
    shown_before = win.canvas.display_image(1.0)[0].pixelColor(*centre).getRgb()[:3]
    assert shown_before == tuple(int(v) for v in before[centre[::-1]])
    win.commands.compare.setChecked(False)
    assert win.canvas.display_image(1.0)[0].cacheKey() == shown.cacheKey()

    thumb_before = thumbnail(win, 0)
    click(win.anonymizer.review.apply_button)
    assert not win.anonymizer.review.isVisible() and not win.canvas.previewing
    changed = np.any(doc.image != before, axis=2)
    x0, y0, x1, y1 = doc.faces[0].rect.x0, doc.faces[0].rect.y0, doc.faces[0].rect.x1, doc.faces[0].rect.y1
    assert changed[y0:y1, x0:x1].mean() > 0.3                       # the face itself changed
    outside = changed.copy()
    patch = result.outcomes[0].patch
    outside[patch.rect.slices] = False
    assert not outside.any()                                        # nothing outside the face's patch
    assert not np.array_equal(thumbnail(win, 0), thumb_before)      # the face list shows the new face
    state = "flagged" if result.outcomes[0].flagged else "anonymized"
    assert win.face_panel.list.item(0).text().startswith(f"Face 1 · {state}")

    assert doc.history.undo_label == "Anonymize faces"
    win.commands.undo.trigger()
    assert np.array_equal(doc.image, before)                        # one undo takes all of it back
    assert not doc.history.can_undo
    assert np.array_equal(thumbnail(win, 0), thumb_before)
    assert win.face_panel.list.item(0).text().startswith("Face 1\n")
    win.commands.redo.trigger()
    assert np.array_equal(doc.image, result.image)


def _face_centre(face) -> tuple[int, int]:
    x, y, w, h = face.box
    return int(x + w / 2), int(y + h / 2)


def test_new_identity_gives_the_face_another_person(qtbot, opened):
    win = opened
    result = anonymize(qtbot, win)
    card = win.anonymizer.review.cards[0]
    first = result.outcomes[0]
    with qtbot.waitSignal(win.anonymizer.controller.review_changed, timeout=JOB_TIMEOUT_MS):
        click(card.reroll_button)
    wait_idle(qtbot, win)
    again = win.anonymizer.controller.pending
    second = again.outcomes[0]
    assert second.identity != first.identity or second.flagged
    face = first.patch.rect.union(second.patch.rect)
    assert np.abs(again.image[face.slices].astype(int) - result.image[face.slices]).mean() > 2.0
    assert np.array_equal(again.source, result.source)
    assert card.outcome is second and (second.identity or "") in card.identity.text()
    assert win.canvas.display_image(1.0)[0].pixelColor(*_face_centre(result.faces[0])).getRgb()[:3] == tuple(
        int(v) for v in again.image[_face_centre(result.faces[0])[::-1]])
    click(win.anonymizer.review.apply_button)
    assert np.array_equal(win.doc.image, again.image)


def test_discard_and_cancel_leave_the_photo_unchanged(qtbot, opened):
    win = opened
    before = win.doc.image.copy()
    assert run_job(qtbot, win, lambda: (win.commands.anonymize.trigger(), win.runner.cancel_all())) == "cancelled"
    assert not win.anonymizer.controller.reviewing and np.array_equal(win.doc.image, before)
    anonymize(qtbot, win)
    click(win.anonymizer.review.discard_button)
    assert not win.anonymizer.review.isVisible() and not win.canvas.previewing
    assert np.array_equal(win.doc.image, before) and not win.doc.history.can_undo


def test_an_edit_during_review_discards_the_stale_preview(qtbot, opened):
    win = opened
    anonymize(qtbot, win)
    rect = win.doc.bounds
    win.doc.apply_pixels(type(rect)(0, 0, 8, 8), np.zeros((8, 8, 3), np.uint8), "Fill")
    assert not win.anonymizer.controller.reviewing and not win.canvas.previewing


# -- a face the detector missed ------------------------------------------------------------------------------------
def test_a_drawn_box_adds_a_face_that_is_anonymized_and_flagged(qtbot, opened):
    win = opened
    run_job(qtbot, win, win.commands.detect_faces.trigger)
    assert len(win.doc.faces) == 1
    draw_box(qtbot, win, BACKGROUND_BOX)
    assert len(win.doc.faces) == 2
    added = win.doc.faces[1]
    assert added.source == "user" and added.landmarks68 is None
    x0, y0, x1, y1 = BACKGROUND_BOX
    assert abs(added.box[0] - x0) <= 2 and abs(added.box[1] - y0) <= 2 and abs(added.box[2] - (x1 - x0)) <= 3
    assert win.face_panel.selected_indices() == [1]
    assert "1 Selected Face" in win.commands.anonymize.text()

    result = anonymize(qtbot, win)                  # only the selected (drawn) face
    assert [o.index for o in result.outcomes] == [1]
    outcome = result.outcomes[0]
    assert outcome.flagged and outcome.method == "pixelate"
    card = win.anonymizer.review.cards[0]
    assert card.chip.text().startswith("Flagged") and card.reason.isVisibleTo(card)
    assert not card.reroll_button.isEnabled()       # no landmarks: any seed gives the same pixelation
    summary = win.anonymizer.review.summary.text()
    assert "flagged for review" in summary and "hair, ears, clothes and the background are left as they were" in summary
    win.canvas.zoom_by(4.0)
    win.canvas.center_on(QPointF(500, 20))
    assert not win.canvas.visible_image_rect().intersects(QRectF(*added.box))    # the drawn face is out of view
    QTest.mouseClick(card, Qt.MouseButton.LeftButton)        # a click on its card shows it
    assert win.canvas.highlighted_face == 1
    assert win.canvas.visible_image_rect().contains(QRectF(*added.box))
    click(win.anonymizer.review.apply_button)
    assert outcomes_in_image(win.doc.image, [outcome]) == [outcome]
    assert win.face_panel.list.item(1).text().startswith("Face 2 · flagged")
    assert "·" not in win.face_panel.list.item(0).text().splitlines()[0]     # face 1 was left as it is


def test_a_photo_without_faces_says_so_and_stays_unchanged(qtbot, window, dialog_log, tmp_path):
    sky = np.zeros((120, 160, 3), np.uint8)
    sky[..., 2] = np.linspace(90, 230, 160, dtype=np.uint8)
    image_io.save_image(tmp_path / "sky.png", sky)
    open_and_wait(qtbot, window, tmp_path / "sky.png")
    assert run_job(qtbot, window, window.commands.anonymize.trigger) == "failed"
    assert dialog_log.last_error.startswith("No face was found")
    assert not window.anonymizer.controller.reviewing and np.array_equal(window.doc.image, sky)


def test_export_without_an_anonymized_face_says_why(qtbot, opened, dialog_log):
    opened.anonymizer.export()
    assert dialog_log.last_error.startswith("No face of this photo is anonymized yet")


# -- export (real keyring) ---------------------------------------------------------------------------------------------
@pytest.fixture
def vault(secret_service, data_dir):
    service = VaultService(keystore=KeyStore(backend=secret_service, data_dir=data_dir), audit=AuditLog(data_dir))
    yield service
    index = data_dir / "keys.json"
    for entry in json.loads(index.read_text())["keys"] if index.exists() else []:
        secret_service.delete_password("veil", entry["id"])


def test_flagged_faces_block_a_silent_export(qtbot, opened, vault, dialog_log, tmp_path):
    win = opened
    win.vault = vault
    key = vault.create_key("HR team")
    anonymize(qtbot, win)
    click(win.anonymizer.review.apply_button)
    draw_box(qtbot, win, BACKGROUND_BOX)
    anonymize(qtbot, win)                            # the drawn face: pixelated and flagged
    click(win.anonymizer.review.apply_button)

    dlg = win.anonymizer.export_dialog_for_photo()
    dlg.show()
    qtbot.waitUntil(lambda: not dlg.busy, timeout=JOB_TIMEOUT_MS)
    out = tmp_path / "shared.jpg"
    dlg.path_edit.setText(str(out))
    assert dlg.key_id == key.key_id
    assert dlg.review_box.isVisible() and any(n.startswith("Face 2 is flagged") for n in dlg.notes)
    assert not dlg.export_button.isEnabled()         # flagged: no export until confirmed
    dlg.export()
    assert not out.exists() and "flagged" in dialog_log.last_error

    dlg.confirm_check.setChecked(True)
    with qtbot.waitSignal(dlg.exported, timeout=JOB_TIMEOUT_MS) as sealed:
        click(dlg.export_button)
    assert sealed.args[0].path == out and out.exists()
    info = vault.inspect(out)
    assert info.key_id == key.key_id and len(info.regions) == 2
    restored = tmp_path / "restored.png"
    vault.recover(out, restored)
    back = image_io.load_image(restored).pixels
    for o in win.anonymizer.controller.export_result().outcomes:
        m = o.patch.mask
        assert np.array_equal(back[o.patch.rect.slices][m], win.doc.original[o.patch.rect.slices][m])
