"""A deterministic photo-like picture for tests that need pixels but no face: smooth gradients, a face-coloured oval
and sensor-like noise, optionally with an alpha channel."""

from __future__ import annotations

import numpy as np


def make_photo(height: int = 96, width: int = 128, seed: int = 0, alpha: bool = False):
    """A deterministic photo-like picture: smooth gradients, a few shapes and sensor-like noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([xx / width * 200 + 30, yy / height * 180 + 40, (xx + yy) / (width + height) * 150 + 60], -1)
    cy, cx = height * 0.45, width * 0.5
    face = ((yy - cy) / (height * 0.3)) ** 2 + ((xx - cx) / (width * 0.2)) ** 2 < 1
    base[face] = [220, 170, 140]
    pixels = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    a = None
    if alpha:
        a = np.clip(255 - xx * 0.5 + rng.normal(0, 3, xx.shape), 0, 255).astype(np.uint8)
    return pixels, a
