"""numpy <-> QImage without copies: the canvas paints straight from the document's buffers.

A QImage made here wraps the numpy memory, so in-place edits of the array (brush, undo, inpaint) show up on the
next paint with no conversion; the caller must keep the array alive as long as the QImage (`BufferImage` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from PySide6.QtGui import QImage

from editor.core.geometry import Rect

# Overlay colour for selected (masked) pixels: a warm red at 55% opacity at full mask strength.
MASK_RGB = (235, 64, 52)
MASK_OPACITY = 0.55


@dataclass
class BufferImage:
    """A QImage over a numpy buffer, holding the buffer so it cannot be freed under the image."""

    array: np.ndarray
    image: QImage


def rgb_image(pixels: np.ndarray) -> BufferImage:
    """Wrap H x W x 3 uint8 RGB (C-contiguous rows) as Format_RGB888 with its real bytes per line."""
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise ValueError("expected H x W x 3 uint8 RGB")
    if not pixels.flags.c_contiguous:
        pixels = np.ascontiguousarray(pixels)
    h, w = pixels.shape[:2]
    return BufferImage(pixels, QImage(pixels.data, w, h, pixels.strides[0], QImage.Format.Format_RGB888))


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """Copy any QImage into a new H x W x 3 uint8 RGB array (used for screenshots and tests)."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, bpl = img.height(), img.width(), img.bytesPerLine()
    raw = np.frombuffer(img.constBits(), np.uint8, count=h * bpl).reshape(h, bpl)
    return raw[:, : w * 3].reshape(h, w, 3).copy()


class MaskOverlay:
    """Premultiplied ARGB32 tint of the mask, allocated on first use and refreshed one dirty rect at a time."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self._buffer: Optional[BufferImage] = None
        # Per mask value 0..255: premultiplied B, G, R, A bytes (little-endian ARGB32 layout).
        alpha = np.arange(256, dtype=np.float32) * MASK_OPACITY
        lut = np.empty((256, 4), np.uint8)
        lut[:, 0] = np.round(alpha * MASK_RGB[2] / 255.0)
        lut[:, 1] = np.round(alpha * MASK_RGB[1] / 255.0)
        lut[:, 2] = np.round(alpha * MASK_RGB[0] / 255.0)
        lut[:, 3] = np.round(alpha)
        self._lut = lut.view(np.uint32).reshape(256)     # one 32-bit pixel per mask value

    @property
    def image(self) -> Optional[QImage]:
        return self._buffer.image if self._buffer is not None else None

    def update(self, mask: np.ndarray, rect: Optional[Rect] = None) -> None:
        """Re-tint `rect` (None = all) from the mask; cost is proportional to the rect, not the image."""
        r = (rect or Rect(0, 0, self.width, self.height)).clip(self.width, self.height)
        if r.empty:
            return
        if self._buffer is None:
            if not mask[r.slices].any():
                return                      # nothing selected yet: no overlay memory needed
            argb = np.zeros((self.height, self.width, 4), np.uint8)
            qimg = QImage(argb.data, self.width, self.height, argb.strides[0],
                          QImage.Format.Format_ARGB32_Premultiplied)
            self._buffer = BufferImage(argb, qimg)
            self._pixels32 = argb.view(np.uint32).reshape(self.height, self.width)
        self._pixels32[r.slices] = self._lut[mask[r.slices]]
