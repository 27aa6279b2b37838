"""The bank's texture frame: one mean-shape mesh in a FRAME x FRAME square, and the four parts of a collage."""

from __future__ import annotations

import cv2
import numpy as np

from editor.anonymize.mesh import fill_polygon
from models.training.identity_bank.frame import mean_mesh as shared_mean_mesh

FRAME = 160                    # texture side in pixels
FRAME_MARGIN = 0.04
PARTS = ("eyes", "nose", "mouth", "skin")


def mean_mesh(meshes: np.ndarray) -> np.ndarray:
    """Generalised Procrustes mean of the meshes, scaled to fit the frame."""
    return shared_mean_mesh(meshes, FRAME, FRAME_MARGIN)


def part_weights(points: np.ndarray) -> np.ndarray:
    """Soft masks (4 x FRAME x FRAME, summing to 1) of the eyes+brows, nose, mouth+chin and skin regions."""
    def grown(idx, k):
        p = points[list(idx)]
        c = p.mean(axis=0)
        return cv2.convexHull((c + (p - c) * k).astype(np.float32)).reshape(-1, 2)
    shape = (FRAME, FRAME)
    eyes = fill_polygon(shape, grown(list(range(17, 27)) + list(range(36, 48)), 1.15))
    nose = fill_polygon(shape, grown(list(range(27, 36)) + [39, 42], 1.25))
    mouth_pts = np.concatenate([grown(range(48, 60), 1.3), points[6:11]])
    mouth = fill_polygon(shape, cv2.convexHull(mouth_pts.astype(np.float32)).reshape(-1, 2))
    soft = [cv2.GaussianBlur(m, (0, 0), FRAME / 40) for m in (eyes, nose, mouth)]
    stack = np.stack(soft + [np.clip(1 - sum(soft), 0, 1)]) + 1e-6
    return stack / stack.sum(axis=0)
