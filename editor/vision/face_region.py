"""The region "Mask selected faces" selects: the whole face, forehead included, as a uint8 mask of a small rect."""

from __future__ import annotations

import cv2
import numpy as np

from editor.core.faces import Face
from editor.core.geometry import Rect

GROW = 0.04            # the region is grown by this share of the face size so the edge of the skin is covered
FOREHEAD = 1.0         # brows are raised by this many nose lengths (the forehead is about one facial third)
ELLIPSE_GROW = 1.08    # without landmarks: the ellipse in the box, a little larger
ELLIPSE_FOREHEAD = 0.2 # ... and extended upwards by this share of the box height
_SHIFT = 4             # fixed-point bits for sub-pixel polygon filling


def _landmark_outline(lm: np.ndarray, include_forehead: bool) -> np.ndarray:
    jaw, brows = lm[0:17], lm[17:27]
    points = [jaw, brows]
    if include_forehead:
        up = lm[27] - lm[8]
        up /= max(float(np.linalg.norm(up)), 1e-6)
        nose_length = float(np.linalg.norm(lm[33] - lm[27]))
        points.append(brows + up * FOREHEAD * nose_length)
    return cv2.convexHull(np.concatenate(points).astype(np.float32)).reshape(-1, 2)


def _ellipse_outline(face: Face, include_forehead: bool) -> np.ndarray:
    x, y, w, h = face.box
    cx, cy = x + w / 2.0, y + h / 2.0
    ax, ay = w / 2.0 * ELLIPSE_GROW, h / 2.0 * ELLIPSE_GROW
    if include_forehead:
        cy -= h * ELLIPSE_FOREHEAD / 2.0
        ay += h * ELLIPSE_FOREHEAD / 2.0
    t = np.linspace(0.0, 2.0 * np.pi, 72, endpoint=False)
    return np.stack([cx + ax * np.cos(t), cy + ay * np.sin(t)], axis=1)


def _grown(outline: np.ndarray, radius: float) -> np.ndarray:
    """Convex outline grown by `radius` (Minkowski sum with a 16-gon): no dilation pass over a big mask."""
    t = np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False)
    disk = np.stack([np.cos(t), np.sin(t)], axis=1) * radius
    return cv2.convexHull((outline[:, None, :] + disk[None]).reshape(-1, 2).astype(np.float32)).reshape(-1, 2)


def face_mask(face: Face, image_shape: tuple[int, ...], include_forehead: bool = True) -> tuple[Rect, np.ndarray]:
    """(rect clipped to the image, uint8 mask of that rect with 255 on the face); the rect may be empty."""
    height, width = image_shape[:2]
    if face.landmarks68 is not None:
        outline = _landmark_outline(face.landmarks68.astype(np.float64), include_forehead)
    else:
        outline = _ellipse_outline(face, include_forehead)
    outline = _grown(outline, max(2.0, GROW * float(np.sqrt(max(face.box[2] * face.box[3], 1.0)))))
    x0, y0 = np.floor(outline.min(axis=0)).astype(int)
    x1, y1 = np.ceil(outline.max(axis=0)).astype(int) + 1
    rect = Rect(int(x0), int(y0), int(x1), int(y1)).clip(width, height)
    mask = np.zeros((rect.height, rect.width), np.uint8)
    if not rect.empty:
        local = np.round((outline - (rect.x0, rect.y0)) * (1 << _SHIFT)).astype(np.int32)
        cv2.fillConvexPoly(mask, local, 255, lineType=cv2.LINE_8, shift=_SHIFT)
    return rect, mask
