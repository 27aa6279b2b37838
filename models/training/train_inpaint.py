"""Train the M-CSAM face inpainter on synthetic masked faces, then export it to ONNX.

Loss: hole-weighted L1 on the raw prediction (6x inside the hole) + (1 - SSIM) of the composite. Perceptual
and style losses need a pretrained feature network (VGG), which is not available offline here (no
torchvision, no weight downloads); the adversarial (PatchGAN) term doubles the cost of a step, which a CPU
run cannot afford. Both are left out: on a GPU they are the next things to add.

    setsid nohup nice -n 19 .venv/bin/python -m models.training.train_inpaint --steps 6000 \
        > runs/inpainter/log.txt 2>&1 &

Run the same command again to resume from runs/inpainter/last.pt.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from models.training.export_onnx import export_inpainter
from models.training.losses import hole_weighted_l1, psnr, ssim
from models.training.nets import InpainterConfig, MCSAMInpainter
from models.training.train_common import Batch, Task, common_args, train

SSIM_WEIGHT = 0.5


def inpaint_loss(model: nn.Module, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
    pred = model.predict(batch.masked, batch.hole)
    composite = batch.masked * (1 - batch.hole) + pred * batch.hole
    l1 = hole_weighted_l1(pred, batch.face, batch.hole)
    structure = 1.0 - ssim(composite, batch.face).mean()
    return l1 + SSIM_WEIGHT * structure, {"l1": l1.item(), "1-ssim": structure.item()}


def inpaint_metrics(model: nn.Module, batches: list[Batch]) -> dict[str, float]:
    whole_psnr, whole_ssim, hole_psnr, hole_l1 = [], [], [], []
    for b in batches:
        out = model(b.masked, b.hole)
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


def main() -> None:
    ap = common_args(__doc__.split("\n")[0], "inpainter")
    args = ap.parse_args()
    config = InpainterConfig()

    def finish(model: nn.Module, run: Path, metrics: dict[str, float]) -> None:
        export_inpainter(model, run / "mcsam_inpainter.onnx", metrics)

    task = Task("M-CSAM inpainter", MCSAMInpainter(config), config.to_dict(), inpaint_loss, inpaint_metrics,
                {"flip": 0.5, "jitter": 0.2}, finish)
    train(task, args)


if __name__ == "__main__":
    main()
