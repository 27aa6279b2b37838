"""The reference engine on a public-domain pair: the astronaut, and a turned, bent, relit view of her wearing a
mask (tests/reference_pair.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from editor.inpaint.reference import VISIBLE, ReferenceFace, fill_from_reference, hidden_landmarks
from editor.services.faces import detect_faces
from editor.services.unmask_service import find_and_fill_masks
from editor.vision.face_mesh import delaunay
from reference_pair import masked_pair, psnr            # tests/reference_pair.py


@pytest.fixture(scope="module")
def pair():
    try:
        made = masked_pair()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    plain = find_and_fill_masks(made.masked)
    model_fill = made.masked.copy()
    model_fill[plain.rect.slices] = plain.pixels
    return made, plain.holes[0], model_fill


def run(made, hole, model_fill, reference: np.ndarray) -> np.ndarray:
    truth68 = detect_faces(made.truth)[0].landmarks68          # the hidden landmarks, known here
    ref68 = detect_faces(reference)[0].landmarks68
    fill = fill_from_reference(made.masked, model_fill, hole.rect, hole.alpha, truth68,
                               ReferenceFace(reference, ref68))
    out = model_fill.copy()
    out[fill.rect.slices] = fill.pixels
    assert fill.covered > 0.6                  # most of the hole lies on the face
    return out


def test_the_reference_fills_the_hole_closer_to_the_truth_than_the_model(pair):
    made, hole, model_fill = pair
    out = run(made, hole, model_fill, made.reference)
    covered = made.coverage > 0
    assert psnr(out, made.truth, covered) > psnr(model_fill, made.truth, covered) + 4.0   # measured 21.0 -> 27.6
    outside = np.ones(out.shape[:2], bool)
    outside[hole.rect.slices] = hole.alpha == 0
    np.testing.assert_array_equal(out[outside], made.masked[outside])    # nothing outside the hole changes


def test_the_reference_is_relit_to_the_photo(pair):
    made, hole, model_fill = pair
    dark = np.clip(made.reference.astype(np.float32) * np.float32([0.55, 0.6, 0.7]), 0, 255).astype(np.uint8)
    covered = made.coverage > 0
    as_is = psnr(run(made, hole, model_fill, made.reference), made.truth, covered)
    relit = run(made, hole, model_fill, dark)
    assert psnr(relit, made.truth, covered) > as_is - 1.5                # the gain field undoes the dim, cold light
    # ... and the fill's brightness is the photo's, not the dark reference's.
    assert abs(float(relit[covered].mean()) - float(made.truth[covered].mean())) < 8


def test_hidden_landmarks_keep_the_visible_ones_and_follow_their_similarity():
    rng = np.random.default_rng(0)
    reference = rng.uniform(50, 150, (68, 2))
    matrix = cv2.getRotationMatrix2D((100.0, 100.0), 12.0, 1.3)
    target = reference @ matrix[:, :2].T + matrix[:, 2]
    masked = target.copy()
    hidden = [i for i in range(68) if i not in VISIBLE]
    masked[hidden] += rng.normal(0, 15, (len(hidden), 2))             # a masked face's guesses below the mask
    estimate = hidden_landmarks(masked, reference)
    np.testing.assert_allclose(estimate[list(VISIBLE)], masked[list(VISIBLE)])
    np.testing.assert_allclose(estimate[hidden], target[hidden], atol=1e-6)


def test_delaunay_uses_every_point_once_per_corner():
    points = np.random.default_rng(1).uniform(0, 100, (40, 2))
    triangles = delaunay(points)
    assert set(np.unique(triangles)) == set(range(40))
    hull = cv2.convexHull(points.astype(np.float32))
    u, v = points[triangles[:, 1]] - points[triangles[:, 0]], points[triangles[:, 2]] - points[triangles[:, 0]]
    area = float(np.abs(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]).sum() / 2)
    assert area == pytest.approx(cv2.contourArea(hull), rel=1e-6)     # the triangles tile the hull exactly
