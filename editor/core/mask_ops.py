"""Mask operations on uint8 masks (0 = keep, 255 = selected), each returning a new array.

Grow/shrink/feather work on a crop around the selection so a 50 MP mask with a small selection stays cheap.
"""

from __future__ import annotations

import cv2
import numpy as np

from .geometry import Rect, bounding_rect


def _ellipse(radius: int) -> np.ndarray:
    d = 2 * radius + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d))


def _work_rect(mask: np.ndarray, margin: int) -> Rect | None:
    r = bounding_rect(mask)
    if r is None:
        return None
    h, w = mask.shape
    return r.pad(margin + 2).clip(w, h)


def grow(mask: np.ndarray, radius: int) -> np.ndarray:
    out = mask.copy()
    r = _work_rect(mask, radius)
    if r is None or radius <= 0:
        return out
    out[r.slices] = cv2.dilate(mask[r.slices], _ellipse(radius))
    return out


def shrink(mask: np.ndarray, radius: int) -> np.ndarray:
    out = mask.copy()
    r = _work_rect(mask, radius)
    if r is None or radius <= 0:
        return out
    # The crop reaches `radius` past the selection, so its zeros erode the selection exactly as in the full
    # image; at the image edge OpenCV's default border does not erode (a select-all stays a select-all).
    out[r.slices] = cv2.erode(mask[r.slices], _ellipse(radius))
    return out


def feather(mask: np.ndarray, radius: int) -> np.ndarray:
    """Soft edge: Gaussian blur whose visible width is about `radius` pixels."""
    out = mask.copy()
    r = _work_rect(mask, 2 * radius)
    if r is None or radius <= 0:
        return out
    sigma = max(0.5, radius / 2.0)
    out[r.slices] = cv2.GaussianBlur(mask[r.slices], (0, 0), sigmaX=sigma, sigmaY=sigma)
    return out


def invert(mask: np.ndarray) -> np.ndarray:
    return 255 - mask


def clear(mask: np.ndarray) -> np.ndarray:
    return np.zeros_like(mask)


def binarize(mask: np.ndarray, threshold: int = 127) -> np.ndarray:
    return np.where(mask > threshold, 255, 0).astype(np.uint8)


def brush_dab(diameter: float, hardness: float) -> np.ndarray:
    """A round brush tip as float32 alpha in [0, 1]. Hardness 1 = hard edge, 0 = soft from the centre out."""
    size = max(1, int(np.ceil(diameter)))
    radius = diameter / 2.0
    c = (size - 1) / 2.0
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    dist = np.sqrt((xx - c) ** 2 + (yy - c) ** 2) / max(radius, 0.5)
    hardness = float(np.clip(hardness, 0.0, 1.0))
    inner = hardness * 0.999
    alpha = np.clip((1.0 - dist) / max(1e-3, 1.0 - inner), 0.0, 1.0)
    if diameter <= 2:
        alpha = np.ones_like(alpha)
    return alpha.astype(np.float32)


def stamp(mask: np.ndarray, cx: float, cy: float, dab: np.ndarray, erase: bool) -> Rect:
    """Stamp one dab centred at (cx, cy) into `mask` in place (max for paint, min for erase).

    Returns the changed rectangle (possibly empty). Work is proportional to the dab, not the image.
    """
    h, w = mask.shape
    size = dab.shape[0]
    x0 = int(round(cx - (size - 1) / 2.0))
    y0 = int(round(cy - (size - 1) / 2.0))
    r = Rect(x0, y0, x0 + size, y0 + size).clip(w, h)
    if r.empty:
        return r
    tip = dab[r.y0 - y0 : r.y1 - y0, r.x0 - x0 : r.x1 - x0]
    region = mask[r.slices]
    value = (tip * 255.0 + 0.5).astype(np.uint8)
    if erase:
        np.minimum(region, 255 - value, out=region)
    else:
        np.maximum(region, value, out=region)
    return r


def stroke_segment(mask: np.ndarray, p0: tuple[float, float], p1: tuple[float, float], dab: np.ndarray,
                   erase: bool, spacing: float = 0.25) -> Rect:
    """Stamp dabs along the segment p0 -> p1 (spacing as a fraction of the dab size). Returns the changed rect."""
    dist = float(np.hypot(p1[0] - p0[0], p1[1] - p0[1]))
    step = max(1.0, dab.shape[0] * spacing)
    n = max(1, int(np.ceil(dist / step)))
    changed = Rect(0, 0, 0, 0)
    for i in range(1, n + 1) if dist > 0 else [0]:
        t = i / n if dist > 0 else 0.0
        changed = changed.union(stamp(mask, p0[0] + (p1[0] - p0[0]) * t, p0[1] + (p1[1] - p0[1]) * t, dab, erase))
    return changed
