"""Synthetic masks: deterministic per seed, the hole covers every pixel the template touches, sane placement."""

import cv2
import numpy as np
import pytest

from training_helpers import MEAN_FACE
from models.training.align import alignment_matrix, five_from_68, transform_points
from models.training.synth_masks import KINDS, face_anchors, head_side, synthesize


def test_same_seed_same_pair_different_seed_different(library, face):
    a = synthesize(face, MEAN_FACE, library, np.random.default_rng([3, 11]))
    b = synthesize(face, MEAN_FACE, library, np.random.default_rng([3, 11]))
    c = synthesize(face, MEAN_FACE, library, np.random.default_rng([4, 11]))
    assert a.template == b.template
    assert np.array_equal(a.masked, b.masked) and np.array_equal(a.hole, b.hole)
    assert not np.array_equal(a.masked, c.masked)


@pytest.mark.parametrize("kind", KINDS)
def test_hole_covers_every_pixel_the_template_touches(library, face, kind):
    made = synthesize(face, MEAN_FACE, library, np.random.default_rng(5), kind=kind)
    touched = made.alpha > 0
    assert touched.any()
    assert not (touched & ~made.hole).any()
    changed = np.abs(made.masked.astype(int) - face.astype(int)).max(axis=2) > 0
    assert not (changed & ~made.hole).any()          # outside the hole the face is untouched
    # The mask covers the mouth and the nose tip and leaves the eyes free (frontal face).
    for point in (MEAN_FACE[30], MEAN_FACE[62]):
        assert made.hole[int(point[1]), int(point[0])]
    for point in (MEAN_FACE[36:42].mean(0), MEAN_FACE[42:48].mean(0)):
        if kind != "gas":                            # the gas half-mask's filters may reach the cheekbones
            assert not made.hole[int(point[1]), int(point[0])]
    assert 0.08 < made.hole.mean() < 0.5


def test_turned_head_gets_a_profile_template(library, face):
    turned = MEAN_FACE.copy()
    turned[27:36, 0] -= 40                           # nose shifted towards the image's left
    assert head_side(MEAN_FACE) == "front"
    assert head_side(turned) == "left"
    made = synthesize(face, turned, library, np.random.default_rng(1))
    assert made.template.endswith("_left")


def test_anchors_follow_the_landmarks():
    anchors = face_anchors(MEAN_FACE)
    assert anchors.shape == (6, 2)
    assert anchors[0, 0] < anchors[1, 0] < anchors[2, 0]          # a, b, c left to right
    assert anchors[4, 1] > anchors[3, 1] and anchors[4, 1] > anchors[5, 1]   # chin below the jaw points


def test_alignment_maps_a_scaled_rotated_face_back_to_the_canonical_frame():
    angle = np.deg2rad(12)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    photo_points = (MEAN_FACE - 128) @ rot.T * 1.7 + [400, 300]   # the face in a bigger, tilted photo
    matrix = alignment_matrix(five_from_68(photo_points))
    back = transform_points(matrix, photo_points)
    reference = transform_points(alignment_matrix(five_from_68(MEAN_FACE)), MEAN_FACE)
    assert np.abs(back - reference).max() < 0.05
    crop = cv2.warpAffine(np.zeros((600, 800, 3), np.uint8), matrix, (256, 256))
    assert crop.shape == (256, 256, 3)
