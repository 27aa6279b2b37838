"""Training puts masks on faces and finds landmarks with the app's own tools: one mask-template reader (with
the chin anchor the shipped models were trained with) and one landmark finder."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from editor.vision import synthetic_mask
from editor.vision.largest_face import largest_face
from models.training import synth_masks
from models.training.prepare_faces import align_face, prepare
from training_helpers import MEAN_FACE

ASTRONAUT = Path(__file__).resolve().parents[1] / "fixtures" / "astronaut.png"
TEMPLATES = Path(__file__).resolve().parents[3] / "shared" / "data" / "mask-templates"   # the `library` fixture's


def test_training_reads_the_apps_templates_shrunk(library):
    app = {t.name: t for t in synthetic_mask.load_templates(TEMPLATES, names=None)}
    assert {t.name for t in library.templates} == set(app)
    for template in library.templates:
        full = app[template.name]
        scale = synth_masks.TEMPLATE_WIDTH / full.rgba.shape[1]
        assert np.allclose(template.anchors, full.anchors * scale, atol=1e-3)
        small_alpha = cv2.resize(full.rgba[..., 3], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        assert np.abs(template.rgba[..., 3] * 255 - small_alpha).max() < 1e-3


def test_both_place_the_chin_anchor_just_under_the_chin():
    anchors = synth_masks.face_anchors(MEAN_FACE)
    assert synth_masks.face_anchors is synthetic_mask.face_anchors
    chin, bridge = MEAN_FACE[8], MEAN_FACE[28]
    assert np.allclose(anchors[4], chin + synthetic_mask.CHIN_DROP * (chin - bridge))
    assert anchors[4][1] > chin[1] + 5                          # below the chin contour, not on it
    assert np.array_equal(anchors[[0, 1, 2, 3, 5]], MEAN_FACE[[1, 28, 15, 5, 11]])


def test_the_apps_mask_wraps_under_the_chin(library):
    template = synthetic_mask.load_templates(TEMPLATES, ("surgical",))[0]
    face = np.full((256, 256, 3), 200, np.uint8)
    _, coverage = synthetic_mask.wear_mask(face, MEAN_FACE, template)
    x, y = MEAN_FACE[8].astype(int)
    assert coverage[y + 3, x] == 255                            # the mask covers the chin's underside
    assert coverage[int(MEAN_FACE[30, 1]), int(MEAN_FACE[30, 0])] == 255
    assert coverage[int(MEAN_FACE[37, 1]), int(MEAN_FACE[37, 0])] == 0


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(ASTRONAUT)), cv2.COLOR_BGR2RGB)


def test_largest_face_is_the_bigger_of_two(astronaut):
    small = cv2.resize(astronaut, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    canvas = np.zeros((astronaut.shape[0], astronaut.shape[1] + small.shape[1], 3), np.uint8)
    canvas[:small.shape[0], :small.shape[1]] = small
    canvas[:, small.shape[1]:] = astronaut
    face = largest_face(canvas)
    alone = largest_face(astronaut)
    assert face is not None and alone is not None
    assert face.box[0] > small.shape[1]                          # the full-size copy, right of the small one
    assert np.abs(face.landmarks68 - alone.landmarks68 - [small.shape[1], 0]).max() <= 3.0
    assert largest_face(np.zeros((200, 200, 3), np.uint8)) is None


def test_the_aligned_face_cache_uses_the_apps_landmarks(tmp_path, astronaut):
    person = tmp_path / "celeba" / "celeb_0"
    person.mkdir(parents=True)
    cv2.imwrite(str(person / "000001.jpg"), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    prepare(tmp_path, tmp_path / "faces.npz")
    rgb = cv2.cvtColor(cv2.imread(str(person / "000001.jpg")), cv2.COLOR_BGR2RGB)
    crop, landmarks = align_face(rgb, largest_face(rgb).landmarks68)
    with np.load(tmp_path / "faces.npz") as cache:
        assert cache["files"].tolist() == ["celeb_0/000001.jpg"] and cache["identity"].tolist() == [0]
        assert np.array_equal(cache["landmarks"][0], landmarks) and np.array_equal(cache["images"][0], crop)
