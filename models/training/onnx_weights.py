"""Recover a torch net's weights from an exported ONNX file (the TorchScript exporter keeps parameter names).

Used to fine-tune the shipped inpainter when its training checkpoint is gone: every state_dict entry must be an
initializer of the same name and shape, or nothing is loaded.
"""

from __future__ import annotations

from pathlib import Path

import onnx
import torch
from onnx import numpy_helper
from torch import nn


def load_onnx_weights(path: Path, model: nn.Module) -> nn.Module:
    """Copy the initializers of `path` into `model` (in place) and return it; raises on any missing or odd name."""
    graph = onnx.load(str(path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state = model.state_dict()
    missing = [k for k in state if k not in inits]
    wrong = [k for k in state if k in inits and tuple(inits[k].shape) != tuple(state[k].shape)]
    if missing or wrong:
        raise ValueError(f"{path.name} does not hold this net's weights: missing {missing[:5]}, "
                         f"shape mismatch {wrong[:5]}")
    model.load_state_dict({k: torch.from_numpy(inits[k].copy()) for k in state})
    return model
