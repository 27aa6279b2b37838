"""Half-size copies of a photo for painting it zoomed out.

Qt's smooth drawImage samples bilinearly, which aliases (moire, jagged hair) when a 24 MP photo is shown at
10%. Drawing from the level nearest above the display scale keeps every paint cheap and clean. Levels are built
on first need and refreshed only in the rectangle an edit touched.
"""

from __future__ import annotations

import math
from typing import List, Optional, Tuple

import cv2
import numpy as np
from PySide6.QtGui import QImage

from editor.core.geometry import Rect

from .image_bridge import BufferImage, rgb_image

MIN_LEVEL_SIDE = 256      # stop halving below this size: small levels save nothing


class DisplayPyramid:
    def __init__(self, pixels: np.ndarray) -> None:
        self._levels: List[BufferImage] = [rgb_image(pixels)]   # level 0 wraps the document's own buffer

    @property
    def base(self) -> QImage:
        return self._levels[0].image

    def level_for(self, scale: float) -> Tuple[QImage, int]:
        """The image to draw at display `scale` and its level k (its pixels are 2**k source pixels wide)."""
        if scale >= 0.5:
            return self.base, 0
        wanted = int(math.floor(math.log2(1.0 / scale)))
        while len(self._levels) <= wanted and self._add_level():
            pass
        k = min(wanted, len(self._levels) - 1)
        return self._levels[k].image, k

    def _add_level(self) -> bool:
        prev = self._levels[-1].array
        h, w = prev.shape[0] // 2, prev.shape[1] // 2
        if min(h, w) < MIN_LEVEL_SIDE:
            return False
        # An exact 2:1 INTER_AREA resize is a 2x2 box average; an odd last row/column is dropped.
        half = cv2.resize(prev[: 2 * h, : 2 * w], (w, h), interpolation=cv2.INTER_AREA)
        self._levels.append(rgb_image(np.ascontiguousarray(half)))
        return True

    def refresh(self, rect: Optional[Rect]) -> None:
        """Recompute the built levels under `rect` (full-resolution pixels; None = everything)."""
        if len(self._levels) == 1:
            return
        if rect is None:
            del self._levels[1:]            # rebuilt lazily on the next zoomed-out paint
            return
        for k in range(1, len(self._levels)):
            prev, cur = self._levels[k - 1].array, self._levels[k].array
            h, w = cur.shape[:2]
            r = Rect(rect.x0 >> k, rect.y0 >> k, -((-rect.x1) >> k), -((-rect.y1) >> k)).clip(w, h)
            if r.empty:
                return
            src = prev[2 * r.y0 : 2 * r.y1, 2 * r.x0 : 2 * r.x1]
            cur[r.slices] = cv2.resize(src, (r.width, r.height), interpolation=cv2.INTER_AREA)
