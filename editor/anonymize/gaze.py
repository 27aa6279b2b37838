"""Keep the gaze without keeping the eyes: the new identity's iris, moved to where the original's iris was.

The original's eye pixels identify the person (iris pattern, lashes, the sclera's shape), so the new face brings
its own eyes. Its iris looks wherever its source looked (mostly ahead), so on its own the new face would stare
elsewhere than the person in the photo. Each eye's iris centre is found as the centroid of the darkest part of the
eye opening (the iris and pupil are darker than the sclera in every eye colour), expressed in the eye's own frame
(corner to corner, and across), and the new face's iris is cut out, its place filled from the sclera around it,
and pasted at the original's relative position, clipped by the lids.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from .mesh import LEFT_EYE, RIGHT_EYE, fill_polygon

IRIS_RADIUS = 0.21        # share of the eye's corner-to-corner width (a visible iris is 0.4-0.45 of it across)
DARK_SHARE = 0.35         # the darkest share of the opening's pixels is taken as iris and pupil
MIN_EYE_PX = 6.0          # narrower eyes are left as rendered: too few pixels to find an iris in


def _eye_frame(eye: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Origin (the eye's centre), unit axis corner to corner, unit normal, and the corner-to-corner width."""
    a, b = eye[0], eye[3]
    axis = b - a
    width = float(np.linalg.norm(axis))
    axis = axis / max(width, 1e-6)
    return eye.mean(axis=0), axis, np.array([-axis[1], axis[0]]), width


def iris_centre(image: np.ndarray, eye: np.ndarray) -> Optional[np.ndarray]:
    """The iris centre inside the eye opening with these six landmarks (image coordinates), or None when the eye
    is too small or too closed to show one."""
    _, _, _, width = _eye_frame(eye)
    if width < MIN_EYE_PX:
        return None
    x0, y0 = np.floor(eye.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(eye.max(axis=0)).astype(int) + 2
    x0, y0 = max(x0, 0), max(y0, 0)
    patch = image[y0:y1, x0:x1]
    if patch.size == 0:
        return None
    opening = fill_polygon(patch.shape[:2], eye - (x0, y0)) > 0.5
    if opening.sum() < 6:
        return None
    grey = cv2.GaussianBlur(patch.astype(np.float32).mean(axis=2), (0, 0), max(0.5, 0.04 * width))
    values = grey[opening]
    cut = np.quantile(values, DARK_SHARE)
    weight = np.where(opening, np.clip(cut - grey, 0, None), 0.0) + np.where(opening & (grey <= cut), 1e-3, 0.0)
    total = float(weight.sum())
    if total <= 0:
        return None
    ys, xs = np.mgrid[0:patch.shape[0], 0:patch.shape[1]]
    return np.array([(xs * weight).sum() / total + x0, (ys * weight).sum() / total + y0])


def relative(point: np.ndarray, eye: np.ndarray) -> np.ndarray:
    """`point` in the eye's frame: (along, across) in eye widths from its centre."""
    origin, axis, normal, width = _eye_frame(eye)
    d = point - origin
    return np.array([d @ axis, d @ normal]) / max(width, 1e-6)


def absolute(rel: np.ndarray, eye: np.ndarray) -> np.ndarray:
    origin, axis, normal, width = _eye_frame(eye)
    return origin + width * (rel[0] * axis + rel[1] * normal)


def moved_irises(new: np.ndarray, eyes_now: list[np.ndarray], gaze: list[Optional[np.ndarray]]) -> np.ndarray:
    """`new` (float32 H x W x 3) with each eye's iris moved to `gaze` (relative positions, as `relative` gives;
    None leaves that eye alone). `eyes_now` are the eyes' landmarks in `new`."""
    out = new.copy()
    for eye, rel in zip(eyes_now, gaze):
        if rel is None:
            continue
        found = iris_centre(new, eye)
        if found is None:
            continue
        target = absolute(rel, eye)
        width = _eye_frame(eye)[3]
        radius = IRIS_RADIUS * width
        shift = target - found
        if float(np.linalg.norm(shift)) < 0.5:
            continue
        opening = fill_polygon(new.shape[:2], eye)
        disc = np.zeros(new.shape[:2], np.uint8)
        cv2.circle(disc, tuple(int(round(v)) for v in found), int(np.ceil(radius)) + 1, 1, -1)
        # The sclera where the iris was: filled from the opening around it (the lids stay as they are).
        hole = (disc > 0) & (opening > 0.5)
        base = np.clip(out, 0, 255).astype(np.uint8)
        filled = cv2.inpaint(base, hole.astype(np.uint8), max(2.0, radius), cv2.INPAINT_TELEA).astype(np.float32)
        shifted = cv2.warpAffine(out, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]), new.shape[1::-1],
                                 flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        iris = np.zeros(new.shape[:2], np.float32)
        cv2.circle(iris, tuple(int(round(v)) for v in target), int(round(radius)), 1.0, -1, lineType=cv2.LINE_AA)
        iris = cv2.GaussianBlur(iris, (0, 0), max(0.4, 0.08 * radius)) * opening
        inside = opening[..., None]
        eye_px = inside * filled + (1 - inside) * out
        out = iris[..., None] * shifted + (1 - iris[..., None]) * eye_px
    return out


def original_gaze(image: np.ndarray, landmarks68: np.ndarray) -> list[Optional[np.ndarray]]:
    """Each eye's iris position relative to its corners (right eye, then left), None where none was found."""
    out = []
    for sl in (RIGHT_EYE, LEFT_EYE):
        eye = np.asarray(landmarks68, np.float64)[sl]
        c = iris_centre(image, eye)
        out.append(None if c is None else relative(c, eye))
    return out
