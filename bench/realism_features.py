"""What the realism classifier sees of an aligned 256 px face: local texture, sharpness and colour, per place.

The crop is aligned (eyes, nose and mouth always fall on the same pixels), so a feature computed on a fixed grid
cell is a feature of one part of the face: a brow, the nose bridge, a lip corner, the jaw seam. Each family aims
at an artifact a synthetic face can leave:
- band energy on three scales (a Laplacian pyramid), per 32 px cell: smudges and over-smooth skin lower the fine
  band against the coarse ones, pasted grain raises it, a seam puts energy where real skin has none;
- gradient energy in four orientations, per 32 px cell: painted stripes and hard seams are strongly oriented;
- LBP histograms (8 and 16 neighbours) per 64 px cell: the micro-texture of skin, hair and teeth;
- colour per 32 px cell (CIELAB means and spreads) and the chroma noise per 64 px cell: a tone that does not
  match its neighbours, or chroma that is too clean for a camera.
Logs are taken of the energies, so the linear classifier compares ratios (fine band over coarse band, inside the
face over outside), not absolute values that vary with the photo.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.feature import local_binary_pattern

SIZE = 256
FINE, COARSE = 8, 4                     # grid cells across: 32 px and 64 px cells
_EPS = 1e-6


def _cells(values: np.ndarray, n: int) -> np.ndarray:
    """Mean of a (SIZE, SIZE[, C]) float32 array over an n x n grid, flattened to n*n[*C] (area resampling by an
    integer factor is exactly the block mean, and much faster than numpy's reshape-mean)."""
    values = np.ascontiguousarray(values, np.float32)
    if values.ndim == 3 and values.shape[2] > 4:
        return np.concatenate([_cells(values[..., k:k + 4], n).reshape(n * n, -1)
                               for k in range(0, values.shape[2], 4)], axis=1).reshape(-1)
    return cv2.resize(values, (n, n), interpolation=cv2.INTER_AREA).reshape(-1)


def _histograms(codes: np.ndarray, bins: int, n: int) -> np.ndarray:
    """Per n x n grid cell, the share of pixels with each code (0..bins-1), flattened cell-major."""
    side = SIZE // n
    rows, cols = np.indices(codes.shape)
    cell = (rows // side) * n + cols // side
    counts = np.bincount((cell * bins + codes).ravel(), minlength=n * n * bins)
    return counts.astype(np.float32) / (side * side)


def _band_energy(gray: np.ndarray) -> list[np.ndarray]:
    levels = [gray] + [cv2.GaussianBlur(gray, (0, 0), s) for s in (1.0, 2.0, 4.0)]
    return [0.5 * np.log(_cells((a - b) ** 2, FINE) + _EPS) for a, b in zip(levels, levels[1:])]


def _orientation_energy(gray: np.ndarray) -> np.ndarray:
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), np.pi)                            # orientation, sign-free
    bins = np.minimum((angle / (np.pi / 4) + 0.5).astype(int) % 4, 3)   # 0, 45, 90, 135 degrees
    per_bin = np.stack([magnitude * (bins == b) for b in range(4)], axis=-1)
    return np.log(_cells(per_bin, FINE) + _EPS)


def _lbp_histograms(gray_u8: np.ndarray) -> list[np.ndarray]:
    out = []
    for points, radius in ((8, 1), (16, 2)):
        codes = local_binary_pattern(gray_u8, points, radius, method="uniform").astype(np.int64)
        out.append(_histograms(codes, points + 2, COARSE))             # 'uniform' gives points + 2 codes
    return out


def _colour(rgb: np.ndarray) -> list[np.ndarray]:
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    mean = _cells(lab, FINE).reshape(-1, 3)
    spread = np.sqrt(np.maximum(_cells(lab ** 2, FINE).reshape(-1, 3) - mean ** 2, 0.0))
    chroma = lab[..., 1:]
    noise = chroma - cv2.GaussianBlur(chroma, (0, 0), 1.0)
    return [mean.reshape(-1), np.log(spread + _EPS).reshape(-1), 0.5 * np.log(_cells(noise ** 2, COARSE) + _EPS)]


def face_features(crop: np.ndarray) -> np.ndarray:
    """One float32 vector for an aligned SIZE x SIZE RGB uint8 face."""
    if crop.shape != (SIZE, SIZE, 3) or crop.dtype != np.uint8:
        raise ValueError(f"expected a {SIZE} x {SIZE} x 3 uint8 crop, got {crop.shape} {crop.dtype}")
    gray_u8 = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    gray = gray_u8.astype(np.float32) / 255.0
    parts = _band_energy(gray) + [_orientation_energy(gray)] + _lbp_histograms(gray_u8) + _colour(crop)
    return np.concatenate(parts).astype(np.float32)

