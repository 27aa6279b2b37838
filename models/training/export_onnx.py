"""Export the trained nets to ONNX (opset 17), check ONNX Runtime against torch, time it on 2 CPU threads.

    .venv/bin/python -m models.training.export_onnx --kind segmenter --run runs/segmenter --install
    .venv/bin/python -m models.training.export_onnx --kind inpainter --run runs/inpainter --install
    .venv/bin/python -m models.training.export_onnx --kind inpainter --run runs/inpainter_texture \
        --checkpoint models/training/checkpoints/inpainter_last.pt --install     # a published checkpoint

Without --install the .onnx lands in the run folder; with it, in models/ with its row in models/manifest.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from editor.core.atomic import atomic_write_bytes
from models.training.checkpoints import build_from_checkpoint
from models.training.manifest import update_manifest
from models.training.nets import InpainterConfig, MaskSegmenter, MCSAMInpainter, SegmenterConfig

REPO = Path(__file__).resolve().parents[2]
OPSET = 17
SIZE = 256
ALIGNMENT = "FFHQ-style 256x256 crop from eye centres and mouth corners: models/training/align.py alignment_matrix"
LICENCE = "Non-commercial research only: trained on CelebA (see MODEL_CARD.md)"


class SegmenterProbability(nn.Module):
    """The segmenter with its sigmoid, so the app receives probabilities."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(image))


def _export(model: nn.Module, inputs: tuple[torch.Tensor, ...], names: list[str], output: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    axes = {n: {0: "batch"} for n in names + [output]}
    with warnings.catch_warnings():               # the TorchScript exporter is deprecated but exact for these nets
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model.eval(), inputs, str(tmp), opset_version=OPSET, input_names=names,
                          output_names=[output], dynamic_axes=axes, dynamo=False)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def check_and_time(path: Path, model: nn.Module, inputs: tuple[torch.Tensor, ...], runs: int = 15) -> dict:
    """Largest |ORT - torch| on `inputs`, and ORT's latency on 2 threads for one face.

    Wall time depends on what else runs on the machine; CPU time (with thread spinning off, so it counts only
    work) does much less: on an idle 2-core machine the wall time lies between CPU time / 2 and CPU time.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feeds = {i.name: x.numpy() for i, x in zip(session.get_inputs(), inputs)}
    got = session.run(None, feeds)[0]
    with torch.no_grad():
        want = model.eval()(*inputs).numpy()
    one = {k: v[:1] for k, v in feeds.items()}
    for _ in range(2):
        session.run(None, one)
    times, cpu_start = [], time.process_time()
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, one)
        times.append(time.perf_counter() - start)
    cpu_ms = (time.process_time() - cpu_start) / runs * 1e3
    data = path.read_bytes()
    return {"max_abs_diff": float(np.abs(got - want).max()),
            "ort_ms_median_2_threads": round(np.median(times) * 1e3, 1),
            "ort_ms_best_2_threads": round(min(times) * 1e3, 1), "ort_cpu_ms": round(cpu_ms, 1),
            "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _sample_inputs(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(2, 3, SIZE, SIZE, generator=g)
    mask = torch.zeros(2, 1, SIZE, SIZE)
    mask[:, :, 120:230, 60:200] = 1.0
    return image, mask


def export_inpainter(model: MCSAMInpainter, path: Path, metrics: dict[str, float], timing_runs: int = 15,
                     sidecar: bool = True) -> dict:
    image, mask = _sample_inputs()
    _export(model, (image, mask), ["image", "mask"], "inpainted", path)
    report = check_and_time(path, model, (image, mask), timing_runs)
    _report(path, report, metrics, sidecar)
    return report


def export_segmenter(model: MaskSegmenter, path: Path, metrics: dict[str, float], timing_runs: int = 15,
                     sidecar: bool = True) -> dict:
    wrapped = SegmenterProbability(model)
    image, _ = _sample_inputs()
    _export(wrapped, (image,), ["image"], "mask_probability", path)
    report = check_and_time(path, wrapped, (image,), timing_runs)
    _report(path, report, metrics, sidecar)
    return report


def _report(path: Path, report: dict, metrics: dict[str, float], sidecar: bool) -> None:
    """Print the export's numbers; with `sidecar`, also keep them as <model>.json beside it (run folders)."""
    print(f"exported {path}: {report['bytes']} bytes, sha256 {report['sha256']}, |ORT - torch| "
          f"{report['max_abs_diff']:.2e}, ORT {report['ort_ms_median_2_threads']} ms median "
          f"({report['ort_ms_best_2_threads']} best) on 2 threads, {report['ort_cpu_ms']} ms CPU time; "
          f"validation {metrics}", flush=True)
    if sidecar:
        text = json.dumps({**report, "validation": metrics}, indent=1) + "\n"
        atomic_write_bytes(path.with_suffix(".json"), text.encode())


