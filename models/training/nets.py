"""Network definitions: the M-CSAM face inpainter and the face-mask segmenter (one definition each).

Both take an aligned 256x256 face (see align.py), RGB in 0..1, NCHW float32, and are exported to ONNX as is.

MCSAMInpainter: a U-Net whose encoder uses gated convolutions (a learned soft mask per feature, so features
computed from hole pixels can be switched off), a bottleneck of dilated residual blocks that spans the whole
hole, and a multi-scale channel-spatial attention module (MCSA: parallel dilated branches, then CBAM-style
channel and spatial attention) after every decoder stage. The graph zeroes the hole itself and returns the
composite: known pixels are passed through untouched.

MaskSegmenter: a small U-Net working at 128x128 inside (the mask is a large, smooth region), whose logits
are upsampled to 256x256.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class InpainterConfig:
    widths: tuple[int, ...] = (12, 24, 48, 96, 128)   # encoder stage widths at 256, 128, 64, 32, 16 px
    bottleneck_blocks: int = 4                        # dilated residual blocks at 16x16 (dilations 1,2,4,8,...)

    def to_dict(self) -> dict:
        return asdict(self)


class GatedConv(nn.Module):
    """features * sigmoid(gate): the gate learns where the input is trustworthy (Yu et al., free-form inpainting)."""

    def __init__(self, cin: int, cout: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, 2 * cout, 3, stride, padding=dilation, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat, gate = self.conv(x).chunk(2, dim=1)
        return F.leaky_relu(feat, 0.2) * torch.sigmoid(gate)


def conv_act(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation),
                         nn.LeakyReLU(0.2))


class ChannelSpatialAttention(nn.Module):
    """CBAM: reweight channels from pooled statistics, then positions from a 7x7 conv over channel statistics."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        hidden = max(channels // reduction, 8)
        self.mlp = nn.Sequential(nn.Conv2d(channels, hidden, 1), nn.ReLU(), nn.Conv2d(hidden, channels, 1))
        self.spatial = nn.Conv2d(2, 1, 7, padding=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        avg = x.mean(dim=(2, 3), keepdim=True)
        peak = x.amax(dim=(2, 3), keepdim=True)
        x = x * torch.sigmoid(self.mlp(avg) + self.mlp(peak))
        stats = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.spatial(stats))


class MultiScaleCSA(nn.Module):
    """Parallel depthwise 3x3 branches at dilations 1, 2, 4 (several receptive fields), fused, attended, residual."""

    def __init__(self, channels: int, dilations: tuple[int, ...] = (1, 2, 4)) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Conv2d(channels, channels, 3, padding=d, dilation=d, groups=channels) for d in dilations)
        self.fuse = nn.Sequential(nn.Conv2d(channels * len(dilations), channels, 1), nn.LeakyReLU(0.2))
        self.attention = ChannelSpatialAttention(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fuse(torch.cat([b(x) for b in self.branches], dim=1))
        return x + self.attention(y)


class DilatedResidual(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv = conv_act(channels, channels, dilation=dilation)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.proj(self.conv(x))


class UpStage(nn.Module):
    """Bilinear x2, concatenate the encoder skip, one 3x3 conv, then multi-scale channel-spatial attention."""

    def __init__(self, cin: int, cskip: int, cout: int, attention: bool = True) -> None:
        super().__init__()
        self.conv = conv_act(cin + cskip, cout)
        self.attention = MultiScaleCSA(cout) if attention else nn.Identity()

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False)
        return self.attention(self.conv(torch.cat([x, skip], dim=1)))


class MCSAMInpainter(nn.Module):
    """(image 0..1 N x 3 x H x W, mask N x 1 x H x W with 1 = hole) -> composite image 0..1; H, W multiples of 16."""

    def __init__(self, config: InpainterConfig = InpainterConfig()) -> None:
        super().__init__()
        self.config = config
        w = config.widths
        self.enc = nn.ModuleList([GatedConv(4, w[0])] + [GatedConv(w[i - 1], w[i], stride=2) for i in range(1, 4)])
        self.down = conv_act(w[3], w[4], stride=2)
        self.bottleneck = nn.Sequential(*[DilatedResidual(w[4], 2 ** i) for i in range(config.bottleneck_blocks)],
                                        MultiScaleCSA(w[4]))
        self.up = nn.ModuleList([UpStage(w[4], w[3], w[3]), UpStage(w[3], w[2], w[2]), UpStage(w[2], w[1], w[1]),
                                 UpStage(w[1], w[0], w[0], attention=False)])
        self.head = nn.Conv2d(w[0], 3, 3, padding=1)

    def predict(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The raw prediction for every pixel (before compositing), 0..1 after clamping."""
        known = image * (1.0 - mask)
        x = torch.cat([known * 2.0 - 1.0, mask], dim=1)
        skips = []
        for stage in self.enc:
            x = stage(x)
            skips.append(x)
        x = self.bottleneck(self.down(x))
        for stage, skip in zip(self.up, reversed(skips)):
            x = stage(x, skip)
        return (self.head(x) * 0.5 + 0.5).clamp(0.0, 1.0)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return image * (1.0 - mask) + self.predict(image, mask) * mask


@dataclass(frozen=True)
class SegmenterConfig:
    widths: tuple[int, ...] = (16, 24, 48, 64, 96)     # at 128, 64, 32, 16, 8 px (input is 256)

    def to_dict(self) -> dict:
        return asdict(self)


def conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class MaskSegmenter(nn.Module):
    """image 0..1 N x 3 x 256 x 256 -> mask logits N x 1 x 256 x 256 (sigmoid > 0.5 = face mask)."""

    def __init__(self, config: SegmenterConfig = SegmenterConfig()) -> None:
        super().__init__()
        self.config = config
        w = config.widths
        self.enc = nn.ModuleList([nn.Sequential(conv_bn(3, w[0], 2), conv_bn(w[0], w[0]))] +
                                 [nn.Sequential(conv_bn(w[i - 1], w[i], 2), conv_bn(w[i], w[i])) for i in range(1, 5)])
        self.dec = nn.ModuleList([conv_bn(w[i + 1] + w[i], w[i]) for i in reversed(range(4))])
        self.head = nn.Conv2d(w[0], 1, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = image * 2.0 - 1.0
        skips = []
        for stage in self.enc:
            x = stage(x)
            skips.append(x)
        for stage, skip in zip(self.dec, reversed(skips[:-1])):
            x = F.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False)
            x = stage(torch.cat([x, skip], dim=1))
        return F.interpolate(self.head(x), size=image.shape[2:], mode="bilinear", align_corners=False)
