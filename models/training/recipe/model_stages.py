"""ONNX export of the two trained nets (checked against torch) and their evaluation on validation identities."""

from __future__ import annotations

import json
from pathlib import Path

from editor.core.atomic import atomic_write_bytes

from .data_stages import code, faces_file
from .runner import Context, Stage

SEGMENTER_FILE = "mask_segmenter.onnx"
INPAINTER_FILE = "mcsam_inpainter.onnx"
EXPORT_CODE = ["models/training/export_onnx.py", "models/training/nets.py", "models/training/checkpoints.py",
               "models/training/manifest.py"]
EVALUATE_CODE = ["models/training/evaluate.py", "models/training/inpaint_quality.py", "models/training/dataset.py",
                 "models/training/synth_masks.py", "editor/vision/synthetic_mask.py",
                 "models/training/feature_nets.py", "editor/anonymize/recognizers.py"]


def make_export(ctx: Context, folder: Path) -> None:
    """Both nets to ONNX (written atomically), with their manifest rows (training record, export checks)."""
    import torch

    from models.training.export_onnx import export_run

    torch.set_num_threads(2)
    runs = ctx.settings["export"]["timing_runs"]
    rows = dict(export_run(kind, ctx.folder(kind), folder, write_manifest=False, timing_runs=runs)
                for kind in ("segmenter", "inpainter"))
    atomic_write_bytes(folder / "rows.json", (json.dumps(rows, indent=1) + "\n").encode())


EXPORT = Stage(
    "export", "export both nets to ONNX and check them against torch", make_export,
    lambda ctx: [ctx.folder("export") / name for name in (SEGMENTER_FILE, INPAINTER_FILE, "rows.json")],
    lambda ctx: [ctx.folder(kind) / name for kind in ("segmenter", "inpainter")
                 for name in ("last.pt", "metrics.jsonl")] + code(ctx, EXPORT_CODE),
    lambda ctx: ctx.settings["export"])


def make_evaluation(ctx: Context, folder: Path) -> None:
    """The segmenter's IoU and the inpainter beside the L1-only model and Telea, as evaluate.py measures them."""
    import cv2

    from models.training.evaluate import BASELINE, evaluate_models, print_table

    cv2.setNumThreads(2)
    knobs, built = ctx.settings["evaluate"], ctx.folder("export")
    report = evaluate_models(faces_file(ctx), ctx.source, "segmenter", knobs["segmenter_count"], 0,
                             built / INPAINTER_FILE, BASELINE, built / SEGMENTER_FILE, False)
    report.update(evaluate_models(faces_file(ctx), ctx.source, "inpainting", knobs["inpainter_count"],
                                  knobs["fsr_count"], built / INPAINTER_FILE, BASELINE, built / SEGMENTER_FILE,
                                  knobs["recognition"]))
    print_table(report)
    atomic_write_bytes(folder / "metrics.json", (json.dumps(report, indent=1) + "\n").encode())


EVALUATE = Stage(
    "evaluate", "evaluate both nets on the validation identities", make_evaluation,
    lambda ctx: [ctx.folder("evaluate") / "metrics.json"],
    lambda ctx: [ctx.folder("export") / SEGMENTER_FILE, ctx.folder("export") / INPAINTER_FILE, faces_file(ctx),
                 ctx.source / "mask-templates", ctx.repo / "models" / "training" / "baselines"
                 / "mcsam_l1_step6201.onnx"] + code(ctx, EVALUATE_CODE),
    lambda ctx: ctx.settings["evaluate"])
