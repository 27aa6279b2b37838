"""The two trainings: the mask segmenter and the inpainter's texture fine-tune, each resumable from its last.pt."""

from __future__ import annotations

from pathlib import Path

from .data_stages import code, faces_file
from .runner import Context, Stage

TRAIN_CODE = ["models/training/train_common.py", "models/training/dataset.py", "models/training/synth_masks.py",
              "models/training/nets.py", "models/training/losses.py", "models/training/checkpoints.py",
              "editor/vision/synthetic_mask.py"]
SEGMENTER_CODE = TRAIN_CODE + ["models/training/train_segmenter.py"]
INPAINTER_CODE = TRAIN_CODE + ["models/training/train_inpaint.py", "models/training/feature_nets.py",
                               "models/training/discriminator.py", "models/training/lpips_weights.py",
                               "models/training/onnx_weights.py"]
COMMON = ("steps", "stop_step", "batch", "lr", "warmup", "size", "low_res_steps", "val_every", "val_count", "seed",
          "device", "threads", "save_minutes", "log_every")
TEXTURE = ("lpips_weight", "vgg_weight", "style_weight", "adv_weight", "adv_start", "d_lr", "colour_weight",
           "hole_weight")


def options(knobs: dict, names: tuple[str, ...]) -> list[str]:
    return [text for k in names for text in (f"--{k.replace('_', '-')}", str(knobs[k]))]


def train_argv(ctx: Context, folder: Path, knobs: dict, extra: tuple[str, ...] = ()) -> list[str]:
    return ["--data", str(ctx.source), "--faces", str(faces_file(ctx)), "--run", str(folder)] + options(
        knobs, COMMON + extra)


def make_segmenter(ctx: Context, folder: Path) -> None:
    from models.training import train_segmenter

    train_segmenter.main(train_argv(ctx, folder, ctx.settings["segmenter"]))


def make_inpainter(ctx: Context, folder: Path) -> None:
    from models.training import train_inpaint

    knobs = ctx.settings["inpainter"]
    train_inpaint.main(train_argv(ctx, folder, knobs, TEXTURE) + ["--init", str(ctx.repo / knobs["init"])])


def run_outputs(stage: str):
    return lambda ctx: [ctx.folder(stage) / "last.pt", ctx.folder(stage) / "metrics.jsonl"]


SEGMENTER = Stage(
    "segmenter", "train the mask segmenter", make_segmenter, run_outputs("segmenter"),
    lambda ctx: [faces_file(ctx), ctx.source / "mask-templates"] + code(ctx, SEGMENTER_CODE),
    lambda ctx: ctx.settings["segmenter"])

INPAINTER = Stage(
    "inpainter", "fine-tune the inpainter with the texture losses", make_inpainter, run_outputs("inpainter"),
    lambda ctx: [faces_file(ctx), ctx.source / "mask-templates", ctx.repo / ctx.settings["inpainter"]["init"]]
    + code(ctx, INPAINTER_CODE),
    lambda ctx: ctx.settings["inpainter"])
