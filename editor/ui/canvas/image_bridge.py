"""numpy <-> QImage without copies: the canvas paints straight from the document's buffers.

A QImage made here wraps the numpy memory, so in-place edits of the array (brush, undo, inpaint) show up on the
next paint with no conversion; the caller must keep the array alive as long as the QImage (`BufferImage` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from PySide6.QtGui import QColor, QImage

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


def mask_colour_table() -> list[int]:
    """ARGB per mask value 0..255: the tint colour, its opacity proportional to the value."""
    r, g, b = MASK_RGB
    return [QColor(r, g, b, int(round(v * MASK_OPACITY))).rgba() for v in range(256)]


class MaskOverlay:
    """The mask tint: an Indexed8 QImage over the document's own mask buffer, coloured by a 256-entry table.

    Nothing is copied or re-tinted, so a whole-image change of a 24 MP mask (invert, grow, undo) costs the
    overlay nothing; Qt maps the values through the table while painting only the exposed part. The image is
    made at the first selection, so a photo without a mask paints no overlay at all.
    """

    _TABLE: Optional[list[int]] = None

    def __init__(self, mask: np.ndarray) -> None:
        self._mask = mask
        self._image: Optional[QImage] = None

    @property
    def image(self) -> Optional[QImage]:
        return self._image

    def update(self, mask: np.ndarray, rect: Optional[Rect] = None) -> None:
        """Follow an edit of `mask` in `rect` (None = all); only a new mask array or a first selection costs."""
        if mask is not self._mask:
            self._mask, self._image = mask, None
        if self._image is None:
            h, w = mask.shape
            r = (rect or Rect(0, 0, w, h)).clip(w, h)
            if not r.empty and mask[r.slices].any():
                self._image = self._wrap(mask)

    @classmethod
    def _wrap(cls, mask: np.ndarray) -> QImage:
        if mask.dtype != np.uint8 or mask.ndim != 2 or not mask.flags.c_contiguous:
            raise ValueError("the mask must be a C-contiguous H x W uint8 array")
        if cls._TABLE is None:
            cls._TABLE = mask_colour_table()
        h, w = mask.shape
        image = QImage(mask.data, w, h, mask.strides[0], QImage.Format.Format_Indexed8)
        image.setColorTable(cls._TABLE)
        return image
