"""Deterministic (masked, unmasked, hole) training pairs from the aligned-face cache.

Sample number g of a run with seed s always yields the same pair: the face is perm_s,epoch[g mod N] and the
mask, flip and jitter come from default_rng([s, g]). A resumed run therefore continues the exact stream from
its step counter, with no data-loader state to save. Validation pairs use their own fixed seed and no flips.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models.training.synth_masks import MaskLibrary, synthesize

SPLIT_FILE = Path(__file__).with_name("split.json")
VAL_SEED = 20_240_601


@dataclass(frozen=True)
class FaceCache:
    images: np.ndarray        # N x 256 x 256 x 3 uint8, aligned
    landmarks: np.ndarray     # N x 68 x 2 float32, in aligned pixels
    identity: np.ndarray      # N int32 (CelebA identity folder number)
    files: np.ndarray         # N str

    @staticmethod
    def load(path: Path) -> "FaceCache":
        with np.load(path) as data:
            return FaceCache(data["images"], data["landmarks"], data["identity"], data["files"])

    def split(self) -> tuple[np.ndarray, np.ndarray]:
        """Indices of training and validation faces, split by identity (split.json)."""
        val_ids = {int(name.split("_")[-1]) for name in json.loads(SPLIT_FILE.read_text())["validation_identities"]}
        is_val = np.isin(self.identity, sorted(val_ids))
        return np.flatnonzero(~is_val), np.flatnonzero(is_val)


@dataclass(frozen=True)
class Pair:
    face: np.ndarray          # H x W x 3 uint8, the truth
    masked: np.ndarray        # H x W x 3 uint8, the same face wearing a synthetic mask
    hole: np.ndarray          # H x W bool


def _jitter(pair: Pair, rng: np.random.Generator) -> Pair:
    """A small random similarity transform, as an imperfect alignment in the app would give."""
    h, w = pair.hole.shape
    matrix = cv2.getRotationMatrix2D((w / 2 + rng.normal(0, 4), h / 2 + rng.normal(0, 4)),
                                     rng.normal(0, 4), float(np.exp(rng.normal(0, 0.05))))
    warp = lambda im, flags: cv2.warpAffine(im, matrix, (w, h), flags=flags, borderMode=cv2.BORDER_REFLECT101)
    hole = warp(pair.hole.astype(np.uint8), cv2.INTER_NEAREST).astype(bool)
    return Pair(warp(pair.face, cv2.INTER_LINEAR), warp(pair.masked, cv2.INTER_LINEAR), hole)


def degraded(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The aligned face as a small or soft face in a photo gives it: shrunk to 20-80% (the face 50-200 px across)
    and enlarged back, as the app's alignment enlarges it, with JPEG compression one time in three."""
    h, w = image.shape[:2]
    scale = rng.uniform(0.2, 0.8)
    small = cv2.resize(image, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)
    if rng.random() < 1 / 3:
        ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 91))])
        small = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if ok else small
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


class PairStream:
    """Training pairs by global sample number.

    `flip` and `jitter` are augmentation probabilities; `bare` is the share of faces left without a mask
    (an empty hole), so a segmenter learns to find nothing on an unmasked face; `degrade` is the share of masked
    faces shrunk and enlarged back (degraded): CelebA's faces are all about as sharp, and a segmenter trained on
    them alone found nothing on a small, soft face in a mask.
    """

    def __init__(self, cache: FaceCache, indices: np.ndarray, library: MaskLibrary, seed: int,
                 flip: float = 0.5, jitter: float = 0.0, bare: float = 0.0, degrade: float = 0.0) -> None:
        self.cache, self.indices, self.library, self.seed = cache, indices, library, seed
        self.flip, self.jitter, self.bare, self.degrade = flip, jitter, bare, degrade
        self._perm_epoch, self._perm = -1, indices

    def _face_index(self, sample: int) -> int:
        epoch, pos = divmod(sample, len(self.indices))
        if epoch != self._perm_epoch:
            self._perm = np.random.default_rng([self.seed, epoch, 1]).permutation(self.indices)
            self._perm_epoch = epoch
        return int(self._perm[pos])

    def pair(self, sample: int) -> Pair:
        i = self._face_index(sample)
        rng = np.random.default_rng([self.seed, sample])
        face = self.cache.images[i]
        if rng.random() < self.bare:
            pair = Pair(face, face, np.zeros(face.shape[:2], bool))
        else:
            made = synthesize(face, self.cache.landmarks[i], self.library, rng)
            pair = Pair(face, made.masked, made.hole)
        if rng.random() < self.flip:
            pair = Pair(pair.face[:, ::-1].copy(), pair.masked[:, ::-1].copy(), pair.hole[:, ::-1].copy())
        if rng.random() < self.jitter:
            pair = _jitter(pair, rng)
        if self.degrade and rng.random() < self.degrade:       # no draw at 0: other streams stay as they were
            pair = Pair(pair.face, degraded(pair.masked, rng), pair.hole)
        return pair

    def batch(self, first_sample: int, size: int) -> list[Pair]:
        return [self.pair(first_sample + k) for k in range(size)]


def validation_subset(val_indices: np.ndarray, count: int) -> np.ndarray:
    """The fixed validation faces: `count` of `val_indices` (all when fewer), spread over every identity."""
    return val_indices[np.linspace(0, len(val_indices) - 1, min(count, len(val_indices))).round().astype(int)]


def validation_pairs(cache: FaceCache, val_indices: np.ndarray, library: MaskLibrary, count: int) -> list[Pair]:
    """The validation_subset faces, with a fixed mask per face."""
    pairs = []
    for n, i in enumerate(validation_subset(val_indices, count)):
        made = synthesize(cache.images[i], cache.landmarks[i], library, np.random.default_rng([VAL_SEED, n]))
        pairs.append(Pair(cache.images[i], made.masked, made.hole))
    return pairs
