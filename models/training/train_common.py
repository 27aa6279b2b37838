"""The resumable training loop shared by the inpainter and the segmenter.

A run lives in runs/<name>/: last.pt (model, optimizer, step, RNG), log.txt (when started with nohup),
metrics.jsonl (one line per validation). Starting the same command again resumes from last.pt. The data
stream is a pure function of (seed, sample number), so a resumed run sees exactly the pairs it would have.

runs/ is not committed, so a run can also `--publish` a small weights-only checkpoint (model and a task's
companion nets such as a discriminator, no optimizer state) into the repository at every save, and a later
session on another machine starts from it with `--init` (optimizer moments restart, with a short warm-up).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.training.checkpoints import load_checkpoint, load_portable, save_checkpoint, save_portable
from models.training.dataset import FaceCache, Pair, PairStream, validation_pairs
from models.training.synth_masks import MaskLibrary

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def common_args(description: str, run_name: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder (mask-templates/)")
    ap.add_argument("--faces", type=Path, default=REPO / "data" / "faces256.npz", help="prepare_faces output")
    ap.add_argument("--run", type=Path, default=REPO / "runs" / run_name, help="run folder (resumes from last.pt)")
    ap.add_argument("--device", default="auto", help="auto (cuda when available), cpu or cuda")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads for torch")
    ap.add_argument("--steps", type=int, required=True, help="total optimizer steps of the run")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=256, help="train resolution")
    ap.add_argument("--low-res-steps", type=int, default=0,
                    help="the first steps train at 128 px (4x cheaper): progressive resizing for CPU runs")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--val-every", type=int, default=250, help="steps between validations")
    ap.add_argument("--val-count", type=int, default=64, help="validation faces used during training")
    ap.add_argument("--save-minutes", type=float, default=5.0)
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=200, help="steps of linear learning-rate warm-up")
    ap.add_argument("--init", type=Path, help="weights to start from when the run has no last.pt: a checkpoint "
                    "written by --publish (keeps its step) or, for the inpainter, an exported .onnx (step 0)")
    ap.add_argument("--publish", type=Path, help="also write a weights-only checkpoint here at every save")
    ap.add_argument("--workers", type=int, default=0,
                    help="processes that synthesise the next batches while the GPU trains (0: inline)")
    ap.add_argument("--max-minutes", type=float, default=0.0,
                    help="stop (after saving) once this much wall time has passed; 0 = run to --steps")
    ap.add_argument("--stop-step", type=int, default=0,
                    help="stop (after saving) at this step; 0 = run to --steps, which the learning-rate schedule "
                         "spans either way")
    ap.add_argument("--amp", choices=["none", "bf16"], default="none",
                    help="bf16 autocast for the forward passes (mixed precision on CUDA)")
    return ap


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def hardware(device: torch.device, threads: int) -> str:
    """What trained the model, for the model card: the GPU's name, or the CPU model and thread count."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = platform.processor() or "CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return f"{cpu}, {threads} threads"


def lr_at(step: int, total: int, base: float, warmup: int = 200) -> float:
    """Linear warm-up, then cosine decay to 5% of the base rate."""
    if step < warmup:
        return base * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * t)))


@dataclass
class Batch:
    face: torch.Tensor        # N x 3 x S x S, 0..1
    masked: torch.Tensor      # N x 3 x S x S, 0..1
    hole: torch.Tensor        # N x 1 x S x S, 0/1


class StepBatches(torch.utils.data.Dataset):
    """Batch number -> the CPU tensors of that step's pairs (the same pure function of the step as inline)."""

    def __init__(self, stream: PairStream, batch: int, size_of: Callable[[int], int]) -> None:
        self.stream, self.batch, self.size_of = stream, batch, size_of

    def __len__(self) -> int:
        return 2 ** 31 - 1

    def __getitem__(self, step: int) -> Batch:
        return to_batch(self.stream.batch(step * self.batch, self.batch), torch.device("cpu"), self.size_of(step))


