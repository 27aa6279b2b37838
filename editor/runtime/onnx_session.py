"""ONNX Runtime sessions on the best device that really works: CUDA when it loads, otherwise the CPU.

onnxruntime-gpu lists CUDAExecutionProvider even on machines without a GPU or without the CUDA libraries; a
session then silently runs on the CPU. So a session is only labelled "CUDA" when it was created with that
provider active, and the first failure is remembered so later sessions skip the probe (and its noise).

That CUDA is missing is news only to a user who asked for the GPU: then it is a warning (once per process).
With "auto" the CPU is simply the answer on most machines, so it is said once at INFO, for `--verbose`.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Literal

import onnxruntime as ort

from editor.core.errors import ModelError

log = logging.getLogger(__name__)

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
Preference = Literal["auto", "cpu", "cuda"]

# ORT severities: 0 verbose, 1 info, 2 warning, 3 error, 4 fatal. Users need our one-line warning, not ORT's.
_ORT_SEVERITY = 3
_lock = threading.Lock()
_cuda_broken = False
_cuda_broken_reason = ""
_warned = False
_informed = False


def available_providers() -> list[str]:
    """Execution providers this onnxruntime build offers (not proof that they work here)."""
    return list(ort.get_available_providers())


def _options(threads: int | None) -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = _ORT_SEVERITY
    if threads:
        opts.intra_op_num_threads = threads
    # Worker threads that wait for the next run by spinning burn a core's CPU time between runs; the recognizers
    # run once per try among other work, so idle workers sleep instead.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return opts


def _try_cuda(path: Path, prefer: Preference) -> ort.InferenceSession | None:
    global _cuda_broken, _cuda_broken_reason
    reason = ""
    ort.set_default_logger_severity(4)      # the failed CUDA load would print a red ORT error block
    try:
        session = ort.InferenceSession(str(path), _options(None), providers=[CUDA, CPU])
        if CUDA in session.get_providers():
            return session
        reason = "the CUDA libraries did not load"
    except Exception as exc:  # noqa: BLE001 - any CUDA failure means: use the CPU
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    finally:
        ort.set_default_logger_severity(_ORT_SEVERITY)
    _cuda_broken, _cuda_broken_reason = True, reason
    _say_cuda_unusable(reason, prefer)
    return None


def _say_cuda_unusable(reason: str, prefer: Preference) -> None:
    """A warning once when the user chose the GPU, else one INFO line: a CPU-only machine is not a problem."""
    global _warned, _informed
    asked_for_gpu = prefer == "cuda"
    with _lock:
        if asked_for_gpu:
            first, _warned = not _warned, True
        else:
            first, _informed = not (_informed or _warned), True
    if first:
        log.log(logging.WARNING if asked_for_gpu else logging.INFO,
                "CUDA is not usable (%s); models run on the CPU.", reason)


def create_session(path: Path | str, prefer: Preference | None = None) -> tuple[ort.InferenceSession, str]:
    """A session for the model at `path` and the device it runs on ("CUDA" or "CPU").

    "auto" and "cuda" use CUDA when it really works and fall back to the CPU (logged once per process: a warning
    for "cuda", INFO for "auto"); "cpu" never tries CUDA. None follows the user's device preference (Settings).
    """
    if prefer is None:
        from .device import get_preference

        prefer = get_preference()
    if prefer not in ("auto", "cpu", "cuda"):
        raise ValueError(f"prefer must be 'auto', 'cpu' or 'cuda', not {prefer!r}")
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"The model file {path} is missing; reinstall Veil.")
    if prefer != "cpu":
        if _cuda_broken:
            _say_cuda_unusable(_cuda_broken_reason, prefer)     # an "auto" probe failed before "cuda" was asked
        elif CUDA in available_providers():
            session = _try_cuda(path, prefer)
            if session is not None:
                return session, "CUDA"
        else:
            _say_cuda_unusable("this onnxruntime build has no CUDA provider", prefer)
    try:
        session = ort.InferenceSession(str(path), _options(os.cpu_count()), providers=[CPU])
    except Exception:  # noqa: BLE001 - ORT raises several unrelated types for a bad file
        raise ModelError(f"The model file {path.name} could not be loaded; reinstall Veil.") from None
    return session, "CPU"
