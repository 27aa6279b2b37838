"""The "mask selected faces" region: landmark hull with forehead, or an ellipse in the box."""

from __future__ import annotations

import copy

import numpy as np

from editor.core.faces import Face
from editor.vision.face_region import face_mask


def _covers(rect, mask, points) -> np.ndarray:
    """For each (x, y) image point: is it selected? (False outside the rect.)"""
    pts = np.round(points).astype(int) - (rect.x0, rect.y0)
    inside = (pts[:, 0] >= 0) & (pts[:, 0] < rect.width) & (pts[:, 1] >= 0) & (pts[:, 1] < rect.height)
    out = np.zeros(len(pts), bool)
    out[inside] = mask[pts[inside, 1], pts[inside, 0]] == 255
    return out


def test_landmark_region_covers_the_face_and_forehead(astronaut, astronaut_face):
    rect, mask = face_mask(astronaut_face, astronaut.shape)
    assert mask.shape == (rect.height, rect.width) and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {0, 255}
    lm = astronaut_face.landmarks68
    assert _covers(rect, mask, lm).all()
    brow_top = lm[17:27, 1].min()
    nose_length = np.linalg.norm(lm[33] - lm[27])
    forehead = np.array([[lm[27, 0], brow_top - 0.8 * nose_length]])
    assert _covers(rect, mask, forehead).all()
    assert not _covers(rect, mask, np.array([[lm[27, 0], brow_top - 1.5 * nose_length]])).any()  # not the hair top
    x, y, w, h = astronaut_face.box
    assert rect.x0 > x - 0.3 * w and rect.x1 < x + 1.3 * w     # hugs the face: no shoulders
    below_chin = np.array([[lm[8, 0], lm[8, 1] + 0.1 * h]])
    assert not _covers(rect, mask, below_chin).any()


def test_without_forehead_the_region_stops_near_the_brows(astronaut, astronaut_face):
    rect_full, mask_full = face_mask(astronaut_face, astronaut.shape, include_forehead=True)
    rect, mask = face_mask(astronaut_face, astronaut.shape, include_forehead=False)
    assert np.count_nonzero(mask) < 0.85 * np.count_nonzero(mask_full)
    assert rect.y0 > rect_full.y0
    brow_top = astronaut_face.landmarks68[17:27, 1].min()
    assert abs(rect.y0 - brow_top) < 0.1 * astronaut_face.box[3]


def test_without_landmarks_an_ellipse_fills_the_box(astronaut, astronaut_face):
    face = copy.copy(astronaut_face)
    face.landmarks68 = None
    rect, mask = face_mask(face, astronaut.shape, include_forehead=False)
    x, y, w, h = face.box
    ellipse_area = np.pi * (w / 2) * (h / 2)
    assert 1.1 < np.count_nonzero(mask) / ellipse_area < 1.5                # grown a little past the box
    assert _covers(rect, mask, np.array([[x + w / 2, y + h / 2]])).all()
    assert not _covers(rect, mask, np.array([[x + 2, y + 2]])).any()      # box corners stay out


def test_a_face_at_the_edge_gives_a_clipped_rect():
    face = Face(box=(-40.0, 300.0, 120.0, 150.0), score=0.9, landmarks5=np.zeros((5, 2), np.float32))
    rect, mask = face_mask(face, (400, 600, 3))
    assert rect.x0 == 0 and rect.y1 == 400 and mask.shape == (rect.height, rect.width)
    assert mask[:, 0].any()                                   # the part inside the image is selected
    outside = Face(box=(700.0, 10.0, 50.0, 50.0), score=0.9, landmarks5=np.zeros((5, 2), np.float32))
    rect, mask = face_mask(outside, (400, 600, 3))
    assert rect.empty and mask.size == 0
