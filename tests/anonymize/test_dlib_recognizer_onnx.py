"""dlib's recognizer on ONNX Runtime (models/dlib_recognizer.onnx): the same descriptors as dlib itself on real
faces, the shipped file checked against its manifest row, and dlib as the fallback only when the file is missing.

Faces: the astronaut fixture and skimage's cameraman (both public domain). The reference is dlib computing the
descriptors in this run, so the test checks the conversion against its source, not against stored numbers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage

from editor.anonymize import identity
from editor.anonymize.identity import IdentityEmbedder, recognizer_path
from editor.core.errors import ModelError
from editor.core.files import file_sha256
from editor.runtime import models
from editor.vision.pipeline import default_pipeline

# The build measured 4.2e-7 (components) and 4.9e-7 (distances) on 41 faces; 1e-5 leaves room for another CPU's
# summation order and is still far below anything a threshold of ~0.65 could notice.
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def chips(astronaut, astronaut_face) -> list[np.ndarray]:
    camera = cv2.cvtColor(cv2.imread(str(Path(skimage.__file__).parent / "data" / "camera.png")), cv2.COLOR_BGR2RGB)
    faces = default_pipeline().find_faces(camera)
    assert len(faces) == 1 and faces[0].landmarks68 is not None
    smaller = cv2.resize(astronaut, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)
    lm = astronaut_face.landmarks68
    return [identity.face_chip(astronaut, lm), identity.face_chip(camera, faces[0].landmarks68),
            identity.face_chip(smaller, (lm + 0.5) * 0.7 - 0.5)]


@pytest.fixture(scope="module")
def dlib_embedder() -> IdentityEmbedder:
    return IdentityEmbedder(recognizer_path())


@pytest.fixture
def models_copy(tmp_path, monkeypatch) -> Path:
    """A private copy of the shipped models folder's manifest and recognizer, made the active one."""
    folder = tmp_path / "models"
    folder.mkdir()
    shipped = models._default_models_dir()
    shutil.copy2(shipped / "manifest.json", folder)
    shutil.copy2(shipped / identity_row()["file"], folder)
    monkeypatch.setenv(models.ENV_MODELS_DIR, str(folder))
    return folder


def identity_row() -> dict:
    return json.loads((models._default_models_dir() / "manifest.json").read_text())["models"][identity.MODEL_NAME]


def test_the_shipped_file_matches_its_manifest_row(monkeypatch):
    monkeypatch.delenv(models.ENV_MODELS_DIR, raising=False)
    row = models.model_info(identity.MODEL_NAME)
    path = models.models_dir() / row["file"]
    assert file_sha256(path) == row["sha256"] and path.stat().st_size == row["bytes"]
    assert row["licence"].startswith("Public domain") and (models.models_dir() / row["notice"]).is_file()
    assert row["inputs"][0]["shape"][1:] == [identity.CHIP_SIZE, identity.CHIP_SIZE, 3]
    assert row["inputs"][0]["dtype"] == "uint8"
    assert row["outputs"][0]["shape"][1] == identity.DESCRIPTOR_SIZE
    assert row["conversion"]["onnx_vs_dlib_max_abs"] < TOLERANCE


def test_onnx_descriptors_match_dlibs_on_real_faces(chips, dlib_embedder, monkeypatch):
    monkeypatch.delenv(models.ENV_MODELS_DIR, raising=False)
    onnx = IdentityEmbedder()
    assert onnx.backend == "onnxruntime" and dlib_embedder.backend == "dlib"
    got, want = onnx.embed_chips(chips), dlib_embedder.embed_chips(chips)
    assert got.shape == (len(chips), identity.DESCRIPTOR_SIZE) and got.dtype == np.float32
    assert np.abs(got - want).max() < TOLERANCE
    for i in range(len(chips)):
        for j in range(i + 1, len(chips)):
            assert abs(identity.distance(got[i], got[j]) - identity.distance(want[i], want[j])) < TOLERANCE
    # The astronaut and her photo at 70% are one person for dlib; the cameraman is another.
    assert identity.distance(got[0], got[2]) < identity.SAME_PERSON < identity.distance(got[0], got[1])
    singles = np.concatenate([onnx.embed_chips([c]) for c in chips])
    assert np.abs(singles - got).max() < 1e-6                  # a face's descriptor does not depend on its batch
    assert onnx.embed_chips([]).shape == (0, identity.DESCRIPTOR_SIZE)


def test_dlib_computes_the_descriptors_only_when_the_file_is_missing(models_copy, chips):
    assert IdentityEmbedder().backend == "onnxruntime"
    (models_copy / identity_row()["file"]).unlink()
    fallback = IdentityEmbedder()
    assert fallback.backend == "dlib" and fallback.embed_chips(chips[:1]).shape == (1, identity.DESCRIPTOR_SIZE)


def test_a_damaged_file_is_refused_not_replaced_by_dlib(models_copy, chips):
    target = models_copy / identity_row()["file"]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    embedder = IdentityEmbedder()
    assert embedder.backend == "onnxruntime"
    with pytest.raises(ModelError, match=r"corrupt \(checksum mismatch\)"):
        embedder.embed_chips(chips[:1])


def test_chips_of_another_size_are_refused_with_a_sentence():
    with pytest.raises(ValueError, match="150 x 150 RGB uint8"):
        identity.network_input([np.zeros((160, 160, 3), np.uint8)])
