"""Model manifest and checksum-verified model paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import editor
from editor.core.errors import ModelError
from editor.runtime import models
from editor.runtime.models import load_manifest, model_info, model_path, models_dir

YUNET_FILE = "face_detection_yunet_2026may.onnx"


def test_shipped_folder_manifest_and_detector(monkeypatch):
    monkeypatch.delenv(models.ENV_MODELS_DIR, raising=False)
    assert models_dir() == Path(editor.__file__).resolve().parent.parent / "models"
    manifest = load_manifest()
    assert manifest["version"] == 1
    row = manifest["models"]["yunet"]
    for key in ("file", "sha256", "bytes", "task", "inputs", "outputs", "licence", "trained_on", "metrics"):
        assert key in row, key
    assert row["licence"] == "MIT" and (models_dir() / row["notice"]).is_file()
    path = model_path("yunet")
    assert path == models_dir() / YUNET_FILE and path.stat().st_size == row["bytes"]


@pytest.fixture
def models_copy(tmp_path: Path, monkeypatch) -> Path:
    """A private copy of the shipped models folder, made the active one through VEIL_MODELS_DIR."""
    folder = tmp_path / "models"
    folder.mkdir()
    source = Path(editor.__file__).resolve().parent.parent / "models"
    shutil.copy2(source / "manifest.json", folder)
    shutil.copy2(source / YUNET_FILE, folder)
    monkeypatch.setenv(models.ENV_MODELS_DIR, str(folder))
    return folder


def test_env_var_selects_the_folder(models_copy):
    assert models_dir() == models_copy.resolve()
    assert model_path("yunet") == models_copy.resolve() / YUNET_FILE


def test_a_flipped_byte_is_refused(models_copy):
    target = models_copy / YUNET_FILE
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(ModelError) as err:
        model_path("yunet")
    message = str(err.value)
    assert message == f"The face detector model ({target.resolve()}) is corrupt (checksum mismatch); reinstall Veil."


def test_a_truncated_file_is_refused(models_copy):
    target = models_copy / YUNET_FILE
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(ModelError, match=r"is corrupt \(checksum mismatch\); reinstall Veil\.$"):
        model_path("yunet")


def test_a_missing_file_is_refused(models_copy):
    (models_copy / YUNET_FILE).unlink()
    with pytest.raises(ModelError) as err:
        model_path("yunet")
    assert str(err.value) == f"The face detector model ({(models_copy / YUNET_FILE).resolve()}) is missing; reinstall Veil."


def test_the_shipped_folder_is_named_short(monkeypatch, tmp_path):
    # Messages for the shipped folder name the file as the user sees it in the install: models/<file>.
    monkeypatch.delenv(models.ENV_MODELS_DIR, raising=False)
    real = models._default_models_dir()
    fake = tmp_path / "models"
    fake.mkdir()
    shutil.copy2(real / "manifest.json", fake)
    monkeypatch.setattr(models, "_default_models_dir", lambda: fake)
    with pytest.raises(ModelError) as err:
        model_path("yunet")
    assert str(err.value) == f"The face detector model (models/{YUNET_FILE}) is missing; reinstall Veil."


def test_a_good_file_is_hashed_once(models_copy, monkeypatch):
    calls = []
    real_hash = models._sha256
    monkeypatch.setattr(models, "_sha256", lambda p: calls.append(p) or real_hash(p))
    for _ in range(3):
        model_path("yunet")
    assert len(calls) == 1
    target = models_copy / YUNET_FILE                     # replaced on disk: verified again, and refused
    data = bytearray(target.read_bytes())
    data[100] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="corrupt"):
        model_path("yunet")


def test_manifest_problems_are_model_errors(models_copy):
    with pytest.raises(ModelError, match=r"is not listed in the model manifest; reinstall Veil\.$"):
        model_info("no-such-model")
    (models_copy / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match=r"is unreadable; reinstall Veil\.$"):
        load_manifest()
    (models_copy / "manifest.json").write_text('{"version": 99, "models": {}}', encoding="utf-8")
    with pytest.raises(ModelError, match=r"unknown format; reinstall Veil\.$"):
        load_manifest()
    (models_copy / "manifest.json").unlink()
    with pytest.raises(ModelError, match=r"manifest .* is missing; reinstall Veil\.$"):
        load_manifest()
