"""Verification and the mesh warp it depends on."""

from __future__ import annotations

import numpy as np

from editor.anonymize.bank import default_bank
from editor.anonymize.identity import default_embedder
from editor.anonymize.mesh import mesh_points, warp_to_mesh
from editor.anonymize.verify import landmark_nme, verify_face
from editor.vision.pipeline import default_pipeline


def test_the_untouched_photo_fails_verification(astronaut, astronaut_face):
    original = default_embedder().embed(astronaut, astronaut_face.landmarks68)
    check = verify_face(astronaut, astronaut_face, original, default_pipeline(), default_embedder())
    assert check.redetected and check.landmark_nme < 0.01
    assert check.identity_distance < 0.05 and not check.passed
    assert any("still recognisable" in r for r in check.reasons)
    assert check.to_json()["passed"] is False


def test_a_missing_face_is_reported(astronaut, astronaut_face):
    blank = np.full_like(astronaut, 128)
    original = default_embedder().embed(astronaut, astronaut_face.landmarks68)
    check = verify_face(blank, astronaut_face, original, default_pipeline(), default_embedder())
    assert not check.redetected and check.landmark_nme is None and not check.passed
    assert "not found again" in check.reasons[0]


def test_landmark_nme_is_relative_to_the_eye_distance(astronaut_face):
    lm = astronaut_face.landmarks68.astype(np.float64)
    iod = np.linalg.norm(lm[36] - lm[45])
    assert abs(landmark_nme(lm + [0.1 * iod, 0.0], lm) - 0.1) < 1e-9


def test_identity_warp_reproduces_the_photo(astronaut, astronaut_face):
    points = mesh_points(astronaut_face.landmarks68)
    warped, coverage = warp_to_mesh(astronaut, points, points, default_bank().triangles, astronaut.shape[:2])
    inside = coverage > 0
    assert inside.sum() > 5000
    assert np.abs(warped[inside] - astronaut[inside]).max() < 1.0
