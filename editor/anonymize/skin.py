"""Which pixels of a face are skin, judged against the face's own cheeks.

Hair over the forehead, a beard, a hand or the dark rim of a shadowed eye socket are not skin: they must neither
set the colour and lighting the new face takes over (a fringe would darken the new brows into a smudge) nor be
painted over by it (the fringe is kept). The cheeks below the eyes are almost never covered, so their colour is the
face's skin model: a pixel is skin by its distance to the cheeks' median colour in CIE Lab, with a wide tolerance
in lightness (shading across a face is lighting, not a change of material) and a narrow one in colour.
"""

from __future__ import annotations

import cv2
import numpy as np

from .mesh import fill_polygon

# Below-eye cheek patches (right and left in the image), as landmark polygons shrunk to their centres.
CHEEKS = ((1, 2, 3, 4, 48, 31, 40, 41, 36), (15, 14, 13, 12, 54, 35, 47, 46, 45))
CHEEK_SHRINK = 0.7
LIGHTNESS_TOLERANCE = 3.5     # robust standard deviations (of the cheeks' own spread) still counted as skin
COLOUR_TOLERANCE = 3.0
MIN_SPREAD = np.array([8.0, 2.5, 2.5], np.float32)   # Lab floor of the spread: flat cheeks still accept shading


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """float32 RGB 0..255 to CIE Lab (L 0..100, a and b about -100..100)."""
    return cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def cheek_mask(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, np.float32)
    for cheek in CHEEKS:
        poly = points[list(cheek)]
        centre = poly.mean(axis=0)
        mask = np.maximum(mask, fill_polygon(shape, centre + CHEEK_SHRINK * (poly - centre)))
    return mask


def skin_probability(lab: np.ndarray, points: np.ndarray) -> np.ndarray:
    """0..1 per pixel: how much `lab` (H x W x 3) looks like the cheeks of the face with these mesh `points`."""
    samples = lab[cheek_mask(lab.shape[:2], points) > 0.5]
    if len(samples) < 8:
        return np.ones(lab.shape[:2], np.float32)
    median = np.median(samples, axis=0)
    spread = np.maximum(1.4826 * np.median(np.abs(samples - median), axis=0), MIN_SPREAD)
    z = (lab - median) / spread
    tolerance = np.array([LIGHTNESS_TOLERANCE, COLOUR_TOLERANCE, COLOUR_TOLERANCE], np.float32)
    d2 = ((z / tolerance) ** 2).sum(axis=2)
    return (1.0 / (1.0 + d2 * d2)).astype(np.float32)     # 0.94 at half the tolerance, 0.5 at it, 0.06 at twice
