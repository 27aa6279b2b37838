"""The recovery vault in the GUI, driven through its widgets with a real GNOME Keyring.

The keyring is the test run's throw-away one on a private D-Bus (tests/conftest.py). File
dialogs and the key label prompt are answered by replacing their module functions; the passphrase and delete
prompts are the real modal dialogs, answered through their widgets.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from editor.core import image_io
from editor.core.document import Document
from editor.core.faces import Face
from editor.core.geometry import Rect
from editor.services.vault_service import VaultService
from editor.ui.common.jobs import JobRunner
from editor.ui.vault import keys_dialog, recover_controller
from editor.ui.vault.keys_dialog import KeysDialog
from editor.ui.vault.passphrase_dialog import PassphraseDialog
from editor.ui.vault.recover_controller import RecoverController
from editor.ui.vault.seal_export_dialog import SealExportDialog, edited_regions
from editor.vault.audit import AuditLog
from editor.vault.errors import InsecureKeyringError
from editor.vault.keypairs import show_fingerprint
from editor.vault.keystore import KeyInfo, KeyStore

TIMEOUT_MS = 20_000
PASSPHRASE = "correct horse battery"
FACE_EDIT = Rect(45, 20, 85, 55)            # inside the detected face box below
OTHER_EDIT = Rect(5, 70, 20, 85)            # far from it


@pytest.fixture
def service(keystore_for, data_dir) -> VaultService:
    return VaultService(keystore=keystore_for(data_dir), audit=AuditLog(data_dir))


# -- helpers ---------------------------------------------------------------------------------------------------------
def photo(height: int = 96, width: int = 128, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([xx / width * 200 + 30, yy / height * 180 + 40, (xx + yy) / (width + height) * 150 + 60], -1)
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


def edited_doc(tmp_path: Path) -> Document:
    """A photo with one detected face whose middle was replaced, and one small edit elsewhere."""
    doc = Document(photo(), path=tmp_path / "photo.png")
    doc.set_faces([Face(box=(40, 15, 50, 45), score=0.9, landmarks5=np.zeros((5, 2), np.float32))])
    for rect, label in ((FACE_EDIT, "Anonymize"), (OTHER_EDIT, "Fill")):
        doc.apply_pixels(rect, 255 - doc.image[rect.slices], label)     # every pixel of the rect changes
    return doc


def click(button) -> None:
    assert button.isEnabled(), f"{button.text()} is disabled"
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def answer_next_modal(act: Callable[[QWidget], None]) -> None:
    """Run `act` on the modal dialog that the next exec() shows; close it if `act` fails, so nothing hangs."""
    def run() -> None:
        widget = QApplication.activeModalWidget()
        try:
            act(widget)
        finally:
            if widget is not None and widget.isVisible():
                widget.reject()
    QTimer.singleShot(0, run)


def type_into(edit, text: str) -> None:
    edit.clear()
    QTest.keyClicks(edit, text)


def idle(qtbot, dlg) -> None:
    qtbot.waitUntil(lambda: not dlg.busy, timeout=TIMEOUT_MS)


@pytest.fixture
def window_widget(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def runner():
    r = JobRunner(None)
    yield r
    r.shutdown()


def seal_with_dialog(qtbot, parent, service, doc, out: Path, *, sidecar: bool = False, fill: str = "solid"):
    """Export `doc` to `out` with `fill` through the dialog; returns the SealResult."""
    dlg = SealExportDialog(parent, service, doc, default_key="HR team")
    dlg.show()
    idle(qtbot, dlg)
    assert dlg.fill_combo.currentData() == "keep" and dlg.profile_combo.currentData() == "privacy"
    assert dlg.keys.combo.currentText().startswith("HR team")
    dlg.path_edit.setText(str(out))
    dlg.fill_combo.setCurrentIndex(dlg.fill_combo.findData(fill))
    dlg.sidecar_check.setChecked(sidecar)
    with qtbot.waitSignal(dlg.sealed, timeout=TIMEOUT_MS) as sealed:
        click(dlg.export_button)
    return sealed.args[0]


def recover_with_dialog(qtbot, controller, out: Path, faces=None) -> Path:
    dlg = controller.open_dialog()
    idle(qtbot, dlg)
    if faces is not None:
        dlg.all_check.setChecked(False)
        dlg.set_chosen(faces)
    dlg.output_edit.setText(str(out))
    with qtbot.waitSignal(controller.recovered, timeout=TIMEOUT_MS) as recovered:
        click(dlg.recover_button)
    return recovered.args[0]


# -- keys dialog -----------------------------------------------------------------------------------------------------
def test_keys_dialog_create_export_delete_import_round_trip(qtbot, service, tmp_path, monkeypatch, dialog_log,
                                                           window_widget):
    key_file = tmp_path / "hr.veilkey"
    monkeypatch.setattr(keys_dialog, "ask_key_label", lambda parent: "HR team")
    monkeypatch.setattr(keys_dialog, "ask_export_path", lambda parent, suggested: str(key_file))
    monkeypatch.setattr(keys_dialog, "ask_import_path", lambda parent, start: str(key_file))
    dlg = KeysDialog(window_widget, service)
    dlg.show()
    idle(qtbot, dlg)
    assert dlg.table.rowCount() == 0 and not dlg.export_button.isEnabled()

    click(dlg.create_button)
    idle(qtbot, dlg)
    assert dlg.table.rowCount() == 1 and dlg.table.item(0, 0).text() == "HR team"
    key_id = dlg.table.item(0, 1).text()
    assert len(key_id) == 32 and service.list_keys()[0].key_id == key_id
    assert dlg.table.item(0, 2).text() == "key pair" and dlg.public_button.isEnabled()     # selected when made
    original_key = service.keys.secret_of(service.list_keys()[0])

    def protect(box: PassphraseDialog) -> None:
        type_into(box.passphrase_edit, "too short")
        type_into(box.repeat_edit, "too short")
        assert not box.ok_button.isEnabled() and "at least 12" in box.hint.text()
        type_into(box.passphrase_edit, PASSPHRASE)
        type_into(box.repeat_edit, PASSPHRASE + "!")
        assert not box.ok_button.isEnabled() and "same passphrase" in box.hint.text()
        type_into(box.repeat_edit, PASSPHRASE)
        click(box.ok_button)

    dlg.table.selectRow(0)
    answer_next_modal(protect)
    click(dlg.export_button)
    idle(qtbot, dlg)
    assert key_file.is_file() and original_key not in key_file.read_bytes()
    assert dlg.status.text().startswith('Exported "HR team"')

    def confirm(box: QMessageBox) -> None:
        assert "HR team" in box.text() and show_fingerprint(key_id) in box.text()
        assert "can no longer be recovered" in box.informativeText()
        click(next(b for b in box.buttons() if b.text() == "Delete"))

    dlg.table.selectRow(0)
    answer_next_modal(confirm)
    click(dlg.delete_button)
    idle(qtbot, dlg)
    assert dlg.table.rowCount() == 0 and service.list_keys() == []

    def unlock(passphrase: str, label: str = "") -> Callable[[PassphraseDialog], None]:
        def act(box: PassphraseDialog) -> None:
            type_into(box.passphrase_edit, passphrase)
            type_into(box.label_edit, label)
            click(box.ok_button)
        return act

    answer_next_modal(unlock("not the passphrase"))
    click(dlg.import_button)
    idle(qtbot, dlg)
    assert dialog_log.last_error and "passphrase" in dialog_log.last_error.lower()
    assert dlg.table.rowCount() == 0

    answer_next_modal(unlock(PASSPHRASE, "HR team (laptop)"))
    click(dlg.import_button)
    idle(qtbot, dlg)
    assert [(dlg.table.item(0, 0).text(), dlg.table.item(0, 1).text())] == [("HR team (laptop)", key_id)]
    assert service.keys.secret_of(service.list_keys()[0]) == original_key
    assert len(dialog_log.errors) == 1


def test_insecure_keyring_opens_read_only_with_its_sentence(qtbot, data_dir, window_widget):
    service = VaultService(keystore=KeyStore(backend=fail.Keyring(), data_dir=data_dir), audit=AuditLog(data_dir))
    dlg = KeysDialog(window_widget, service)
    dlg.show()
    idle(qtbot, dlg)
    assert dlg.banner.isVisible()
    assert dlg.banner.text() == str(InsecureKeyringError("keyring.backends.fail.Keyring"))
    assert not any(b.isEnabled() for b in (dlg.create_button, dlg.import_button, dlg.export_button,
                                           dlg.delete_button))


# -- sealing and recovering ------------------------------------------------------------------------------------------
def test_edited_regions_follow_the_changed_pixels(tmp_path):
    doc = edited_doc(tmp_path)
    regions = edited_regions(doc)
    assert [(r.rect, r.kind) for r in regions] == [(FACE_EDIT, "face"), (OTHER_EDIT, "region")]
    assert all(r.fill_mask().all() for r in regions)
    # A ring-shaped edit: one region whose mask is exactly the changed pixels, not its whole rectangle.
    ring = Document(photo(seed=1))
    yy, xx = np.mgrid[0:96, 0:128]
    changed = np.abs(np.hypot(yy - 48, xx - 64) - 20) < 3
    ring.image[changed] = 255 - ring.image[changed]
    [region] = edited_regions(ring)
    assert region.kind == "region"
    np.testing.assert_array_equal(region.fill_mask(), changed[region.rect.slices])
    assert edited_regions(Document(photo())) == []


def test_seal_export_then_recover_is_bit_exact(qtbot, service, tmp_path, dialog_log, window_widget, runner,
                                               monkeypatch):
    service.create_key("HR team")
    doc = edited_doc(tmp_path)
    sealed_path = tmp_path / "sealed.png"
    result = seal_with_dialog(qtbot, window_widget, service, doc, sealed_path)
    assert result.path == sealed_path and [r.kind for r in result.regions] == ["face", "region"]
    published = image_io.load_image(sealed_path).pixels
    hidden = np.zeros(published.shape[:2], bool)
    for rect in (FACE_EDIT, OTHER_EDIT):
        hidden[rect.slices] = True
    assert (published[hidden] == 0).all()                                 # the solid fill
    np.testing.assert_array_equal(published[~hidden], doc.original[~hidden])

    controller = RecoverController(window_widget, service, runner)
    # A big file is inspected in a worker: the answer comes with `checked`.
    monkeypatch.setattr(recover_controller, "SYNC_CHECK_BYTES", 0)
    with qtbot.waitSignal(controller.checked, timeout=TIMEOUT_MS) as checked:
        assert controller.check(sealed_path) is None
    assert checked.args[0] is not None and controller.action.isEnabled()
    monkeypatch.undo()
    info = controller.check(sealed_path)
    assert info.key_label == "HR team" and info.key_available and len(info.regions) == 2

    restored = recover_with_dialog(qtbot, controller, tmp_path / "restored.png")
    assert restored == tmp_path / "restored.png"
    np.testing.assert_array_equal(image_io.load_image(restored).pixels, doc.original)

    face_only = recover_with_dialog(qtbot, controller, tmp_path / "face.png", faces=[1])
    pixels = image_io.load_image(face_only).pixels
    np.testing.assert_array_equal(pixels[FACE_EDIT.slices], doc.original[FACE_EDIT.slices])
    assert (pixels[OTHER_EDIT.slices] == 0).all()
    assert dialog_log.errors == []


def test_recover_action_disabled_for_a_photo_without_payload(qtbot, tmp_path, window_widget, runner, data_dir):
    plain = tmp_path / "plain.png"
    image_io.save_image(plain, photo())
    service = VaultService(keystore=KeyStore(backend=fail.Keyring(), data_dir=data_dir), audit=AuditLog(data_dir))
    controller = RecoverController(window_widget, service, runner)
    with qtbot.waitSignal(controller.checked, timeout=TIMEOUT_MS) as checked:
        assert controller.check(plain) is None
    assert checked.args == [None]
    assert not controller.action.isEnabled() and controller.open_dialog() is None


def test_moved_missing_and_wrong_key_each_say_their_sentence(qtbot, service, tmp_path, dialog_log, window_widget,
                                                             runner):
    key = service.create_key("HR team")
    sealed_path = tmp_path / "sealed.png"
    seal_with_dialog(qtbot, window_widget, service, edited_doc(tmp_path), sealed_path, sidecar=True)
    controller = RecoverController(window_widget, service, runner)

    # The sidecar copied next to another photo: found, but refused as belonging to a different image.
    other = tmp_path / "other.png"
    image_io.save_image(other, photo(seed=5))
    shutil.copyfile(f"{sealed_path}.veil", f"{other}.veil")
    assert controller.check(other) is not None
    dlg = controller.open_dialog()
    idle(qtbot, dlg)
    click(dlg.recover_button)
    qtbot.waitUntil(lambda: bool(dialog_log.errors), timeout=TIMEOUT_MS)
    assert "belongs to a different image" in dialog_log.last_error
    assert dlg.isVisible() and not (tmp_path / "other-recovered.png").exists()
    dlg.reject()

    # The key is gone: the dialog names its label and id and does not offer Recover.
    service.delete_key(key.key_id, confirm=True)
    info = controller.check(sealed_path)
    assert info is not None and not info.key_available and controller.action.isEnabled()
    dlg = controller.open_dialog()
    idle(qtbot, dlg)
    assert dlg.key_problem.isVisible() and '"HR team"' in dlg.key_problem.text()
    assert key.key_id in dlg.key_problem.text() and not dlg.recover_button.isEnabled()
    dlg.reject()

    # A different key under the same id: refused with the wrong-key sentence, nothing written.
    service.keys.add(KeyInfo(key.key_id, "HR team", key.created), secrets.token_bytes(32))
    dlg = controller.open_dialog()
    idle(qtbot, dlg)
    assert dlg.key_problem.isHidden()
    click(dlg.recover_button)
    qtbot.waitUntil(lambda: len(dialog_log.errors) == 2, timeout=TIMEOUT_MS)
    assert "does not open this photo's recovery data" in dialog_log.last_error
    assert not Path(dlg.output_edit.text()).exists()


def test_seal_export_can_publish_the_edited_pixels_as_they_are(qtbot, service, tmp_path, window_widget, runner):
    service.create_key("HR team")
    doc = edited_doc(tmp_path)
    result = seal_with_dialog(qtbot, window_widget, service, doc, tmp_path / "kept.png", fill="keep")
    np.testing.assert_array_equal(image_io.load_image(result.path).pixels, doc.image)
    controller = RecoverController(window_widget, service, runner)
    assert controller.check(result.path) is not None
    restored = recover_with_dialog(qtbot, controller, tmp_path / "restored.png")
    np.testing.assert_array_equal(image_io.load_image(restored).pixels, doc.original)


def test_export_never_writes_over_the_open_photo(qtbot, service, tmp_path, dialog_log, window_widget):
    service.create_key("HR team")
    doc = edited_doc(tmp_path)
    image_io.save_image(doc.path, doc.original)
    before = doc.path.read_bytes()
    dlg = SealExportDialog(window_widget, service, doc, default_key="HR team")
    dlg.show()
    idle(qtbot, dlg)
    dlg.path_edit.setText(str(doc.path))
    click(dlg.export_button)
    assert [message for message, _ in dialog_log.errors] == [
        "Exporting to photo.png would overwrite the original photo; choose another file name."]
    assert doc.path.read_bytes() == before and dlg.isVisible()


@pytest.fixture
def staff(keystore_for, tmp_path):
    """Privacy staff's profile: its own keyring service name and data folder (no private key of a keyholder)."""
    data = tmp_path / "staff-data"
    data.mkdir()
    return VaultService(keystore=keystore_for(data, "veil-test-staff"), audit=AuditLog(data))