def manifest_row(kind: str, report: dict, metrics: dict, training: dict) -> tuple[str, dict]:
    face = {"name": "image", "shape": ["batch", 3, SIZE, SIZE], "dtype": "float32",
            "layout": "RGB 0..1, NCHW, aligned face"}
    common = {"sha256": report["sha256"], "bytes": report["bytes"], "licence": LICENCE, "notice": "MODEL_CARD.md",
              "source": "Veil (models/training)", "runtime": "onnxruntime", "alignment": ALIGNMENT,
              "trained_on": "CelebA (160 identities; 20 held out for validation) with synthetic masks from "
                            "mask-templates (MIT)", "training": training,
              "ort_ms_2_threads": report["ort_ms_median_2_threads"], "ort_cpu_ms": report["ort_cpu_ms"],
              "metrics": metrics}
    if kind == "inpainter":
        return "mcsam_inpainter", {
            "file": "mcsam_inpainter.onnx", "label": "face inpainter", "task": "face-inpainting",
            "purpose": "Fill the hole of an aligned face; known pixels pass through (the output is the composite).",
            "inputs": [face, {"name": "mask", "shape": ["batch", 1, SIZE, SIZE], "dtype": "float32",
                              "layout": "1 = hole to fill, 0 = keep"}],
            "outputs": [{"name": "inpainted", "shape": ["batch", 3, SIZE, SIZE], "dtype": "float32",
                         "layout": "RGB 0..1"}], **common}
    return "mask_segmenter", {
        "file": "mask_segmenter.onnx", "label": "face-mask segmenter", "task": "face-mask-segmentation",
        "purpose": "Find the face-mask region of an aligned face (probability > 0.5), ready to use as the hole.",
        "inputs": [face],
        "outputs": [{"name": "mask_probability", "shape": ["batch", 1, SIZE, SIZE], "dtype": "float32",
                     "layout": "0..1"}], **common}


def export_run(kind: str, run: Path, out_dir: Path, write_manifest: bool, checkpoint: Path | None = None,
               timing_runs: int = 15) -> tuple[str, dict]:
    """Export a run's last.pt (or `checkpoint`) into `out_dir` and return its manifest row (key, fields); with
    `write_manifest`, also write the row into `out_dir`/manifest.json (else the export's numbers go to a .json
    beside the model)."""
    is_inpainter = kind == "inpainter"
    build = lambda config: (MCSAMInpainter(InpainterConfig(**config)) if is_inpainter
                            else MaskSegmenter(SegmenterConfig(**config)))
    model, state = build_from_checkpoint(checkpoint or run / "last.pt", build)    # a full or weights-only one
    config = state.get("config", {})
    metrics = _last_metrics(run)
    name = "mcsam_inpainter.onnx" if is_inpainter else "mask_segmenter.onnx"
    export = export_inpainter if is_inpainter else export_segmenter
    report = export(model, out_dir / name, metrics, timing_runs, sidecar=not write_manifest)
    args = {k: v.replace(str(REPO) + "/", "") for k, v in state.get("args", {}).items()}
    training = {"steps": state["step"], "args": args, "config": config,
                "hours": round(state.get("elapsed_s", 0.0) / 3600, 2), "hardware": state.get("hardware", "")}
    key, row = manifest_row(kind, report, metrics, training)
    if write_manifest:
        update_manifest(out_dir / "manifest.json", key, row)
    return key, row


def _last_metrics(run: Path) -> dict:
    lines = (run / "metrics.jsonl").read_text().strip().splitlines() if (run / "metrics.jsonl").exists() else []
    if not lines:
        return {}
    last = json.loads(lines[-1])
    return {k: round(v, 4) for k, v in last.items() if k not in ("time", "step", "size")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=["inpainter", "segmenter"], required=True)
    ap.add_argument("--run", type=Path, required=True, help="run folder with last.pt and metrics.jsonl")
    ap.add_argument("--checkpoint", type=Path, help="export this checkpoint instead of the run's last.pt")
    ap.add_argument("--install", action="store_true", help="write into models/ and models/manifest.json")
    args = ap.parse_args()
    torch.set_num_threads(2)
    export_run(args.kind, args.run, REPO / "models" if args.install else args.run, args.install, args.checkpoint)


if __name__ == "__main__":
    main()