def batches_from(stream: PairStream, first_step: int, batch: int, size_of: Callable[[int], int], workers: int,
                 device: torch.device):
    """Batches for steps first_step, first_step + 1, ...: inline, or prefetched by worker processes."""
    if workers <= 0:
        step = first_step
        while True:
            yield to_batch(stream.batch(step * batch, batch), device, size_of(step))
            step += 1
    steps = range(first_step, 2 ** 31 - 1)
    loader = torch.utils.data.DataLoader(StepBatches(stream, batch, size_of), batch_size=None,
                                         sampler=steps, num_workers=workers, prefetch_factor=4,
                                         persistent_workers=True, pin_memory=device.type == "cuda")
    for b in loader:
        yield Batch(b.face.to(device, non_blocking=True), b.masked.to(device, non_blocking=True),
                    b.hole.to(device, non_blocking=True))


def to_batch(pairs: list[Pair], device: torch.device, size: int = 256) -> Batch:
    """Stack pairs as tensors; below 256 px images are area-averaged and the hole max-pooled (stays covering)."""
    img = lambda key: torch.from_numpy(np.stack([getattr(p, key) for p in pairs])).permute(0, 3, 1, 2).float() / 255
    face, masked = img("face"), img("masked")
    hole = torch.from_numpy(np.stack([p.hole for p in pairs]))[:, None].float()
    factor = face.shape[-1] // size
    if factor > 1:
        face, masked = F.avg_pool2d(face, factor), F.avg_pool2d(masked, factor)
        hole = F.max_pool2d(hole, factor)
    return Batch(face.to(device), masked.to(device), hole.to(device))


@dataclass
class Task:
    """What differs between the two trainings.

    `companions` holds a loss's own trained parts (the inpainter's discriminator and its optimizer): anything
    with state_dict / load_state_dict / to(device), saved and resumed with the model. `init` loads starting
    weights into the model from a file that is not a checkpoint (the inpainter: an exported .onnx).
    """
    name: str
    model: nn.Module
    config: dict
    loss: Callable[[nn.Module, Batch], tuple[torch.Tensor, dict[str, float]]]
    validate: Callable[[nn.Module, list[Batch]], dict[str, float]]
    stream_options: dict
    finish: Callable[[nn.Module, Path, dict[str, float]], None]
    companions: object | None = None
    init: Callable[[nn.Module, Path], None] | None = None


