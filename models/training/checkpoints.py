"""Resumable runs: one `last.pt` per run folder holding model, optimizer, step, config and RNG state; and the
small weights-only checkpoints a run publishes to commit."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn


def _write_atomic(path: Path, state: dict[str, Any]) -> None:
    """A crash mid-save leaves the previous checkpoint intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_checkpoint(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer, step: int,
                    extra: dict[str, Any]) -> None:
    """Atomic write: a crash mid-save leaves the previous checkpoint intact."""
    _write_atomic(path, {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                         "torch_rng": torch.get_rng_state(), **extra})


def load_checkpoint(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> dict[str, Any]:
    """Restore weights (and optimizer, RNG) in place; returns the whole saved dict (step, extras)."""
    state = load_portable(path, model)
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["torch_rng"])
    return state


def save_portable(path: Path, model: nn.Module, step: int, extra: dict[str, Any]) -> None:
    """A small weights-only checkpoint to commit (no optimizer state, no RNG), written atomically."""
    _write_atomic(path, {"model": model.state_dict(), "step": step, **extra})


def load_portable(path: Path, model: nn.Module) -> dict[str, Any]:
    """Load the weights of a save_portable checkpoint into `model`; returns the saved dict (step, companions)."""
    return build_from_checkpoint(path, lambda config: model)[1]


def build_from_checkpoint(path: Path, build: Callable[[dict[str, Any]], nn.Module]) -> tuple[nn.Module, dict[str, Any]]:
    """The net `build(config)` makes from a full or weights-only checkpoint's saved config, with its weights, and
    the saved dict; the file is read once."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    model = build(state.get("config", {}))
    model.load_state_dict(state["model"])
    return model, state
