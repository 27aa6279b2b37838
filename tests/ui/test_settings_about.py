"""The window's settings kept across restarts, About, the first run, errors a user can act on, engines listed
without being created, and mask operations that run as jobs."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from ui_helpers import open_and_wait

from editor.core import mask_ops
from editor.core.document import Document
from editor.core.geometry import Rect
from editor.core.lazy import Lazy
from editor.inpaint import registry
from editor.runtime import device, models
from editor.services.inpainting import available_engines
from editor.services.vault_service import VaultService
from editor.ui.canvas.image_bridge import MASK_OPACITY, MaskOverlay
from editor.ui.common.dialogs import ExportDialog
from editor.ui.main_window import MainWindow
from editor.ui.settings.about_dialog import AboutDialog
from editor.ui.settings.dialog import ASK_EACH_TIME, SettingsDialog
from editor.vault.audit import AuditLog
from editor.vault.errors import InsecureKeyringError
from editor.vault.keystore import KeyInfo, KeyStore
from editor.vision import pipeline

TIMEOUT_MS = 30_000


@pytest.fixture(autouse=True)
def device_preference():
    """The runtime preference is process-wide: every test starts on "auto" and leaves it there."""
    device.set_preference("auto")
    yield
    device.set_preference("auto")


@pytest.fixture(autouse=True)
def private_app_data():
    QStandardPaths.setTestModeEnabled(True)     # the sample copy goes to ~/.qttest, not the user's data folder
    yield
    QStandardPaths.setTestModeEnabled(False)


def start(qtbot, settings: QSettings) -> MainWindow:
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def checked(qtbot, win: MainWindow):
    with qtbot.waitSignal(win.setup.checks_done, timeout=TIMEOUT_MS) as blocker:
        win.setup.start_checks()
    return blocker.args[0]


def refused_vault(tmp_path: Path) -> VaultService:
    """A vault over keyring's `fail` backend: what Veil sees on a machine without a secure keyring."""
    data = tmp_path / "veil-data"
    data.mkdir(exist_ok=True)
    return VaultService(keystore=KeyStore(backend=fail.Keyring(), data_dir=data), audit=AuditLog(data))


def one_sentence(text: str) -> bool:
    return text.endswith(".") and ". " not in text.rstrip(".") and "\n" not in text


# -- settings ------------------------------------------------------------------------------------------------------
def test_settings_persist_across_a_restart(qtbot, tmp_path, dialog_log, sample_photo):
    path = str(tmp_path / "veil.ini")
    win = start(qtbot, QSettings(path, QSettings.Format.IniFormat))
    assert (win.brush_settings.size, win.brush_settings.hardness) == (40.0, 0.7)       # first run: defaults
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    for _ in range(3):
        QTest.keyClick(win, Qt.Key.Key_BracketRight)                                   # ] ] ]: 40 -> 50 -> 62 -> 78
    win.commands.brush_softer.trigger()                                                # Shift+[ : softer by 0.1
    size, hardness = win.brush_settings.size, win.brush_settings.hardness
    assert size == 78.0 and hardness == pytest.approx(0.6)

    dlg = SettingsDialog(win, win.setup.preferences, win.recent, refused_vault(tmp_path))
    dlg.device_combo.setCurrentIndex(dlg.device_combo.findData("cpu"))
    dlg.profile_combo.setCurrentIndex(dlg.profile_combo.findData("privacy"))
    qtbot.waitUntil(lambda: not dlg.busy, timeout=TIMEOUT_MS)
    dlg.buttons.button(dlg.buttons.StandardButton.Ok).click()
    assert device.get_preference() == "cpu"                     # applied to the runtime at once
    open_and_wait(qtbot, win, sample_photo)
    win.close()
    assert not win.isVisible()

    device.set_preference("auto")                                # a new process would start on "auto"
    again = start(qtbot, QSettings(path, QSettings.Format.IniFormat))
    assert (again.brush_settings.size, again.brush_settings.hardness) == (size, pytest.approx(hardness))
    assert again.options.size_spin.value() == 78 and again.options.hardness_value.text() == "60%"
    prefs = again.setup.preferences
    assert (prefs.device, prefs.export_profile) == ("cpu", "privacy")
    assert device.get_preference() == "cpu"
    assert again.recent.paths() == [str(sample_photo.resolve())]
    again.close()


