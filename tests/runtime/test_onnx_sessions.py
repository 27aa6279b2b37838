"""ONNX Runtime session factory: CUDA only when it really works, otherwise the CPU, with one warning only for
a user who asked for the GPU."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from editor.core.errors import ModelError
from editor.runtime import onnx_session
from editor.runtime.models import model_info, model_path
from editor.runtime.onnx_session import available_providers, create_session


@pytest.fixture
def fresh_probe(monkeypatch):
    """Forget what earlier tests learnt about CUDA in this process."""
    monkeypatch.setattr(onnx_session, "_cuda_broken", False)
    monkeypatch.setattr(onnx_session, "_warned", False)
    monkeypatch.setattr(onnx_session, "_informed", False)


def _run_yunet(session) -> dict:
    outputs = session.run(None, {"input": np.zeros((1, 3, 160, 160), np.float32)})
    return {o.name: value for o, value in zip(session.get_outputs(), outputs)}


def test_cpu_session_runs_the_detector():
    session, device = create_session(model_path("yunet"), prefer="cpu")
    assert device == "CPU" and session.get_providers() == ["CPUExecutionProvider"]
    outputs = _run_yunet(session)
    declared = [o["name"] for o in model_info("yunet")["outputs"]]
    assert list(outputs) == declared
    # 160 x 160 input: 20 x 20 anchors at stride 8, 4 values per box.
    assert outputs["bbox_8"].shape == (1, 400, 4) and outputs["kps_32"].shape == (1, 25, 10)


def test_auto_labels_the_device_that_really_runs(fresh_probe, caplog):
    assert "CPUExecutionProvider" in available_providers()
    with caplog.at_level(logging.INFO, logger=onnx_session.__name__):
        first, device = create_session(model_path("yunet"), prefer="auto")
        create_session(model_path("yunet"), prefer="auto")
        auto_said = [(r.levelno, r.getMessage()) for r in caplog.records]
        caplog.clear()
        second, device_again = create_session(model_path("yunet"), prefer="cuda")
        create_session(model_path("yunet"), prefer="cuda")
        cuda_said = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert device == device_again
    assert ("CUDAExecutionProvider" in first.get_providers()) == (device == "CUDA")
    _run_yunet(second)
    if device == "CPU":     # "auto": a line for --verbose; "cuda" was asked for: one warning
        assert [level for level, _ in auto_said] == [logging.INFO] and "CUDA is not usable" in auto_said[0][1]
        assert [level for level, _ in cuda_said] == [logging.WARNING] and "CUDA is not usable" in cuda_said[0][1]
    else:
        assert auto_said == cuda_said == []


def test_bad_files_are_model_errors(tmp_path):
    with pytest.raises(ModelError, match="missing"):
        create_session(tmp_path / "nothing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"^The model file junk.onnx could not be loaded; reinstall Veil\.$"):
        create_session(junk, prefer="cpu")
    with pytest.raises(ValueError):
        create_session(junk, prefer="tpu")
