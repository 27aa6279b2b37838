"""Train the face-mask segmenter on synthetic masked faces (target: the exact hole), then export it to ONNX.

    setsid nohup nice -n 19 .venv/bin/python -m models.training.train_segmenter --steps 3000 \
        > runs/segmenter/log.txt 2>&1 &

Run the same command again to resume from runs/segmenter/last.pt.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from models.training.export_onnx import export_segmenter
from models.training.losses import iou, soft_iou_loss
from models.training.nets import MaskSegmenter, SegmenterConfig
from models.training.train_common import Batch, Task, common_args, train


def segmenter_loss(model: nn.Module, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
    logits = model(batch.masked)
    if logits.shape[-1] != batch.hole.shape[-1]:
        logits = F.interpolate(logits, size=batch.hole.shape[2:], mode="bilinear", align_corners=False)
    bce = F.binary_cross_entropy_with_logits(logits, batch.hole)
    soft = soft_iou_loss(logits, batch.hole)
    return bce + soft, {"bce": bce.item(), "soft_iou": soft.item()}


def segmenter_metrics(model: nn.Module, batches: list[Batch]) -> dict[str, float]:
    scores = torch.cat([iou(model(b.masked), b.hole) for b in batches])
    return {"iou_mean": scores.mean().item(), "iou_min": scores.min().item(),
            "share_iou_ge_0.9": (scores >= 0.9).float().mean().item()}


def main(argv: list[str] | None = None) -> None:
    ap = common_args(__doc__.split("\n")[0], "segmenter")
    ap.add_argument("--degrade", type=float, default=0.0,
                    help="share of faces shrunk and enlarged back (dataset.degraded); 0 for the shipped model")
    ap.add_argument("--bare", type=float, default=0.05, help="share of faces without a mask (empty target)")
    args = ap.parse_args(argv)
    config = SegmenterConfig()

    def finish(model: nn.Module, run: Path, metrics: dict[str, float]) -> None:
        export_segmenter(model, run / "mask_segmenter.onnx", metrics)

    task = Task("mask segmenter", MaskSegmenter(config), config.to_dict(), segmenter_loss, segmenter_metrics,
                {"flip": 0.5, "jitter": 0.5, "bare": args.bare, "degrade": args.degrade}, finish)
    train(task, args)


if __name__ == "__main__":
    main()
