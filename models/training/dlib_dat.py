"""dlib's binary model format (`dlib::serialize`), read in pure Python: the layers of a saved DNN with their weights.

The formats, from dlib's sources (dlib/serialize.h, dlib/float_details.h, dlib/cuda/tensor.h, dlib/dnn/core.h,
dlib/dnn/layers.h, dlib/dnn/input.h, dlib/dnn/loss.h):

- integer: a control byte (low 4 bits: how many bytes follow, bit 7: negative), then the magnitude little-endian;
- bool: the character '1' or '0';
- floating point: an integer mantissa m and an integer exponent e (value m * 2**e; e of 32000, 32001, 32002 mean
  +inf, -inf and NaN);
- string: its length (integer), then the bytes;
- tensor: version (2: data as raw little-endian float32; 1: each value as a floating point above), then
  num_samples, k, nr, nc, then the values in that (NCHW) order;
- alias tensor (a view into a layer's parameters): version 1, then its num_samples, k, nr, nc.

A network is written outermost layer first and each layer writes its sub-network before its own details, so
the file holds: the loss layer (version, details), one version integer per wrapper from the top down (2 for a
computational layer, 1 for a tag or skip layer, 3 for the layer that sits on the input), the input layer, and
then, from the bottom up, each computational layer's details followed by its state (3 bools and 3 tensors).
Tags and skips write nothing else, so which tag a layer refers to is not in the file: the caller knows the
network definition and checks it against `wrappers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

INF, NINF, NAN = 32000, 32001, 32002        # float_details' special exponents
WRAPPER_LAYER, WRAPPER_TAG, WRAPPER_INPUT = 2, 1, 3


class DatFormatError(ValueError):
    """The file is not the dlib serialization this reader understands."""


class Reader:
    """A cursor over the bytes of a dlib-serialized file."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise DatFormatError(f"the file ends early (byte {self.pos} of {len(self.data)})")
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def peek_byte(self) -> int:
        return self.data[self.pos]

    def integer(self) -> int:
        control = self._take(1)[0]
        size = control & 0x0F
        if control & 0x70 or size > 8:
            raise DatFormatError(f"byte {self.pos - 1} is not an integer's control byte ({control:#04x})")
        value = int.from_bytes(self._take(size), "little")
        return -value if control & 0x80 else value

    def boolean(self) -> bool:
        char = self._take(1)
        if char not in (b"0", b"1"):
            raise DatFormatError(f"byte {self.pos - 1} is not a bool ({char!r})")
        return char == b"1"

    def real(self) -> float:
        mantissa, exponent = self.integer(), self.integer()
        if exponent == INF:
            return float("inf")
        if exponent == NINF:
            return float("-inf")
        if exponent == NAN:
            return float("nan")
        return float(mantissa) * 2.0 ** exponent

    def string(self) -> str:
        return self._take(self.integer()).decode("latin-1")

    def tensor(self) -> np.ndarray:
        """A tensor as a float32 array of shape (num_samples, k, nr, nc)."""
        version = self.integer()
        if version not in (1, 2):
            raise DatFormatError(f"unknown tensor version {version} at byte {self.pos}")
        shape = tuple(self.integer() for _ in range(4))
        count = int(np.prod(shape))
        if version == 2:
            values = np.frombuffer(self._take(4 * count), dtype="<f4").astype(np.float32)
        else:
            values = np.array([self.real() for _ in range(count)], np.float32)
        return values.reshape(shape)

    def alias_tensor(self) -> tuple[int, int, int, int]:
        version = self.integer()
        if version != 1:
            raise DatFormatError(f"unknown alias_tensor version {version} at byte {self.pos}")
        return tuple(self.integer() for _ in range(4))

    def at_end(self) -> bool:
        return self.pos == len(self.data)


@dataclass
class Layer:
    """One computational layer: its kind ("con", "affine", "relu", "max_pool", "avg_pool", "add_prev", "fc"),
    the version string it was saved with, and its numbers (weights as float32 arrays)."""

    kind: str
    version: str
    values: dict = field(default_factory=dict)


@dataclass
class Network:
    loss: Layer
    input: Layer
    layers: list[Layer]                  # bottom up, the input layer's first consumer first
    wrappers: list[int]                  # version integers from the top down (WRAPPER_LAYER / _TAG / _INPUT)


def _con(r: Reader, version: str) -> dict:
    params = r.tensor().reshape(-1)
    out = {"num_filters": r.integer(), "nr": r.integer(), "nc": r.integer(), "stride_y": r.integer(),
           "stride_x": r.integer(), "padding_y": r.integer(), "padding_x": r.integer()}
    filters, biases = r.alias_tensor(), r.alias_tensor()
    out["multipliers"] = [r.real() for _ in range(4)]
    out["use_bias"] = r.boolean() if version == "con_5" else True
    size = int(np.prod(filters))
    out["filters"] = params[:size].reshape(filters)
    out["biases"] = params[size:size + int(np.prod(biases))] if out["use_bias"] else None
    if len(params) != size + (int(np.prod(biases)) if out["use_bias"] else 0):
        raise DatFormatError(f"a {version} layer's parameters do not match its filter and bias shapes")
    return out


def _affine(r: Reader, version: str) -> dict:
    params = r.tensor().reshape(-1)
    gamma, beta = r.alias_tensor(), r.alias_tensor()
    mode = r.integer()
    disabled = r.boolean() if version == "affine_2" else False
    n = int(np.prod(gamma))
    if int(np.prod(beta)) != n or len(params) != 2 * n:
        raise DatFormatError("an affine layer's parameters do not match its gamma and beta shapes")
    return {"gamma": params[:n].reshape(gamma), "beta": params[n:].reshape(beta), "mode": mode, "disabled": disabled}


