"""Helpers for the vision tests: the astronaut fixture, faces composed onto canvases, the shared data folder."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
ASTRONAUT = REPO_ROOT / "tests" / "fixtures" / "astronaut.png"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
ASTRONAUT_FACE = (178.2, 62.9, 89.9, 113.3)     # YuNet's box on the fixture, checked by eye


def load_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def paste(canvas: np.ndarray, crop: np.ndarray, width: int, x: int, y: int) -> tuple[int, int, int, int]:
    """Paste `crop` scaled to `width` at (x, y); returns the pasted rectangle (x, y, w, h)."""
    height = round(crop.shape[0] * width / crop.shape[1])
    canvas[y : y + height, x : x + width] = cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)
    return x, y, width, height


def centre_inside(box, rect) -> bool:
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return rect[0] <= cx <= rect[0] + rect[2] and rect[1] <= cy <= rect[1] + rect[3]


def iou(a, b) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def background(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A face-free backdrop: smooth colour gradients plus mild noise (made small, then enlarged: cheap at 24 MP)."""
    rng = np.random.default_rng(seed)
    h, w = max(2, height // 4), max(2, width // 4)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([90 + 60 * xx / w, 110 + 50 * yy / h, 140 - 40 * xx / w], axis=2)
    small = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)