def test_export_remembers_the_profile_and_offers_it_next_time(qtbot, opened, dialog_log, tmp_path):
    dialog_log.export_choice = (str(tmp_path / "shared.jpg"), "privacy")
    with qtbot.waitSignal(opened.runner.finished, timeout=TIMEOUT_MS):
        opened.commands.export.trigger()
    assert opened.setup.preferences.export_profile == "privacy"
    dlg = ExportDialog(opened, "x.jpg", opened.setup.preferences.export_profile)
    assert dlg.profile.currentData() == "privacy"
    dlg.deleteLater()


def test_settings_page_without_a_secure_keyring_says_so_and_still_saves(qtbot, window, tmp_path):
    prefs = window.setup.preferences
    dlg = SettingsDialog(window, prefs, window.recent, refused_vault(tmp_path))
    dlg.show()
    qtbot.waitUntil(lambda: not dlg.busy, timeout=TIMEOUT_MS)
    assert dlg.keys.problem.isVisible()
    assert dlg.keys.problem.text() == str(InsecureKeyringError("keyring.backends.fail.Keyring"))
    assert not dlg.keys.combo.isEnabled() and dlg.keys.combo.currentText() == ASK_EACH_TIME
    dlg.profile_combo.setCurrentIndex(dlg.profile_combo.findData("privacy"))
    dlg.accept()
    assert prefs.export_profile == "privacy" and prefs.default_key is None


def test_default_recovery_key_is_chosen_from_the_keyring_list(qtbot, window, tmp_path):
    prefs = window.setup.preferences
    dlg = SettingsDialog(window, prefs, window.recent, refused_vault(tmp_path))
    qtbot.waitUntil(lambda: not dlg.busy, timeout=TIMEOUT_MS)
    keys = [KeyInfo("a" * 32, "HR team", "2026-01-01T00:00:00+00:00"),
            KeyInfo("b" * 32, "Legal", "2026-01-02T00:00:00+00:00")]
    dlg.keys.problem.hide()
    dlg.show_keys(keys)                      # what the keyring job delivers on a machine with a keyring
    assert [dlg.keys.combo.itemText(i) for i in range(dlg.keys.combo.count())] == [
        ASK_EACH_TIME, f"HR team  ({'a' * 8}…, symmetric key)", f"Legal  ({'b' * 8}…, symmetric key)"]
    dlg.keys.combo.setCurrentIndex(2)
    dlg.accept()
    assert prefs.default_key == "b" * 32
    dlg2 = SettingsDialog(window, prefs, window.recent, refused_vault(tmp_path))
    qtbot.waitUntil(lambda: not dlg2.busy, timeout=TIMEOUT_MS)
    dlg2.show_keys(keys)
    assert dlg2.keys.combo.currentData() == "b" * 32            # the stored default is preselected
    dlg2.reject()


def test_hand_edited_settings_fall_back_to_defaults(qtbot, tmp_path):
    path = tmp_path / "veil.ini"
    path.write_text("[brush]\nsize=huge\nhardness=7\n[runtime]\ndevice=tpu\n[export]\nprofile=everything\n")
    win = start(qtbot, QSettings(str(path), QSettings.Format.IniFormat))
    prefs = win.setup.preferences
    assert (prefs.brush_size, prefs.brush_hardness, prefs.device, prefs.export_profile) == (40.0, 1.0, "auto",
                                                                                            "retouch")
    win.close()


