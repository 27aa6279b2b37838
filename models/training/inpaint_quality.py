"""Measures of a filled face that L1, PSNR and SSIM miss: texture in the hole, LPIPS, and who it looks like.

All take aligned 256x256 RGB uint8 faces (the cache's frame) and the true hole.
- texture_ratio: mean |Laplacian| (3x3, cv2 ksize 1) of the gray image inside the hole eroded 2 px, output
  over truth. A blurry fill scores near 0, noise above 1; a natural fill between 0.7 and 1.3.
- LpipsScorer: LPIPS (VGG16 by default) of whole composites, batched, from the training feature nets.
- top1_recognition: for each probe face, is the nearest photo among the other validation photos (originals,
  the probe's own photo left out) of the same person? Chips are cut on the original's landmarks, so every
  method is judged on the same alignment and only the pixels differ. nearest_is_same is the same search, per
  probe, with any photos left out (the benches' galleries).
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

_ERODE = np.ones((5, 5), np.uint8)       # 2 px on every side


def texture_ratio(output: np.ndarray, truth: np.ndarray, hole: np.ndarray) -> float:
    inner = cv2.erode(hole.astype(np.uint8), _ERODE).astype(bool)
    if not inner.any():
        return float("nan")
    lap = lambda im: np.abs(cv2.Laplacian(cv2.cvtColor(im, cv2.COLOR_RGB2GRAY).astype(np.float32), cv2.CV_32F))
    return float(lap(output)[inner].mean() / max(lap(truth)[inner].mean(), 1e-6))


class LpipsScorer:
    """LPIPS per pair of uint8 faces; `available` is False when the weights are not cached (and no fetch)."""

    def __init__(self, net: str = "vgg16", allow_fetch: bool = False, batch: int = 8) -> None:
        self.batch, self.reason = batch, ""
        try:
            import torch

            from models.training.feature_nets import LPIPS
            from models.training.lpips_weights import WeightsUnavailable
        except ImportError as exc:                  # torch is the [train] extra
            self.net, self.reason = None, str(exc)
            return
        self.torch = torch
        try:
            self.net = LPIPS(net, allow_fetch=allow_fetch)
        except WeightsUnavailable as exc:
            self.net, self.reason = None, str(exc)

    @property
    def available(self) -> bool:
        return self.net is not None

    def __call__(self, outputs: Sequence[np.ndarray], truths: Sequence[np.ndarray]) -> np.ndarray:
        torch = self.torch
        tensor = lambda xs: torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float() / 255.0
        scores = []
        with torch.no_grad():
            for i in range(0, len(outputs), self.batch):
                scores.append(self.net(tensor(outputs[i:i + self.batch]), tensor(truths[i:i + self.batch])).numpy())
        return np.concatenate(scores) if scores else np.zeros(0)


def embed(recognizer, faces: Sequence[np.ndarray], landmarks: Sequence[np.ndarray]) -> np.ndarray:
    embedder = recognizer.embedder
    return embedder.embed_chips([embedder.chip(f, lm) for f, lm in zip(faces, landmarks)])


def top1_recognition(probe_vectors: np.ndarray, probe_rows: np.ndarray, gallery_vectors: np.ndarray,
                     gallery_identity: np.ndarray) -> float:
    """Share of probes whose nearest gallery vector (its own row excluded) has the probe's identity.

    `probe_rows` are the probes' rows in the gallery (the same photo, unmasked), left out of their own search.
    """
    own = np.zeros((len(probe_rows), len(gallery_vectors)), bool)
    own[np.arange(len(probe_rows)), probe_rows] = True
    return float(nearest_is_same(probe_vectors, gallery_identity[probe_rows], gallery_vectors, gallery_identity,
                                 own).mean())


def nearest_is_same(probe_vectors: np.ndarray, probe_identity: np.ndarray, gallery_vectors: np.ndarray,
                    gallery_identity: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """Rank-1 identification per probe: is its nearest gallery vector (Euclidean) of the probe's identity?

    `excluded` (probes x gallery, True = not searched) leaves each probe's own photos out of its search.
    """
    d = np.linalg.norm(probe_vectors[:, None, :].astype(np.float64) - gallery_vectors[None].astype(np.float64),
                       axis=2)
    d[excluded] = np.inf
    return gallery_identity[d.argmin(axis=1)] == probe_identity
