"""Runs a small ONNX graph as a differentiable torch module (training only).

The identity term needs gradients through a recognizer that exists only as ONNX. A converter package
(onnx2torch) would do, but it imports torchvision, and the torchvision wheels on PyPI are built against CUDA
torch: with the CPU torch this project pins, importing it fails. The recognizers used here are plain
convolutional nets, so a few operators suffice; any other operator is refused by name at load time, never
mis-run.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def _attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b=None, *, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1), group=1, **_):
    top, left, bottom, right = pads
    if (top, left) != (bottom, right):
        x = F.pad(x, (left, right, top, bottom))
        top = left = 0
    return F.conv2d(x, w, b, stride=tuple(strides), padding=(top, left), dilation=tuple(dilations), groups=group)


def _batch_norm(x, scale, bias, mean, var, *, epsilon=1e-5, **_):
    return F.batch_norm(x, mean, var, scale, bias, training=False, eps=epsilon)


def _prelu(x, slope):
    # ONNX broadcasts the slope (C,1,1 or C); F.prelu wants one value per channel.
    return torch.where(x >= 0, x, x * slope.reshape(1, -1, *([1] * (x.dim() - 2))))


def _flatten(x, *, axis=1):
    return x.reshape(int(np.prod(x.shape[:axis])), -1)


def _gemm(a, b, c=None, *, alpha=1.0, beta=1.0, transA=0, transB=0):
    a = a.t() if transA else a
    b = b.t() if transB else b
    out = alpha * (a @ b)
    return out if c is None else out + beta * c


OPERATORS = {
    "Conv": _conv,
    "BatchNormalization": _batch_norm,
    "PRelu": _prelu,
    "Relu": lambda x: F.relu(x),
    "Add": lambda a, b: a + b,
    "Sub": lambda a, b: a - b,
    "Mul": lambda a, b: a * b,
    "Dropout": lambda x, *_, **__: x,  # inference: identity
    "Flatten": _flatten,
    "Gemm": _gemm,
}
# Attributes that only matter for training or are implied by the weights.
IGNORED_ATTRIBUTES = {"momentum", "kernel_shape", "ratio", "spatial"}


class OnnxModule(nn.Module):
    """The graph's nodes run in their (topological) file order; initializers are buffers, so .to() moves them."""

    def __init__(self, model) -> None:
        super().__init__()
        from onnx import numpy_helper

        graph = model.graph
        unknown = sorted({n.op_type for n in graph.node} - OPERATORS.keys())
        if unknown:
            raise ValueError(f"the ONNX graph uses operators this runner does not have: {', '.join(unknown)}")
        self._names: dict[str, str] = {}
        for index, init in enumerate(graph.initializer):
            self._names[init.name] = f"w{index}"
            self.register_buffer(f"w{index}", torch.from_numpy(numpy_helper.to_array(init).copy()))
        self._input = next(i.name for i in graph.input if i.name not in self._names)
        self._output = graph.output[0].name
        self._nodes = [
            (n.op_type, list(n.input), n.output[0],
             {k: v for k, v in _attrs(n).items() if k not in IGNORED_ATTRIBUTES})
            for n in graph.node
        ]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values: dict[str, torch.Tensor] = {self._input: x}

        def value(name: str) -> torch.Tensor:
            return values[name] if name in values else getattr(self, self._names[name])

        for op, inputs, output, attrs in self._nodes:
            values[output] = OPERATORS[op](*(value(i) for i in inputs if i), **attrs)
        return values[self._output]


def load(path) -> OnnxModule:
    import onnx

    net = OnnxModule(onnx.load(str(path)))
    net.eval().requires_grad_(False)
    return net
