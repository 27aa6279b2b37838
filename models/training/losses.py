"""Losses and metrics on 0..1 NCHW tensors (torch), for training and for the validation printout."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def hole_weighted_l1(pred: torch.Tensor, target: torch.Tensor, hole: torch.Tensor, hole_weight: float = 6.0
                     ) -> torch.Tensor:
    """L1 with the hole weighted `hole_weight` times the known pixels, normalised per pixel."""
    weight = 1.0 + (hole_weight - 1.0) * hole
    return (weight * (pred - target).abs()).mean() / weight.mean()


def _gaussian_window(size: int = 11, sigma: float = 1.5, device: torch.device | None = None) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2
    g = torch.exp(-(x ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def ssim(a: torch.Tensor, b: torch.Tensor, window: int = 11) -> torch.Tensor:
    """Mean SSIM per image (N), Gaussian window as in Wang et al.; per channel, averaged."""
    c = a.shape[1]
    w = _gaussian_window(window, device=a.device).expand(c, 1, window, window)
    conv = lambda x: F.conv2d(x, w, groups=c)
    mu_a, mu_b = conv(a), conv(b)
    var_a = conv(a * a) - mu_a ** 2
    var_b = conv(b * b) - mu_b ** 2
    cov = conv(a * b) - mu_a * mu_b
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return s.flatten(1).mean(1)


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """PSNR in dB per image (N), peak 1.0."""
    mse = ((a - b) ** 2).flatten(1).mean(1).clamp_min(1e-10)
    return -10.0 * torch.log10(mse)


def soft_iou_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    prob = torch.sigmoid(logits)
    inter = (prob * target).flatten(1).sum(1)
    union = (prob + target - prob * target).flatten(1).sum(1)
    return (1.0 - (inter + 1.0) / (union + 1.0)).mean()


def iou(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Hard IoU per image (N) at probability 0.5."""
    pred = logits > 0
    truth = target > 0.5
    inter = (pred & truth).flatten(1).sum(1).float()
    union = (pred | truth).flatten(1).sum(1).float()
    return inter / union.clamp_min(1.0)


def gray(image: torch.Tensor) -> torch.Tensor:
    """ITU-R 601 luma (as OpenCV's RGB2GRAY), N x 1 x H x W."""
    return (0.299 * image[:, 0:1] + 0.587 * image[:, 1:2] + 0.114 * image[:, 2:3])


def erode(hole: torch.Tensor, pixels: int = 2) -> torch.Tensor:
    return 1.0 - F.max_pool2d(1.0 - hole, 2 * pixels + 1, 1, pixels)


_LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]).view(1, 1, 3, 3)


def texture_ratio(output: torch.Tensor, truth: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """Per image: mean |Laplacian| of the gray output inside the hole eroded 2 px, over the truth's (1 = as sharp).

    The torch twin of inpaint_quality.texture_ratio (3x3 Laplacian as cv2.Laplacian ksize 1), for validation
    rows: images are rounded to 8 bits, then to 8-bit gray, as there (a blur's small Laplacians depend on it).
    """
    inner = erode(hole)
    eight_bit_gray = lambda x: torch.round(gray(torch.round(x * 255.0)))
    lap = lambda x: F.conv2d(eight_bit_gray(x), _LAPLACIAN.to(x.device), padding=1).abs()
    area = inner.flatten(1).sum(1).clamp_min(1.0)
    out = (lap(output) * inner).flatten(1).sum(1) / area
    ref = (lap(truth) * inner).flatten(1).sum(1) / area
    return out / ref.clamp_min(1e-6)
