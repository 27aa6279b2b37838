"""The identity engine on the public-domain astronaut: identity gone, geometry kept, deterministic, fallbacks.

Every check re-measures the output independently (Veil's own detector, dlib's predictor and recognizer) rather
than trusting the numbers the engine reports about itself.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from editor.anonymize.engine import ANONYMIZED, FAILED, FALLBACK, AnonymizeOptions
from editor.anonymize.identity import default_embedder, distance
from editor.anonymize.recognizers import default_recognizers
from editor.anonymize.mesh import INNER_MOUTH, fill_polygon, liquify, mesh_points
from editor.anonymize.verify import VerificationLimits, landmark_nme
from editor.core.faces import Face
from editor.vision.pipeline import default_pipeline


def _found_again(image: np.ndarray, face: Face) -> Face:
    faces = [f for f in default_pipeline().find_faces(image) if f.landmarks68 is not None]
    assert faces, "the anonymized face is not detected again"
    return min(faces, key=lambda f: np.hypot(f.box[0] - face.box[0], f.box[1] - face.box[1]))


def test_identity_changes_and_geometry_stays(engine, astronaut, astronaut_face):
    out, (outcome,) = engine.anonymize(astronaut, [astronaut_face], seed=1)
    assert outcome.status == ANONYMIZED and not outcome.flagged and outcome.identity is not None
    again = _found_again(out, astronaut_face)
    assert landmark_nme(again.landmarks68, astronaut_face.landmarks68) <= 0.06
    # Every recognizer sees another person, and the engine's own report agrees with the independent measurement.
    assert outcome.check.passed
    for rec in default_recognizers():
        emb = rec.embedder
        d = distance(emb.embed(out, again.landmarks68), emb.embed(astronaut, astronaut_face.landmarks68))
        assert d >= rec.threshold, rec.name
        assert abs(outcome.check.distance(rec.name) - d) < 0.05, rec.name
    # Skin tone and lighting stay: the face's mean colour moves by a few levels only.
    inside = outcome.patch.mask
    before, after = astronaut[outcome.patch.rect.slices][inside], out[outcome.patch.rect.slices][inside]
    assert np.abs(before.mean(axis=0) - after.mean(axis=0)).max() < 12


def test_only_the_face_region_changes(engine, astronaut, astronaut_face):
    out, (outcome,) = engine.anonymize(astronaut, [astronaut_face], seed=1)
    changed = np.any(out != astronaut, axis=2)
    allowed = np.zeros_like(changed)
    allowed[outcome.patch.rect.slices] = outcome.patch.mask
    assert changed.any() and not (changed & ~allowed).any()
    x, y, w, h = astronaut_face.box
    assert outcome.patch.rect.width < 3 * w and outcome.patch.rect.height < 3 * h


def test_deterministic_per_seed_and_seeds_differ(engine, astronaut, astronaut_face):
    a1, (o1,) = engine.anonymize(astronaut, [astronaut_face], seed=7)
    a2, (o2,) = engine.anonymize(astronaut, [astronaut_face], seed=7)
    b, (o3,) = engine.anonymize(astronaut, [astronaut_face], seed=8)
    assert np.array_equal(a1, a2) and o1.identity == o2.identity
    assert o3.identity != o1.identity
    emb = default_embedder()
    d = distance(emb.embed(a1, _found_again(a1, astronaut_face).landmarks68),
                 emb.embed(b, _found_again(b, astronaut_face).landmarks68))
    assert d >= 0.45, f"two seeds gave nearly the same face (dlib distance {d:.2f})"


def _open_mouth(image: np.ndarray, face: Face) -> np.ndarray:
    """The photo with the jaw dropped by 0.3 inter-ocular distances and a dark mouth opening: an open mouth."""
    lm = face.landmarks68.astype(np.float64)
    iod = float(np.linalg.norm(lm[36] - lm[45]))
    moved = lm.copy()
    drop = np.zeros(68)
    drop[[5, 6, 7, 8, 9, 10, 11]] = [0.3, 0.6, 0.85, 1.0, 0.85, 0.6, 0.3]
    drop[55:60] = 1.0
    drop[[64, 65, 66, 67, 60]] = [0.5, 1.0, 1.0, 1.0, 0.5]
    drop[[48, 54]] = 0.5
    moved[:, 1] += 0.3 * iod * drop
    from editor.anonymize.bank import default_bank

    out = liquify(image.astype(np.float32), mesh_points(lm), mesh_points(moved), default_bank().ring_triangles)
    mouth = fill_polygon(image.shape[:2], moved[INNER_MOUTH]) > 0.5
    out[mouth] = out[mouth] * 0.25 + np.array([60, 20, 25]) * 0.75
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def test_open_mouth_is_kept(engine, astronaut, astronaut_face):
    photo = _open_mouth(astronaut, astronaut_face)
    face = _found_again(photo, astronaut_face)
    lm = face.landmarks68
    gap = np.linalg.norm(lm[62] - lm[66]) / np.linalg.norm(lm[36] - lm[45])
    assert gap > 0.2, "the test photo should have a clearly open mouth"
    out, (outcome,) = engine.anonymize(photo, [face], seed=3)
    assert outcome.status == ANONYMIZED
    again = _found_again(out, face).landmarks68
    gap_after = np.linalg.norm(again[62] - again[66]) / np.linalg.norm(again[36] - again[45])
    assert gap_after > 0.6 * gap, "the new face's mouth must stay clearly open"
    # The mouth opening (teeth, tongue) is the original's own pixels.
    inner = cv2.erode((fill_polygon(photo.shape[:2], lm[INNER_MOUTH]) > 0.5).astype(np.uint8), np.ones((5, 5)))
    diff = np.abs(out.astype(int) - photo.astype(int))[inner > 0]
    assert diff.mean() < 4


@pytest.mark.parametrize("mode", ["pixelate", "blur"])
def test_tiny_face_gets_the_fallback_and_is_flagged(engine, astronaut, astronaut_face, mode):
    small = cv2.resize(astronaut, (160, 160), interpolation=cv2.INTER_AREA)
    x, y, w, h = (v * 160 / 512 for v in astronaut_face.box)
    assert min(w, h) < 40
    face = Face(box=(x, y, w, h), score=0.9, landmarks5=astronaut_face.landmarks5 * 160 / 512)
    out, (outcome,) = engine.anonymize(small, [face], seed=1, options=AnonymizeOptions(fallback=mode))
    assert outcome.status == FALLBACK and outcome.flagged and outcome.method == mode
    assert "under 40 px" in outcome.reasons[0]
    inside = outcome.patch.mask
    region_before = small[outcome.patch.rect.slices][inside].astype(float)
    region_after = out[outcome.patch.rect.slices][inside].astype(float)
    assert inside.sum() >= 0.6 * w * h
    # Fine detail is gone: the local contrast of the face drops sharply.
    assert np.abs(np.diff(region_after, axis=0)).mean() < 0.5 * np.abs(np.diff(region_before, axis=0)).mean()


def test_face_without_landmarks_is_obscured_not_skipped(engine, astronaut, astronaut_face):
    face = Face(box=astronaut_face.box, score=0.9, landmarks5=astronaut_face.landmarks5)
    out, (outcome,) = engine.anonymize(astronaut, [face], seed=1)
    assert outcome.status == FALLBACK and "landmarks" in outcome.reasons[0]
    assert np.any(out[outcome.patch.rect.slices] != astronaut[outcome.patch.rect.slices])


def test_face_failing_verification_is_obscured_and_flagged(engine, astronaut, astronaut_face):
    impossible = AnonymizeOptions(limits=VerificationLimits(margin=2.0), max_tries=2)
    out, (outcome,) = engine.anonymize(astronaut, [astronaut_face], seed=1, options=impossible)
    assert outcome.status == FAILED and outcome.flagged and outcome.method == "pixelate"
    assert outcome.check is not None and not outcome.check.passed
    assert any("dlib ResNet distance" in r for r in outcome.reasons)
    assert any("FaceNet distance" in r for r in outcome.reasons)


def test_rescue_pass_retries_the_same_identities_with_more_shape_only_after_all_fail(engine, astronaut, astronaut_face):
    impossible = AnonymizeOptions(limits=VerificationLimits(margin=2.0), max_tries=2)
    _, (rescued,) = engine.anonymize(astronaut, [astronaut_face], seed=1, options=impossible)
    assert any("in 4 tries" in r for r in rescued.reasons)
    _, (plain,) = engine.anonymize(astronaut, [astronaut_face], seed=1, options=replace(impossible, rescue_gain=1.0))
    assert any("in 2 tries" in r for r in plain.reasons)
    # A face that passes at once never pays for the rescue pass.
    _, (easy,) = engine.anonymize(astronaut, [astronaut_face], seed=1)
    assert easy.status == ANONYMIZED


def test_two_faces_in_one_photo_get_different_identities(engine, astronaut):
    pair = np.ascontiguousarray(np.hstack([astronaut, astronaut[:, ::-1]]))
    faces = [f for f in default_pipeline().find_faces(pair) if f.landmarks68 is not None]
    assert len(faces) == 2
    out, outcomes = engine.anonymize(pair, faces, seed=5)
    assert [o.status for o in outcomes] == [ANONYMIZED, ANONYMIZED]
    assert outcomes[0].identity != outcomes[1].identity


def _lightness(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2LAB)[..., 0].astype(np.float64)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_new_face_is_as_sharp_as_the_photo_and_has_no_seam(engine, astronaut, astronaut_face, seed):
    out, (outcome,) = engine.anonymize(astronaut, [astronaut_face], seed=seed)
    lm = astronaut_face.landmarks68
    inner = fill_polygon(astronaut.shape[:2], cv2.convexHull(lm[17:68].astype(np.float32)).reshape(-1, 2)) > 0.5

    def detail(image: np.ndarray) -> float:
        return float(np.abs(cv2.Laplacian(_lightness(image), cv2.CV_64F))[inner].mean())

    # Neither waxy (a blurred texture) nor harsher than the photo: fine detail within 30% of the original's.
    assert 0.7 < detail(out) / detail(astronaut) < 1.3
    # The new pixels fade into the photo: along the changed region's outer border they barely differ from it
    # (holes inside, the kept mouth and eyes, are the original's pixels next to new ones, not a seam).
    changed = np.zeros(astronaut.shape[:2], np.uint8)
    changed[outcome.patch.rect.slices] = outcome.patch.mask
    contours, _ = cv2.findContours(changed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    changed = cv2.drawContours(np.zeros_like(changed), contours, -1, 1, cv2.FILLED)
    border = (cv2.dilate(changed, np.ones((3, 3), np.uint8)) - cv2.erode(changed, np.ones((5, 5), np.uint8))) > 0
    # A seam shows on smooth skin; where the border crosses an edge of the photo (a fringe) it cannot be seen.
    light = _lightness(astronaut)
    smooth = np.hypot(cv2.Sobel(light, cv2.CV_64F, 1, 0), cv2.Sobel(light, cv2.CV_64F, 0, 1)) < 40
    step = np.abs(out.astype(np.float64) - astronaut.astype(np.float64)).max(axis=2)[border & smooth]
    assert len(step) > 200 and step.mean() < 3 and np.percentile(step, 95) < 15
