"""A turned face: the new skin reaches past the near contour (the jaw and cheek go with it) but not past the far
one, which is the cheek's silhouette against the background."""

from __future__ import annotations

import numpy as np

from editor.anonymize.bank import default_bank
from editor.anonymize.mesh import face_outline, fill_polygon, mesh_points
from editor.anonymize.synthesis import FAR_SIDE_TURN, synthesize_face, turn


def _changed_outside(image, landmarks, bank, side: int) -> int:
    """Pixels the synthesis changed outside the face outline, beyond the cheek contour on one side (+1: the image's
    right)."""
    patch = synthesize_face(image, landmarks, bank.render_texture(0), bank.points, bank.triangles,
                            bank.ring_triangles)
    changed = np.zeros(image.shape[:2], bool)
    changed[patch.rect.slices] = patch.mask
    outline = fill_polygon(image.shape[:2], face_outline(mesh_points(landmarks))) > 0
    xs = np.arange(image.shape[1])[None, :]
    contour = landmarks[13:16, 0].mean() if side > 0 else landmarks[1:4, 0].mean()
    on_side = (xs - contour) * side > 0
    return int((changed & ~outline & on_side).sum())


def test_the_blend_stops_at_a_turned_faces_far_contour(astronaut, astronaut_face):
    bank = default_bank()
    frontal = astronaut_face.landmarks68.astype(np.float64)
    assert abs(turn(frontal)) < FAR_SIDE_TURN[0]
    # Turned towards the image's right: the nose (and the eyes' inner half) shifted towards the right contour.
    turned = frontal.copy()
    shift = 0.6 * (frontal[13:16, 0].mean() - frontal[30, 0])
    turned[27:36, 0] += shift
    assert turn(turned) > FAR_SIDE_TURN[1]
    far_frontal = _changed_outside(astronaut, frontal, bank, +1)
    far_turned = _changed_outside(astronaut, turned, bank, +1)
    near_turned = _changed_outside(astronaut, turned, bank, -1)
    assert far_frontal > 50, "a frontal face's blend reaches past both contours"
    assert far_turned < 0.2 * far_frontal
    assert near_turned > 0.5 * _changed_outside(astronaut, frontal, bank, -1)
