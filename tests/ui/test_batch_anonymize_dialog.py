"""File > Anonymize Folder, driven through its widgets.

The runs need a recovery key, so they use the test run's throw-away GNOME Keyring (tests/conftest.py) and are
skipped, with the reason, when it could not be started; the insecure-keyring refusal runs everywhere (keyring's
`fail` backend, no secret stored).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from editor.core import image_io
from editor.services.anonymize_batch import REPORT_NAME
from editor.services.vault_service import VaultService
from editor.ui.anonymize.folder_dialog import BatchAnonymizeDialog
from editor.ui.vault import keys_dialog
from editor.vault.audit import AuditLog
from editor.vault.embed import sidecar_path
from editor.vault.keystore import KeyStore

TIMEOUT_MS = 60_000


@pytest.fixture
def parent(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def vault(secret_service, data_dir):
    service = VaultService(keystore=KeyStore(backend=secret_service, data_dir=data_dir), audit=AuditLog(data_dir))
    yield service
    index = data_dir / "keys.json"
    for entry in json.loads(index.read_text())["keys"] if index.exists() else []:
        secret_service.delete_password("veil", entry["id"])


def photos(tmp_path: Path, sample_photo: Path) -> Path:
    """A folder with the sample portrait twice (one in a subfolder) and a photo without a face."""
    folder = tmp_path / "shoot"
    (folder / "day2").mkdir(parents=True)
    shutil.copyfile(sample_photo, folder / "a.jpg")
    shutil.copyfile(sample_photo, folder / "day2" / "b.jpg")
    sky = np.zeros((64, 96, 3), np.uint8)
    sky[..., 2] = np.linspace(120, 230, 96, dtype=np.uint8)
    image_io.save_image(folder / "sky.png", sky)
    return folder


def open_dialog(qtbot, parent, service) -> BatchAnonymizeDialog:
    dlg = BatchAnonymizeDialog(parent, service)
    dlg.show()
    qtbot.waitUntil(lambda: not dlg.busy, timeout=TIMEOUT_MS)
    return dlg


def run(qtbot, dlg) -> str:
    with qtbot.waitSignal(dlg.runner.finished, timeout=TIMEOUT_MS) as blocker:
        QTest.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
    return blocker.args[1]


def test_an_insecure_keyring_is_refused_before_any_work(qtbot, parent, data_dir):
    service = VaultService(keystore=KeyStore(backend=fail.Keyring(), data_dir=data_dir), audit=AuditLog(data_dir))
    dlg = open_dialog(qtbot, parent, service)
    dlg.add_inputs(["/nonexistent/folder"])
    dlg.output_edit.setText("/tmp/out")
    assert dlg.keys.problem.isVisibleTo(dlg) and dlg.keys.key_id is None
    assert not dlg.run_button.isEnabled() and not dlg.keys.new_button.isEnabled()
    dlg.reject()


def test_batch_writes_outputs_and_report_and_resumes(qtbot, parent, vault, tmp_path, sample_photo):
    key = vault.create_key("HR team")
    folder = photos(tmp_path, sample_photo)
    out = tmp_path / "out"
    dlg = open_dialog(qtbot, parent, vault)
    assert dlg.keys.key_id == key.key_id
    dlg.add_inputs([str(folder), str(folder)])          # a duplicate is listed once
    assert dlg.input_paths() == [str(folder)]
    assert not dlg.run_button.isEnabled()                 # no output folder yet
    dlg.output_edit.setText(str(out))
    dlg.seed_spin.setValue(7)
    dlg.sidecar_check.setChecked(True)

    assert run(qtbot, dlg) == "done"
    summary = dlg.report.summary()
    assert summary["files"] == 3 and summary["faces_found"] == 2 and summary["errors"] == 0
    assert summary["anonymized"] + summary["flagged"] == 2
    assert str(out / REPORT_NAME) in dlg.summary.text() and "2 faces found" in dlg.summary.text()
    for name in ("shoot/a.jpg", "shoot/day2/b.jpg", "shoot/sky.png"):
        assert (out / name).exists()
    assert sidecar_path(out / "shoot/a.jpg").exists() and not sidecar_path(out / "shoot/sky.png").exists()
    report = json.loads((out / REPORT_NAME).read_text())
    assert report["seed"] == 7 and len(report["files"]) == 3
    assert vault.inspect(out / "shoot/a.jpg").key_id == key.key_id
    original = image_io.load_image(sample_photo).pixels
    assert not np.array_equal(image_io.load_image(out / "shoot/a.jpg").pixels, original)

    assert run(qtbot, dlg) == "done"                      # again: every photo is already done
    assert dlg.report.summary()["skipped_finished"] == 3 and not dlg.report.files
    assert "3 done in an earlier run" in dlg.summary.text()
    dlg.reject()


def test_stop_keeps_what_is_done_and_a_new_run_finishes(qtbot, parent, vault, tmp_path, sample_photo):
    vault.create_key("HR team")
    folder = photos(tmp_path, sample_photo)
    out = tmp_path / "out"
    dlg = open_dialog(qtbot, parent, vault)
    dlg.add_inputs([str(folder)])
    dlg.output_edit.setText(str(out))
    with qtbot.waitSignal(dlg.runner.finished, timeout=TIMEOUT_MS) as blocker:
        QTest.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
        assert dlg.stop_button.isVisible()
        QTest.mouseClick(dlg.stop_button, Qt.MouseButton.LeftButton)
    assert blocker.args[1] == "cancelled" and "Stopped" in dlg.summary.text()
    done_before = len(json.loads((out / REPORT_NAME).read_text())["files"]) if (out / REPORT_NAME).exists() else 0
    assert done_before < 3

    assert run(qtbot, dlg) == "done"
    assert dlg.report.summary()["skipped_finished"] == done_before and len(dlg.report.files) == 3 - done_before
    dlg.reject()


def test_a_new_key_is_created_and_chosen(qtbot, parent, vault, monkeypatch):
    vault.create_key("HR team")
    vault.create_key("Legal")
    dlg = open_dialog(qtbot, parent, vault)
    assert dlg.keys.key_id is None                         # several keys: the user picks one
    monkeypatch.setattr(keys_dialog, "ask_key_label", lambda parent: "Press office")
    QTest.mouseClick(dlg.keys.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.busy, timeout=TIMEOUT_MS)
    assert vault.keys.find("Press office").key_id == dlg.keys.key_id
    assert dlg.keys.combo.count() == 3
    dlg.reject()


def test_an_output_folder_inside_the_input_is_refused_in_one_sentence(qtbot, parent, vault, tmp_path, sample_photo,
                                                                      dialog_log):
    vault.create_key("HR team")
    folder = photos(tmp_path, sample_photo)
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    dlg = open_dialog(qtbot, parent, vault)
    dlg.add_inputs([str(folder)])
    dlg.output_edit.setText(str(folder / "anonymized"))
    assert run(qtbot, dlg) == "failed"
    assert "is inside the input" in dialog_log.last_error and dialog_log.last_error.count(". ") == 0
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before      # nothing written or nested
    dlg.reject()


def test_the_summary_names_the_photos_without_a_face(qtbot, parent, vault, tmp_path, sample_photo):
    vault.create_key("HR team")
    folder = tmp_path / "shoot"
    folder.mkdir()
    sky = np.zeros((64, 96, 3), np.uint8)
    sky[..., 2] = 200
    image_io.save_image(folder / "sky.png", sky)
    dlg = open_dialog(qtbot, parent, vault)
    dlg.add_inputs([str(folder)])
    dlg.output_edit.setText(str(tmp_path / "out"))
    assert run(qtbot, dlg) == "done"
    assert "1 with no face found (check them)" in dlg.summary.text()
    assert "without a face" in dlg.status.text()
    dlg.reject()


def test_the_strength_chosen_in_the_dialog_is_the_runs(qtbot, parent, vault, tmp_path, dialog_log):
    vault.create_key("HR team")
    folder = tmp_path / "shoot"
    folder.mkdir()
    image_io.save_image(folder / "sky.png", np.full((64, 96, 3), 200, np.uint8))
    dlg = BatchAnonymizeDialog(parent, vault, strength="strong")
    dlg.show()
    qtbot.waitUntil(lambda: not dlg.busy, timeout=TIMEOUT_MS)
    assert dlg.strength_combo.currentData() == "strong"
    dlg.add_inputs([str(folder)])
    dlg.output_edit.setText(str(tmp_path / "out"))
    assert run(qtbot, dlg) == "done"
    assert json.loads((tmp_path / "out" / REPORT_NAME).read_text())["strength"] == "strong"
    dlg.strength_combo.setCurrentIndex(dlg.strength_combo.findData("standard"))
    assert run(qtbot, dlg) == "failed"                    # the same folder with another strength is refused
    assert "another key, seed or strength" in dialog_log.last_error
    dlg.reject()