# -- first run and About --------------------------------------------------------------------------------------------
def test_empty_state_says_what_to_do_and_opens_the_sample(qtbot, window):
    empty = window.canvas._empty_state
    assert window.doc is None and empty.isVisible()
    assert "Drop a photo here" in empty.text and "File › Open…" in empty.text and "sample photo" in empty.text
    open_button, sample_button = empty.buttons
    assert open_button.defaultAction() is window.commands.open
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT_MS):
        QTest.mouseClick(sample_button, Qt.MouseButton.LeftButton)
    assert window.doc is not None and window.doc.path.name == "sample.jpg"
    assert (window.doc.width, window.doc.height) == (512, 512)
    assert not empty.isVisible()
    assert window.commands.sample.text() == "Open &Sample Photo" and window.commands.about.isEnabled()


def test_about_lists_every_model_with_its_licence_and_the_device(qtbot, window):
    report = checked(qtbot, window)
    assert report.model_problems == [] and report.device in ("CPU", "CUDA")
    dlg = AboutDialog(window, window.setup.device_text())
    assert report.device in dlg.device_label.text() and "setting: Auto" in dlg.device_label.text()
    shown = dlg.models_view.toPlainText()
    by_file = {m.file: m for m in dlg.model_rows}
    for name, info in models.load_manifest()["models"].items():
        row = by_file[info["file"]]
        assert f"({name})" in row.name and row.licence.startswith(str(info["licence"]))
        assert f"{row.name} — {row.file}" in shown and f"Licence: {row.licence}" in shown
    for dlib_file in ("shape_predictor_68_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat"):
        assert dlib_file in by_file and dlib_file in shown
    assert "excludes commercial use" in by_file["shape_predictor_68_face_landmarks.dat"].licence
    libraries = {name: (version, licence) for name, version, licence in dlg.dependency_rows}
    assert libraries["ONNX Runtime"][1] == "MIT" and libraries["ONNX Runtime"][0][0].isdigit()
    assert libraries["Qt 6 (via PySide6-Essentials)"][1].startswith("LGPL-3.0")
    dlg.deleteLater()


# -- errors a user can act on ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_a_damaged_model_is_reported_at_start_and_when_needed(qtbot, window, dialog_log, tmp_path, monkeypatch,
                                                             sample_photo, damage):
    copy = tmp_path / "models"
    shutil.copytree(models.models_dir(), copy, ignore=shutil.ignore_patterns("training"))
    onnx = copy / models.model_info("yunet")["file"]
    if damage == "corrupt":
        data = bytearray(onnx.read_bytes())
        data[len(data) // 2] ^= 0x01                    # one flipped bit, same size: only the checksum sees it
        onnx.write_bytes(bytes(data))
    else:
        onnx.unlink()
    monkeypatch.setenv(models.ENV_MODELS_DIR, str(copy))
    monkeypatch.setattr(pipeline, "_default", Lazy(pipeline.FacePipeline))  # a fresh process: no detector yet
    expected = {"corrupt": f"The face detector model ({onnx}) is corrupt (checksum mismatch); reinstall Veil.",
                "missing": f"The face detector model ({onnx}) is missing; reinstall Veil."}[damage]

    report = checked(qtbot, window)
    assert report.model_problems == [expected] and dialog_log.errors == [(expected, None)]

    open_and_wait(qtbot, window, sample_photo)
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT_MS) as blocker:
        window.commands.detect_faces.trigger()
    assert blocker.args[1] == "failed"
    assert dialog_log.last_error == expected and one_sentence(expected)
    # Still usable: nothing is busy, and every command that needs no detector works.
    assert not window.runner.busy and window.commands.detect_faces.isEnabled()
    window.doc.add_to_mask(Rect(10, 10, 60, 60), np.full((50, 50), 255, np.uint8), "brush")
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT_MS) as blocker:
        window.commands.inpaint.trigger()
    assert blocker.args[1] == "done" and not window.doc.has_mask