def _batch_norm(r: Reader, version: str) -> dict:
    """bn_con2 / bn_fc2 (a network saved while training), frozen as dlib's affine_(const bn_&) does when it loads
    one into an affine layer: gamma / sqrt(running variance + eps), beta - that * running mean."""
    params = r.tensor().reshape(-1)
    gamma = r.alias_tensor()
    r.alias_tensor(), r.tensor(), r.tensor()     # beta's shape (gamma's), the last batch's means and invstds
    running_means, running_variances = r.tensor().reshape(-1), r.tensor().reshape(-1)
    r.integer(), r.integer()                     # num_updates, running_stats_window_size
    [r.real() for _ in range(4)]                 # learning-rate and weight-decay multipliers
    eps = np.float32(r.real())
    n = int(np.prod(gamma))
    g = params[:n] / np.sqrt(running_variances + eps)
    b = params[n:2 * n] - g * running_means
    return {"gamma": g.reshape(gamma), "beta": b.reshape(gamma), "mode": 0 if version.startswith("bn_con") else 1,
            "disabled": False}


def _pool(r: Reader, version: str) -> dict:
    return {"nr": r.integer(), "nc": r.integer(), "stride_y": r.integer(), "stride_x": r.integer(),
            "padding_y": r.integer(), "padding_x": r.integer()}


def _fc(r: Reader, version: str) -> dict:
    out = {"num_outputs": r.integer(), "num_inputs": r.integer()}
    params = r.tensor().reshape(-1)
    weights, biases = r.alias_tensor(), r.alias_tensor()
    out["bias_mode"] = r.integer()
    out["multipliers"] = [r.real() for _ in range(4)]
    out["use_bias"] = r.boolean() if version == "fc_3" else True
    size = int(np.prod(weights))
    out["weights"] = params[:size].reshape(out["num_inputs"], out["num_outputs"])   # output = input @ weights
    has_bias = out["bias_mode"] == 0 and out["use_bias"]
    out["biases"] = params[size:size + int(np.prod(biases))] if has_bias else None
    if size != out["num_inputs"] * out["num_outputs"]:
        raise DatFormatError("an fc layer's weights do not match its input and output sizes")
    return out


def _relu(r: Reader, version: str) -> dict:
    return {"disabled": r.boolean()} if version == "relu_2" else {}


def _nothing(r: Reader, version: str) -> dict:
    return {}


LAYER_READERS = {       # version string -> (kind, reader of the fields after it)
    "con_4": ("con", _con), "con_5": ("con", _con),
    "affine_": ("affine", _affine), "affine_2": ("affine", _affine),
    "bn_con2": ("affine", _batch_norm), "bn_fc2": ("affine", _batch_norm),
    "relu_": ("relu", _relu), "relu_2": ("relu", _relu),
    "max_pool_2": ("max_pool", _pool), "avg_pool_2": ("avg_pool", _pool),
    "add_prev_": ("add_prev", _nothing),
    "fc_2": ("fc", _fc), "fc_3": ("fc", _fc),
}


def _layer(r: Reader, on_input: bool = False) -> Layer:
    version = r.string()
    if version not in LAYER_READERS:
        raise DatFormatError(f"unsupported layer '{version}' at byte {r.pos}")
    kind, read = LAYER_READERS[version]
    layer = Layer(kind, version, read(r, version))
    # add_layer's state after the details: setup called, gradient stale, output disabled; x_grad, cached output,
    # and params_grad (grad_final for the layer on the input, which also writes its sample expansion factor).
    for _ in range(3):
        r.boolean()
    for _ in range(3):
        r.tensor()
    if on_input:
        r.integer()
    return layer


def _input_rgb(r: Reader) -> Layer:
    version = r.string()
    if version not in ("input_rgb_image", "input_rgb_image_sized"):
        raise DatFormatError(f"unsupported input layer '{version}'")
    values = {"mean_rgb": [r.real(), r.real(), r.real()]}
    if version == "input_rgb_image_sized":
        values["nr"], values["nc"] = r.integer(), r.integer()
    return Layer("input", version, values)


def _loss_metric(r: Reader) -> Layer:
    version = r.string()
    if version not in ("loss_metric_", "loss_metric_2"):
        raise DatFormatError(f"unsupported loss layer '{version}'")
    values = {"margin": r.real()}
    if version == "loss_metric_2":
        values["distance_threshold"] = r.real()
    return Layer("loss_metric", version, values)


def read_network(path: Path) -> Network:
    """Every layer of a dlib DNN saved with a loss_metric loss on an RGB input (dlib's face recognizer)."""
    r = Reader(Path(path).read_bytes())
    if r.integer() != 1:
        raise DatFormatError("the file does not start with a loss layer (version 1)")
    loss = _loss_metric(r)
    wrappers = []
    while not wrappers or wrappers[-1] != WRAPPER_INPUT:
        version = r.integer()
        if version not in (WRAPPER_LAYER, WRAPPER_TAG, WRAPPER_INPUT):
            raise DatFormatError(f"unexpected layer wrapper version {version} at byte {r.pos}")
        wrappers.append(version)
    net_input = _input_rgb(r)
    layers = [_layer(r, on_input=True)] + [_layer(r) for _ in range(sum(v == WRAPPER_LAYER for v in wrappers))]
    if not r.at_end():
        raise DatFormatError(f"{len(r.data) - r.pos} bytes are left after the last layer")
    return Network(loss, net_input, layers, wrappers)