def test_public_key_handed_to_staff_through_the_keys_dialogs(qtbot, service, staff, tmp_path, monkeypatch,
                                                             window_widget, dialog_log):
    public = tmp_path / "hr.veilpub"
    monkeypatch.setattr(keys_dialog, "ask_key_label", lambda parent: "HR team")
    monkeypatch.setattr(keys_dialog, "ask_public_path", lambda parent, suggested: str(public))
    monkeypatch.setattr(keys_dialog, "ask_import_path", lambda parent, start: str(public))
    holder = KeysDialog(window_widget, service)
    idle(qtbot, holder)
    click(holder.create_button)
    idle(qtbot, holder)
    holder.table.selectRow(0)
    click(holder.public_button)
    idle(qtbot, holder)
    key_id = holder.table.item(0, 1).text()
    assert public.is_file() and show_fingerprint(key_id) in public.read_text()
    holder.reject()

    desk = KeysDialog(window_widget, staff)
    idle(qtbot, desk)
    click(desk.import_button)            # a public block: no passphrase is asked for
    idle(qtbot, desk)
    assert [(desk.table.item(0, 1).text(), desk.table.item(0, 2).text())] == [(key_id, "recipient (public key)")]
    desk.table.selectRow(0)
    assert not desk.export_button.isEnabled() and desk.public_button.isEnabled()
    assert dialog_log.errors == []


