"""The canonical face framing both models are trained on (FFHQ-style), from eye centres and mouth corners.

The app aligns faces with the very same functions before running the segmenter or the inpainter: they live in
editor/vision/face_alignment.py (the app never imports training code), and training uses them from there. They
take points every detector gives: YuNet's 5 landmarks or dlib's 68 (via `five_from_68`).
"""

from __future__ import annotations

import numpy as np

from editor.vision.face_alignment import ALIGNED_SIZE, alignment_matrix, five_from_68

__all__ = ["ALIGNED_SIZE", "alignment_matrix", "five_from_68", "transform_points"]


def transform_points(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, np.float64)
    return (pts @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)
