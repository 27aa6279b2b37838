"""A small patch discriminator for the adversarial term of the inpainter's training, with hinge losses.

It sees a 128 x 128 crop of the face and its hole mask (4 channels) and scores 16 x 16 overlapping patches
(receptive field 46 px: a nostril, a lip corner). Spectral normalisation keeps it Lipschitz, so one
discriminator step per generator step is stable without a gradient penalty. Only the patches that cover the
hole count as fake: the known pixels of a composite are the real photo.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class PatchDiscriminator(nn.Module):
    def __init__(self, widths: tuple[int, ...] = (32, 64, 128)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 4
        for w in widths:
            layers += [spectral_norm(nn.Conv2d(cin, w, 4, 2, 1)), nn.LeakyReLU(0.2)]
            cin = w
        layers += [spectral_norm(nn.Conv2d(cin, cin, 3, 1, 1)), nn.LeakyReLU(0.2), nn.Conv2d(cin, 1, 3, 1, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        """Patch scores N x 1 x H/8 x W/8 (higher = looks real)."""
        return self.net(torch.cat([image * 2.0 - 1.0, hole], dim=1))


def patch_weight(hole: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
    """The share of each scored patch that lies in the hole (N x 1 x h x w), for weighting fake patches."""
    return F.adaptive_avg_pool2d(hole, scores.shape[2:])


def _weighted_mean(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return (x * weight).sum() / weight.sum().clamp_min(1e-6)


def discriminator_hinge(real_scores: torch.Tensor, fake_scores: torch.Tensor, hole_weight: torch.Tensor
                        ) -> torch.Tensor:
    """Hinge loss of the discriminator: real patches above +1, hole patches of composites below -1."""
    return F.relu(1.0 - real_scores).mean() + _weighted_mean(F.relu(1.0 + fake_scores), hole_weight)


def generator_hinge(fake_scores: torch.Tensor, hole_weight: torch.Tensor) -> torch.Tensor:
    """The generator raises the discriminator's score of its hole patches."""
    return -_weighted_mean(fake_scores, hole_weight)
