"""Test photos for the benchmark, composed at run time from the repository's public-domain portrait.

The face of resources/sample.jpg (the NASA astronaut portrait, public domain; tests/fixtures/astronaut.png is the
same picture) is scaled and pasted with a soft elliptical edge onto a smooth background of any size, one copy
per face on a grid. Nothing licensed is used and nothing is stored in the repository.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
PORTRAIT = REPO / "resources" / "sample.jpg"
FACE_BOX = (178, 63, 90, 113)        # x, y, w, h of the face in the portrait (YuNet finds it there)
CONTEXT = 2.0                        # the pasted crop is this many face sizes wide and high: hair, neck, ears
GRAIN_SIGMA = 4.0                    # sensor noise, in 8-bit levels

SIZES_MP = {"12 MP": (4000, 3000), "24 MP": (6000, 4000), "50 MP": (8660, 5780)}


def _portrait() -> np.ndarray:
    bgr = cv2.imread(str(PORTRAIT), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"{PORTRAIT} is missing")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _face_crop() -> np.ndarray:
    image = _portrait()
    x, y, w, h = FACE_BOX
    cx, cy, side = x + w / 2, y + h / 2, CONTEXT * max(w, h)
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x1, y1 = int(min(image.shape[1], cx + side / 2)), int(min(image.shape[0], cy + side / 2))
    return image[y0:y1, x0:x1]


def smooth_background(width: int, height: int, seed: int = 0) -> np.ndarray:
    """Soft low-frequency colour blotches (an out-of-focus backdrop) with sensor grain.

    Without the grain a 50 MP JPEG would be 2 MB instead of a camera's ~20 MB, and decode unrealistically fast.
    """
    rng = np.random.default_rng(seed)
    small = rng.integers(60, 200, size=(6, 8, 3), dtype=np.uint8)
    photo = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)   # uint8 all the way: 50 MP is 150 MB
    grain = np.empty((min(height, 512), width, 3), np.int16)
    cv2.setRNGSeed(seed)
    for y in range(0, height, grain.shape[0]):                                 # in bands: no 50 MP int16 copy
        band = photo[y:y + grain.shape[0]]
        cv2.randn(grain, 0, GRAIN_SIGMA)
        band[:] = np.clip(band + grain[: band.shape[0]], 0, 255)
    return photo


def _soft_ellipse(h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = np.hypot((xx - (w - 1) / 2) / (w / 2), (yy - (h - 1) / 2) / (h / 2))
    return np.clip((1.0 - d) / 0.15, 0.0, 1.0)[..., None]


Box = tuple[int, int, int, int]


def group_photo(width: int, height: int, faces: int, seed: int = 0) -> tuple[np.ndarray, list[Box]]:
    """An RGB photo with `faces` copies of the portrait's face on a grid; returns it and each face's x, y, w, h."""
    photo = smooth_background(width, height, seed)
    crop = _face_crop()
    cols = math.ceil(math.sqrt(faces * width / height))
    rows = math.ceil(faces / cols)
    cell = min(width / cols, height / rows)
    side = int(cell * 0.8)
    scale = side / crop.shape[1]
    tile = cv2.resize(crop, (side, int(crop.shape[0] * scale)), interpolation=cv2.INTER_CUBIC)
    alpha = _soft_ellipse(*tile.shape[:2])
    boxes = []
    for n in range(faces):
        r, c = divmod(n, cols)
        x0 = int((c + 0.5) * width / cols - tile.shape[1] / 2)
        y0 = int((r + 0.5) * height / rows - tile.shape[0] / 2)
        region = photo[y0:y0 + tile.shape[0], x0:x0 + tile.shape[1]]
        region[:] = (tile * alpha + region * (1.0 - alpha) + 0.5).astype(np.uint8)
        fw, fh = FACE_BOX[2] * scale, FACE_BOX[3] * scale
        boxes.append((int(x0 + (tile.shape[1] - fw) / 2), int(y0 + (tile.shape[0] - fh) / 2), int(fw), int(fh)))
    return photo, boxes


def write_photo(path: Path, pixels: np.ndarray) -> Path:
    """JPEG at quality 92 or PNG at zlib level 3 (the OpenCV default), from the extension."""
    params = [cv2.IMWRITE_JPEG_QUALITY, 92] if path.suffix.lower() in (".jpg", ".jpeg") else \
        [cv2.IMWRITE_PNG_COMPRESSION, 3]
    if not cv2.imwrite(str(path), cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR), params):
        raise OSError(f"could not write {path}")
    return path


def aligned_face(size: int = 256) -> np.ndarray:
    """The portrait's face as a size x size RGB crop (roughly the aligned-face framing the models take)."""
    return cv2.resize(_face_crop(), (size, size), interpolation=cv2.INTER_AREA)


def mouth_hole(size: int = 256) -> np.ndarray:
    """A face-mask-shaped hole (nose down to chin) in an aligned size x size face: uint8, 255 = missing."""
    hole = np.zeros((size, size), np.uint8)
    s = size / 256
    cv2.ellipse(hole, (int(128 * s), int(170 * s)), (int(62 * s), int(48 * s)), 0, 0, 360, 255, -1)
    return hole


def celeba_like_portrait() -> np.ndarray:
    """The portrait cropped to CelebA's 178 x 218 framing, face in the middle (when CelebA is not at hand)."""
    image = _portrait()
    x, y, w, h = FACE_BOX
    cx, cy = x + w // 2, y + h // 2
    return np.ascontiguousarray(image[cy - 109:cy + 109, cx - 89:cx + 89])
