"""Where a face mask (surgical, N95, cloth, ...) covers an aligned face: the `mask_segmenter` model."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .face_alignment import AlignedFace
from .onnx_model import LazyOnnxModel

THRESHOLD = 0.5        # the probability the segmenter was validated at (IoU 0.978 on held-out identities)

_model = LazyOnnxModel("mask_segmenter")


def mask_probabilities(faces: Sequence[AlignedFace]) -> np.ndarray:
    """N x 256 x 256 float32 in 0..1: the chance each aligned pixel is part of a face mask (one batched run)."""
    if not faces:
        return np.zeros((0, 0, 0), np.float32)
    batch = np.stack([f.pixels for f in faces]).transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    return _model.run_batched({"image": batch})[:, 0]
