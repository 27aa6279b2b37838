"""Classical redaction fills for sealed regions: blur, pixelate, solid. Each changes only masked pixels.

These hide a region from casual view; blur and pixelate keep coarse shapes and colours (docs/security.md says
when to prefer `solid` or `inpaint`). The originals are what the payload seals, so a fill never needs to be
reversible itself.
"""

from __future__ import annotations

import cv2
import numpy as np

from editor.core.geometry import Rect

SOLID_COLOUR = (0, 0, 0)


def _blur(image: np.ndarray, rect: Rect) -> np.ndarray:
    # Strong enough to remove facial detail: sigma ~ 1/8 of the region's longer side.
    sigma = max(3.0, max(rect.width, rect.height) / 8.0)
    h, w = image.shape[:2]
    outer = rect.pad(int(3 * sigma)).clip(w, h)
    blurred = cv2.GaussianBlur(image[outer.slices], (0, 0), sigmaX=sigma, sigmaY=sigma,
                               borderType=cv2.BORDER_REFLECT)
    return blurred[rect.y0 - outer.y0 : rect.y1 - outer.y0, rect.x0 - outer.x0 : rect.x1 - outer.x0]


def _pixelate(image: np.ndarray, rect: Rect) -> np.ndarray:
    # About 8 blocks across the longer side: shapes stay readable as "a face", identity does not.
    block = max(4, int(round(max(rect.width, rect.height) / 8.0)))
    crop = image[rect.slices]
    small = cv2.resize(crop, (max(1, rect.width // block), max(1, rect.height // block)),
                       interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (rect.width, rect.height), interpolation=cv2.INTER_NEAREST)


def _solid(image: np.ndarray, rect: Rect) -> np.ndarray:
    return np.broadcast_to(np.array(SOLID_COLOUR, np.uint8), (rect.height, rect.width, 3))


CLASSICAL_FILLS = {"blur": _blur, "pixelate": _pixelate, "solid": _solid}


def apply_classical_fill(image: np.ndarray, rect: Rect, mask: np.ndarray, fill: str) -> None:
    """Replace the masked pixels of `rect` in `image` (H x W x 3 uint8, modified in place) with `fill`."""
    patch = CLASSICAL_FILLS[fill](image, rect)
    view = image[rect.slices]
    view[mask] = patch[mask]
