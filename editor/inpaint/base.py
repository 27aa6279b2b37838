"""What every inpainting engine shares: crop around the mask, fill, and composite back.

An engine only implements `_inpaint_crop` on a small crop (a separate area of the mask plus `margin` pixels of
context), so a brush stroke on a 50 MP photo never makes an engine look at the whole photo, and eight faces
spread over a photo are filled on eight crops, not on one crop spanning the photo. Pixels outside the mask come
back bit-identical; a soft (feathered) mask blends the fill into the photo.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Optional

import cv2
import numpy as np

from editor.core.digital_source import SYNTHETIC_COMPOSITE
from editor.core.errors import VeilError
from editor.core.geometry import Rect, bounding_rect
from editor.core.progress import JobContext

EMPTY_MASK = "Paint a mask over the area to fill first."
MAX_CROPS = 64          # more separate areas than this (specks, an inverted mask) are filled on one crop


class InpaintEngine(ABC):
    name: ClassVar[str]             # stable id used by settings, the CLI and the registry
    label: ClassVar[str]            # text shown in the UI
    device: ClassVar[str] = "CPU"   # what the status bar says ran the job
    margin: ClassVar[int] = 32      # context pixels around the hole handed to the engine (at least)
    context_share: ClassVar[float] = 0.0   # ... or this share of the hole's longer side, if more
    # The IPTC digital source type of a photo this engine filled a face mask in (editor/core/digital_source.py).
    source_type: ClassVar[str] = SYNTHETIC_COMPOSITE

    @abstractmethod
    def _inpaint_crop(self, crop_rgb: np.ndarray, crop_mask: np.ndarray, ctx: JobContext) -> np.ndarray:
        """Fill the pixels where crop_mask is 255 (the mask is binary here); returns an RGB array of the same size."""

    def _with_context(self, rect: Rect, width: int, height: int) -> Rect:
        context = max(self.margin, int(np.ceil(self.context_share * max(rect.width, rect.height))))
        return rect.pad(context).clip(width, height)

    def work_rect(self, mask: np.ndarray) -> Rect:
        """The rect an engine works on: the mask's bounding rect padded by its context, inside the image."""
        rect = bounding_rect(mask)
        if rect is None:
            raise VeilError(EMPTY_MASK)
        height, width = mask.shape[:2]
        return self._with_context(rect, width, height)

    def work_rects(self, mask: np.ndarray) -> list[Rect]:
        """One crop per separate area of the mask, context included; areas whose crops overlap share one, so no
        crop holds another crop's hole as if it were known pixels."""
        bounds = self.work_rect(mask)
        height, width = mask.shape[:2]
        count, _, stats, _ = cv2.connectedComponentsWithStats((mask[bounds.slices] > 0).astype(np.uint8),
                                                              connectivity=8)
        if count - 1 > MAX_CROPS:
            return [bounds]
        rects = [self._with_context(Rect(bounds.x0 + x, bounds.y0 + y, bounds.x0 + x + w, bounds.y0 + y + h),
                                    width, height) for x, y, w, h in stats[1:, :4].tolist()]
        return _merge_overlapping(rects)

    def run_region(self, image: np.ndarray, mask: np.ndarray,
                   ctx: Optional[JobContext] = None) -> tuple[Rect, np.ndarray]:
        """(rect, new RGB pixels for that rect): the fill composited over the input by the mask's opacity."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError("image must be H x W x 3 uint8 RGB")
        if mask.shape != image.shape[:2]:
            raise ValueError("mask size does not match the image")
        mask = mask.astype(np.uint8) * 255 if mask.dtype == bool else mask
        ctx = ctx or JobContext()
        rects = self.work_rects(mask)
        if len(rects) == 1:
            return rects[0], self._fill(image, mask, rects[0], ctx)
        union = rects[0]
        for rect in rects[1:]:
            union = union.union(rect)
        out = image[union.slices].copy()
        for n, rect in enumerate(rects):
            pixels = self._fill(image, mask, rect, ctx.sub(n / len(rects), (n + 1) / len(rects)))
            out[rect.y0 - union.y0:rect.y1 - union.y0, rect.x0 - union.x0:rect.x1 - union.x0] = pixels
        return union, out

    def _fill(self, image: np.ndarray, mask: np.ndarray, rect: Rect, ctx: JobContext) -> np.ndarray:
        """The composited fill of one crop."""
        ctx.progress(0.0, f"Filling with {self.label}")
        crop = np.ascontiguousarray(image[rect.slices])
        alpha = mask[rect.slices]
        hole = np.where(alpha > 0, 255, 0).astype(np.uint8)
        filled = self._inpaint_crop(crop.copy(), hole, ctx)
        ctx.progress(1.0, f"Filled with {self.label}")
        if filled.shape != crop.shape or filled.dtype != np.uint8:
            raise RuntimeError(f"{self.name} returned {filled.shape} {filled.dtype} for a {crop.shape} crop")
        return _composite(crop, filled, alpha)

    def run(self, image: np.ndarray, mask: np.ndarray, ctx: Optional[JobContext] = None) -> np.ndarray:
        """The whole image with the masked area filled (a copy; the input is not changed)."""
        rect, pixels = self.run_region(image, mask, ctx)
        out = image.copy()
        out[rect.slices] = pixels
        return out


def _merge_overlapping(rects: list[Rect]) -> list[Rect]:
    """Join overlapping rects until none overlap (a joined rect may reach a third one)."""
    merged = list(rects)
    while True:
        out: list[Rect] = []
        for rect in merged:
            for i, other in enumerate(out):
                if not rect.intersect(other).empty:
                    out[i] = other.union(rect)
                    break
            else:
                out.append(rect)
        if len(out) == len(merged):
            return out
        merged = out


def _composite(original: np.ndarray, filled: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """original where alpha is 0, filled where it is 255, a rounded blend in between."""
    out = original.copy()
    hard = alpha == 255
    out[hard] = filled[hard]
    soft = (alpha > 0) & ~hard
    if soft.any():
        a = alpha[soft].astype(np.float32)[:, None] / 255.0
        blend = original[soft] * (1.0 - a) + filled[soft] * a
        out[soft] = np.clip(np.rint(blend), 0, 255).astype(np.uint8)
    return out
