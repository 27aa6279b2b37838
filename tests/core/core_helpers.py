"""Helpers for the core tests: every image is generated on the fly, none is read from committed fixtures."""

from __future__ import annotations

import re

import numpy as np


def assert_one_sentence(message: str, name: str) -> None:
    """A user-facing message: names the file, one line, one sentence ending with a full stop."""
    assert name in message, message
    assert "\n" not in message, message
    assert message.endswith("."), message
    body = message.replace(name, "FILE")[:-1]
    assert not re.search(r"[.!?]\s", body), f"more than one sentence: {message!r}"


def block_image(height: int, width: int, blocks: tuple[int, int] = (4, 6), seed: int = 0) -> np.ndarray:
    """An RGB picture of flat colour blocks: no symmetry (every flip/rotation differs) and JPEG-friendly."""
    rng = np.random.default_rng(seed)
    colours = rng.integers(0, 256, (blocks[0], blocks[1], 3), dtype=np.uint8)
    rows = np.arange(height) * blocks[0] // height
    cols = np.arange(width) * blocks[1] // width
    return colours[rows][:, cols]


def noise_image(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    shape = (height, width, channels) if channels > 1 else (height, width)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)
