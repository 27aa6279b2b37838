"""The pure-Python reader of dlib's model files and the rebuild of dlib's recognizer (models/dlib_recognizer.onnx):
dlib's number encodings, the whole .dat read to its last byte as dlib's face recognition ResNet, a training-time
batch-norm record frozen as dlib freezes it, and the shipped .onnx is what the build script exports."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from editor.core.files import file_sha256
from editor.runtime.models import model_info, model_path
from models.training.dlib_dat import DatFormatError, Reader, _layer, read_network


def pack_integer(value: int) -> bytes:
    """dlib's integer encoding, written here independently of the reader."""
    magnitude = abs(value).to_bytes(8, "little").rstrip(b"\x00") or b"\x00"
    return bytes([len(magnitude) | (0x80 if value < 0 else 0)]) + magnitude


def pack_real(mantissa: int, exponent: int) -> bytes:
    return pack_integer(mantissa) + pack_integer(exponent)


def pack_tensor(array: np.ndarray) -> bytes:
    shape = tuple(array.shape) + (1,) * (4 - array.ndim)
    return pack_integer(2) + b"".join(pack_integer(n) for n in shape) + struct.pack(
        f"<{array.size}f", *np.asarray(array, np.float32).reshape(-1))


def pack_string(text: str) -> bytes:
    return pack_integer(len(text)) + text.encode()


def test_dlibs_numbers_decode():
    r = Reader(b"\x01\x00" + b"\x02\x80\x12" + b"\x81\x1c" + b"\x03\n\xd7\xa3\x81\x1c" + b"10")
    assert (r.integer(), r.integer(), r.integer()) == (0, 4736, -28)
    assert r.real() == pytest.approx(0.04, abs=1e-9)                 # the recognizer's own loss margin, as stored
    assert (r.boolean(), r.boolean()) == (True, False) and r.at_end()
    assert Reader(pack_real(0, 32000)).real() == float("inf")
    with pytest.raises(DatFormatError, match="control byte"):
        Reader(b"\x31").integer()
    with pytest.raises(DatFormatError, match="ends early"):
        Reader(b"\x02\x01").integer()


def test_the_recognizer_file_is_read_whole_as_dlibs_resnet():
    pytest.importorskip("torch", reason="the [train] extra (torch) is not installed")
    from models.training.build_dlib_onnx import ANET_STEPS, check_structure, source_path

    net = read_network(source_path())            # refuses a file with bytes left over, and checks the pinned sha256
    check_structure(net, ANET_STEPS)             # every layer, size, stride and padding of anet_type
    kinds = [layer.kind for layer in net.layers]
    assert kinds.count("con") == 29 and kinds.count("add_prev") == 14 and kinds[-1] == "fc"
    assert net.layers[-1].values["weights"].shape == (256, 128)
    assert net.input.values["mean_rgb"] == pytest.approx([122.782, 117.001, 104.298], abs=1e-4)
    assert net.loss.values["distance_threshold"] == pytest.approx(0.6)


def test_a_batch_norm_record_is_frozen_as_dlib_does():
    gamma, beta = np.array([2.0, 0.5], np.float32), np.array([1.0, -1.0], np.float32)
    mean, var, eps = np.array([0.25, 4.0], np.float32), np.array([3.0, 0.01], np.float32), 1e-5
    empty = pack_tensor(np.zeros(0, np.float32))
    alias = pack_integer(1) + b"".join(pack_integer(n) for n in (1, 2, 1, 1))
    record = (pack_string("bn_con2") + pack_tensor(np.concatenate([gamma, beta])) + alias + alias + empty + empty
              + pack_tensor(mean) + pack_tensor(var) + pack_integer(10) + pack_integer(1000)
              + pack_real(1, 0) * 3 + pack_real(0, 0) + pack_real(int(eps * 2 ** 40), -40)
              + b"110" + empty * 3)
    r = Reader(record)
    layer = _layer(r)
    assert r.at_end() and layer.kind == "affine" and layer.values["mode"] == 0
    g = gamma / np.sqrt(var + np.float32(eps))
    np.testing.assert_allclose(layer.values["gamma"].reshape(-1), g, rtol=1e-6)
    np.testing.assert_allclose(layer.values["beta"].reshape(-1), beta - g * mean, rtol=1e-6)


def test_the_shipped_onnx_is_what_the_build_exports(tmp_path):
    torch = pytest.importorskip("torch", reason="the [train] extra (torch) is not installed")
    from models.training.build_dlib_onnx import MODEL_NAME, DlibResNet, export, source_path

    row = model_info(MODEL_NAME)
    if f"torch {torch.__version__} " not in row["conversion"]["tools"]:
        pytest.skip(f"the shipped file was exported by another torch ({row['conversion']['tools']})")
    out = tmp_path / "dlib_recognizer.onnx"
    export(DlibResNet(read_network(source_path())), out)
    assert file_sha256(out) == file_sha256(model_path(MODEL_NAME)) == row["sha256"]