def train(task: Task, args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    print(f"{task.name}: device {device}, {args.threads} CPU threads, config {task.config}", flush=True)
    library = MaskLibrary(args.data / "mask-templates")
    cache = FaceCache.load(args.faces)
    train_idx, val_idx = cache.split()
    print(f"faces: {len(train_idx)} train, {len(val_idx)} validation (by identity)", flush=True)
    stream = PairStream(cache, train_idx, library, args.seed, **task.stream_options)
    val_pairs = validation_pairs(cache, val_idx, library, args.val_count)
    val_batches = lambda size: [to_batch(val_pairs[i:i + 16], device, size) for i in range(0, len(val_pairs), 16)]

    model = task.model.to(device)
    if task.companions is not None:
        task.companions.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.99))
    last = args.run / "last.pt"
    step, elapsed_before, fresh_from = 0, 0.0, 0
    if last.exists():
        state = load_checkpoint(last, model, optimizer)
        if task.companions is not None and "companions" in state:
            task.companions.load_state_dict(state["companions"])
        step, elapsed_before = state["step"], state.get("elapsed_s", 0.0)
        print(f"resumed from {last} at step {step}", flush=True)
    elif args.init is not None:
        step, elapsed_before = _initialise(task, model, args.init)
        fresh_from = step
        print(f"started from {args.init} at step {step} (new optimizer state)", flush=True)
    args.run.mkdir(parents=True, exist_ok=True)
    started = time.time()
    extra = lambda: {"config": task.config, "args": {k: str(v) for k, v in vars(args).items()},
                     "elapsed_s": elapsed_before + time.time() - started, "hardware": hardware(device, args.threads),
                     **({"companions": task.companions.state_dict()} if task.companions is not None else {})}
    autocast = lambda: torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.amp == "bf16")

    saved_at = tick = time.time()
    tick_step = step
    deadline = started + args.max_minutes * 60 if args.max_minutes > 0 else float("inf")
    running: dict[str, float] = {}
    size_of = lambda s: 128 if s < args.low_res_steps else args.size
    stop_at = min(args.steps, args.stop_step) if args.stop_step > 0 else args.steps
    if stop_at < args.steps and step >= stop_at:
        print(f"already at step {step} (--stop-step {args.stop_step}); checkpoint {last}", flush=True)
        return
    batches = batches_from(stream, step, args.batch, size_of, args.workers, device)
    model.train()
    while step < args.steps:
        rate_now = lr_at(step, args.steps, args.lr, args.warmup)
        if fresh_from:              # fresh Adam moments on resumed weights: warm up again
            rate_now *= min(1.0, (step - fresh_from + 1) / args.warmup)
        for group in optimizer.param_groups:
            group["lr"] = rate_now
        size = size_of(step)
        batch = next(batches)
        with autocast():
            loss, parts = task.loss(model, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        for k, v in parts.items():
            running[k] = running.get(k, 0.0) + v
        if step % args.log_every == 0 or step == args.steps:
            n = step - tick_step
            rate = n / max(time.time() - tick, 1e-6)
            eta = (args.steps - step) / max(rate, 1e-9)
            shown = " ".join(f"{k} {v / n:.4f}" for k, v in running.items())
            print(f"step {step}/{args.steps} {shown} | {rate * args.batch:.1f} img/s, "
                  f"ETA {eta / 3600:.1f} h", flush=True)
            running, tick, tick_step = {}, time.time(), step
        if step % args.val_every == 0 or step == args.steps:
            metrics = evaluate(task, model, val_batches(size))      # at the size being trained
            print(f"validation @ {step} ({size} px): " + " ".join(f"{k} {v:.4f}" for k, v in metrics.items()),
                  flush=True)
            with open(args.run / "metrics.jsonl", "a") as f:
                f.write(json.dumps({"step": step, "size": size, "time": time.time(), **metrics}) + "\n")
        if time.time() - saved_at > args.save_minutes * 60 or step == args.steps:
            _save(task, args, model, optimizer, step, extra())
            saved_at = time.time()
        if step == stop_at < args.steps:
            _save(task, args, model, optimizer, step, extra())
            print(f"stopped at step {step} of {args.steps} (--stop-step); checkpoint {last}", flush=True)
            return
        if time.time() > deadline:
            _save(task, args, model, optimizer, step, extra())
            print(f"stopped at step {step} after {args.max_minutes:g} minutes; checkpoint {last}", flush=True)
            return
    print(f"finished {args.steps} steps; checkpoint {last}", flush=True)
    model = model.cpu()
    task.finish(model.eval(), args.run, evaluate(task, model, [
        Batch(b.face.cpu(), b.masked.cpu(), b.hole.cpu()) for b in val_batches(args.size)]))


def _save(task: Task, args: argparse.Namespace, model: nn.Module, optimizer: torch.optim.Optimizer, step: int,
          state: dict) -> None:
    """The run's full last.pt and, with --publish, the weights-only checkpoint (companions' weights only)."""
    save_checkpoint(args.run / "last.pt", model, optimizer, step, state)
    if args.publish is not None:
        weights_only = getattr(task.companions, "weights_state_dict", None)
        save_portable(args.publish, model, step, {**state, "companions": weights_only()} if weights_only else state)


def _initialise(task: Task, model: nn.Module, path: Path) -> tuple[int, float]:
    """Starting weights from a published checkpoint (its step and time) or the task's own loader (step 0)."""
    if path.suffix == ".pt":
        state = load_portable(path, model)
        if task.companions is not None and "companions" in state:
            task.companions.load_state_dict(state["companions"])
        return state["step"], state.get("elapsed_s", 0.0)
    if task.init is None:
        raise SystemExit(f"{task.name} cannot start from {path.name}; give a .pt checkpoint")
    task.init(model, path)
    return 0, 0.0


def evaluate(task: Task, model: nn.Module, batches: list[Batch]) -> dict[str, float]:
    model.eval()
    with torch.no_grad():
        metrics = task.validate(model, batches)
    model.train()
    return metrics
