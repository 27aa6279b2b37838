"""The in-memory image every layer works on: RGB uint8 pixels plus what is needed to save it faithfully."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

import numpy as np


@dataclass
class ImageMetadata:
    """What we keep from the source file so a retouched photo saves with its metadata."""

    format: str = "PNG"                 # Pillow format name of the source: JPEG, PNG, WEBP, TIFF, BMP
    mode: str = "RGB"                   # Pillow mode of the source before conversion (I;16, L, P, CMYK, RGBA...)
    exif: Optional[bytes] = None        # raw EXIF with the orientation tag reset to 1 (pixels are upright)
    icc_profile: Optional[bytes] = None
    xmp: Optional[bytes] = None
    dpi: Optional[tuple[float, float]] = None
    extra: dict = field(default_factory=dict)  # e.g. PNG text chunks, JPEG quality estimate

    def copy(self) -> "ImageMetadata":
        return replace(self, extra=dict(self.extra))


@dataclass
class LoadedImage:
    pixels: np.ndarray                  # H x W x 3 uint8, RGB, upright (EXIF orientation applied)
    alpha: Optional[np.ndarray]         # H x W uint8, or None when the source has no transparency
    metadata: ImageMetadata
    path: Optional[Path] = None

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])