def test_gpu_chosen_without_cuda_says_what_to_do_once(qtbot, tmp_path, dialog_log, caplog, monkeypatch):
    if device.cuda_works():
        pytest.skip("this machine has a working CUDA GPU")
    monkeypatch.setattr(device, "_no_cuda_logged", False)
    settings = QSettings(str(tmp_path / "veil.ini"), QSettings.Format.IniFormat)
    settings.setValue("runtime/device", "cuda")
    win = start(qtbot, settings)
    with caplog.at_level(logging.WARNING, logger=device.__name__):
        report = checked(qtbot, win)
        checked(qtbot, win)
    assert report.device == "CPU" and report.device_problem == device.NO_CUDA
    assert win.setup.device_warning.isVisible() and win.setup.device_warning.text() == device.NO_CUDA
    assert [r.getMessage() for r in caplog.records if r.name == device.__name__] == [device.NO_CUDA]
    assert dialog_log.errors == []                      # a status-bar line, not a dialog
    win.setup.preferences.device = "cpu"                # choosing CPU hides it
    qtbot.waitUntil(lambda: not win.setup.checks.busy, timeout=TIMEOUT_MS)
    assert not win.setup.device_warning.isVisible()
    win.close()


# -- engines and mask operations ------------------------------------------------------------------------------------
def test_engines_are_listed_without_being_created(qtbot, settings, monkeypatch):
    monkeypatch.setattr(registry, "_instances", {})
    win = start(qtbot, settings)
    combo = win.options.engine_combo
    assert [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())] == available_engines()
    assert [name for name, _ in available_engines()] == registry.engine_names()
    assert registry._instances == {}
    win.close()


def test_mask_overlay_wraps_the_mask_without_copying(qapp):
    mask = np.zeros((40, 60), np.uint8)
    overlay = MaskOverlay(mask)
    overlay.update(mask)
    assert overlay.image is None                        # no selection yet: nothing to paint
    mask[5:15, 10:20] = 255
    overlay.update(mask, Rect(10, 5, 20, 15))
    image = overlay.image
    assert image.pixelColor(12, 8).alpha() == round(255 * MASK_OPACITY)
    assert image.pixelColor(12, 8).getRgb()[:3] == (235, 64, 52) and image.pixelColor(0, 0).alpha() == 0
    mask[:] = 255 - mask                                # a whole-mask change in place (invert)...
    overlay.update(mask)
    assert overlay.image is image                       # ...costs the overlay nothing and shows at once
    assert image.pixelColor(12, 8).alpha() == 0 and image.pixelColor(0, 0).alpha() == round(255 * MASK_OPACITY)


def test_mask_operations_on_24_mp_run_as_jobs_and_undo(qtbot, window):
    """Each mask operation on a 24 MP photo runs as a job of the runner and gives mask_ops' own result; undo of
    Clear brings the mask back. How long the UI thread waits meanwhile is measured by the benchmark
    (bench/run_all.py, row ui.mask_ops), not here."""
    h, w = 4000, 6000
    yy, xx = np.mgrid[0:h:8, 0:w:8]
    image = np.repeat(np.repeat(np.stack([xx % 256, yy % 256, (xx + yy) % 256], -1).astype(np.uint8), 8, 0), 8, 1)
    doc = Document(image)
    window.bridge.attach(doc)
    doc.add_to_mask(Rect(2500, 1500, 3500, 2500), np.full((1000, 1000), 255, np.uint8), "blob")
    radius = window.options.radius
    expected = {"invert_mask": mask_ops.invert, "grow_mask": lambda m: mask_ops.grow(m, radius),
                "shrink_mask": lambda m: mask_ops.shrink(m, radius),
                "feather_mask": lambda m: mask_ops.feather(m, radius), "clear_mask": mask_ops.clear}
    for name in ("invert_mask", "grow_mask", "shrink_mask", "feather_mask", "invert_mask", "clear_mask"):
        before = doc.mask.copy()
        reference = expected[name](before)
        with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT_MS) as blocker:
            window.commands[name].trigger()
        assert blocker.args[1] == "done", name
        np.testing.assert_array_equal(doc.mask, reference)
    window.commands.undo.trigger()
    np.testing.assert_array_equal(doc.mask, before)
