"""Verification and the mesh warp it depends on."""

from __future__ import annotations

import numpy as np

from editor.anonymize.bank import default_bank
from editor.anonymize.recognizers import default_recognizers
from editor.anonymize.mesh import mesh_points, warp_to_mesh
from editor.anonymize.verify import landmark_nme, verify_face
from editor.vision.pipeline import default_pipeline


def _originals(image, face) -> dict:
    return {r.name: r.embedder.embed(image, face.landmarks68) for r in default_recognizers()}


def test_the_untouched_photo_fails_verification_for_every_recognizer(astronaut, astronaut_face):
    recognizers = default_recognizers()
    check = verify_face(astronaut, astronaut_face, _originals(astronaut, astronaut_face), default_pipeline(),
                        recognizers)
    assert check.redetected and check.landmark_nme < 0.01
    assert [c.recognizer for c in check.identity] == ["dlib", "facenet"]
    assert all(c.distance < 0.1 and not c.passed for c in check.identity) and not check.passed
    assert sum("still recognisable" in r for r in check.reasons) == 2
    report = check.to_json()
    assert report["passed"] is False
    assert [row["threshold"] for row in report["identity"]] == [round(r.threshold, 4) for r in recognizers]


def test_a_missing_face_is_reported(astronaut, astronaut_face):
    blank = np.full_like(astronaut, 128)
    check = verify_face(blank, astronaut_face, _originals(astronaut, astronaut_face), default_pipeline(),
                        default_recognizers())
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
