"""Classical (non-learned) inpainting from OpenCV: Telea's fast marching and xphoto's frequency-selective
reconstruction (FSR). They need no model file and run anywhere, so they are the fallback behind the face model.

FSR's cost grows with the number of missing pixels (measured here, 2 shared cores: FSR-best ~4 ms per hole pixel,
a 48x48 hole takes 11 s; FSR-fast ~0.1 ms per pixel). Holes larger than an engine's `full_scale_hole` pixels are
therefore filled on a downscaled copy of the crop (with context in proportion to the hole) and the result is
upscaled into the hole: a 200 px hole in a 12 MP photo takes ~2.8 s with FSR-best, ~0.6 s with FSR-fast and
~0.2 s with Telea, at the price of a softer fill.
"""

from __future__ import annotations

import cv2
import numpy as np

from editor.core.progress import JobContext

from .base import InpaintEngine


FSR_BLOCK = 32                     # a multiple of xphoto FSR's block sizes


class Telea(InpaintEngine):
    name = "telea"
    label = "Telea (fast)"
    margin = 16
    radius = 5                     # neighbourhood each filled pixel is averaged from

    def _inpaint_crop(self, crop_rgb: np.ndarray, crop_mask: np.ndarray, ctx: JobContext) -> np.ndarray:
        return cv2.inpaint(crop_rgb, crop_mask, self.radius, cv2.INPAINT_TELEA)


class _FrequencySelective(InpaintEngine):
    """cv2.xphoto.inpaint with an FSR mode; note xphoto's mask means the opposite: non-zero = known pixel."""

    algorithm: int
    full_scale_hole: int           # hole pixels filled at full resolution; beyond it the crop is downscaled
    margin = 24
    context_share = 0.5            # a downscaled crop still needs several FSR blocks of known pixels around the hole

    def _fsr(self, bgr: np.ndarray, hole: np.ndarray) -> np.ndarray:
        # xphoto works in blocks and leaves a hole in the last, partial block row or column unfilled (it came out
        # green: zero in its colour space). Such a crop is padded to whole blocks with its own reflection, hole
        # included; others are not (padding moved FSR-best's fill of a big hole: error 3.1 -> 10 in the tests).
        h, w = hole.shape
        partial = hole[h - h % FSR_BLOCK:].any() or hole[:, w - w % FSR_BLOCK:].any()
        pad_y, pad_x = (-h % FSR_BLOCK, -w % FSR_BLOCK) if partial else (0, 0)
        padded = cv2.copyMakeBorder(bgr, 0, pad_y, 0, pad_x, cv2.BORDER_REFLECT)
        known = cv2.copyMakeBorder(np.where(hole > 0, 0, 255).astype(np.uint8), 0, pad_y, 0, pad_x, cv2.BORDER_REFLECT)
        out = np.zeros_like(padded)
        cv2.xphoto.inpaint(padded, known, out, self.algorithm)
        return out[:h, :w]

    def _inpaint_crop(self, crop_rgb: np.ndarray, crop_mask: np.ndarray, ctx: JobContext) -> np.ndarray:
        bgr = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2BGR)          # FSR works in a BGR-derived colour space
        hole_pixels = int(np.count_nonzero(crop_mask))
        scale = min(1.0, float(np.sqrt(self.full_scale_hole / max(hole_pixels, 1))))
        if scale >= 1.0:
            return cv2.cvtColor(self._fsr(bgr, crop_mask), cv2.COLOR_BGR2RGB)
        h, w = crop_mask.shape
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        # A low-res pixel is missing if any full-res pixel under it is (float: no tiny share rounds to 0).
        small_hole = cv2.resize(crop_mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
        ctx.progress(0.1, f"Filling with {self.label} at {scale:.0%} scale")
        filled = cv2.resize(self._fsr(small, small_hole.astype(np.uint8)), (w, h), interpolation=cv2.INTER_CUBIC)
        return cv2.cvtColor(np.where(crop_mask[..., None] > 0, filled, bgr), cv2.COLOR_BGR2RGB)


class FSRBest(_FrequencySelective):
    name = "fsr-best"
    label = "FSR (best quality)"
    algorithm = cv2.xphoto.INPAINT_FSR_BEST
    full_scale_hole = 300


class FSRFast(_FrequencySelective):
    name = "fsr-fast"
    label = "FSR (fast)"
    algorithm = cv2.xphoto.INPAINT_FSR_FAST
    full_scale_hole = 3000