def test_recover_dialog_says_who_sealed_and_refuses_staff(qtbot, service, staff, tmp_path, window_widget, runner,
                                                          dialog_log):
    service.create_key_pair("HR team")
    service.export_public("HR team", tmp_path / "hr.veilpub")
    staff.import_public(tmp_path / "hr.veilpub")
    staff.signer(label="Privacy desk")
    staff.export_public(None, tmp_path / "desk.veilpub")
    service.trust_sealer(tmp_path / "desk.veilpub")
    doc = edited_doc(tmp_path)
    sealed = tmp_path / "sealed.png"
    regions = edited_regions(doc)
    staff.seal_image(doc.original, None, None, regions, recipients=["HR team"], out_path=sealed, fill="keep",
                     published=doc.image)

    desk = RecoverController(window_widget, staff, runner)
    assert desk.check(sealed) is not None
    dlg = desk.open_dialog()
    idle(qtbot, dlg)
    assert dlg.key_problem.isVisible() and "cannot restore" in dlg.key_problem.text()
    assert not dlg.recover_button.isEnabled() and 'Sealed by you ("Privacy desk"' in dlg.sealer_label.text()
    dlg.reject()

    controller = RecoverController(window_widget, service, runner)
    controller.check(sealed)
    dlg = controller.open_dialog()
    idle(qtbot, dlg)
    assert dlg.sealer_label.text().startswith('Sealed by "Privacy desk" (fingerprint ')
    assert "signature valid" in dlg.sealer_label.text() and dlg.key_problem.isHidden()
    restored = recover_with_dialog(qtbot, controller, tmp_path / "restored.png")
    np.testing.assert_array_equal(image_io.load_image(restored).pixels, doc.original)
    assert dialog_log.errors == []


def test_key_picker_offers_sealable_keys_and_more_keyholders(qtbot, window_widget):
    from editor.ui.vault.key_picker import KeyPicker

    picker = KeyPicker(window_widget)
    keys = [KeyInfo("a" * 32, "Old key", "", "symmetric"), KeyInfo("b" * 32, "HR team", "", "pair", "X25519"),
            KeyInfo("c" * 32, "Legal", "", "recipient", "X25519"), KeyInfo("d" * 32, "me@host", "", "signing")]
    picker.show_keys(keys, "HR team")
    assert [picker.combo.itemData(i) for i in range(picker.combo.count())] == ["a" * 32, "b" * 32, "c" * 32]
    assert picker.key_id == "b" * 32 and picker.more_button.isEnabled()
    actions = {a.data(): a for a in picker.more_menu.actions()}
    assert set(actions) == {"b" * 32, "c" * 32} and not actions["b" * 32].isEnabled()
    actions["c" * 32].setChecked(True)
    assert picker.extra_ids == ["c" * 32]
    picker.combo.setCurrentIndex(0)                 # a symmetric key seals alone
    assert picker.extra_ids == [] and not picker.more_button.isEnabled()
