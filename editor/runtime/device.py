"""The user's device preference (auto / CPU / GPU) for every ONNX Runtime session, and whether CUDA really works.

The GUI sets the preference from its settings at start and whenever the user changes it; services pass
`get_preference()` to `onnx_session.create_session`, so no service needs to know where the setting lives.
"""

from __future__ import annotations

import logging
import threading
from typing import Optional, get_args

from editor.core.errors import VeilError

from . import onnx_session
from .models import model_path

log = logging.getLogger(__name__)

Preference = onnx_session.Preference
PREFERENCES: tuple[str, ...] = get_args(Preference)           # ("auto", "cpu", "cuda")
PROBE_MODEL = "yunet"           # the smallest model that always ships: a CUDA session on it proves CUDA works
NO_CUDA = ("No CUDA GPU was found; Veil is using the CPU. Choose Auto or CPU in Settings to hide this message.")

_lock = threading.Lock()
_preference: Preference = "auto"
_cuda_works: Optional[bool] = None          # None until probed
_no_cuda_logged = False


def set_preference(preference: str) -> None:
    """Use "auto" (CUDA when it works, else CPU), "cpu" or "cuda" for the sessions created from now on."""
    global _preference
    if preference not in PREFERENCES:
        raise ValueError(f"device preference must be one of {PREFERENCES}, not {preference!r}")
    with _lock:
        _preference = preference  # type: ignore[assignment]


def get_preference() -> Preference:
    with _lock:
        return _preference


def cuda_works() -> bool:
    """Whether an ONNX Runtime session really runs on CUDA here; probed once per process (seconds on a GPU
    machine while CUDA loads, a few milliseconds without one), so call it from a worker thread."""
    global _cuda_works
    with _lock:
        if _cuda_works is not None:
            return _cuda_works
    if onnx_session.CUDA not in onnx_session.available_providers():
        works = False
    else:
        try:
            # "auto", not "cuda": a probe is not the user asking for the GPU, so a CPU-only machine hears no warning
            _, device = onnx_session.create_session(model_path(PROBE_MODEL), prefer="auto")
            works = device == "CUDA"
        except VeilError:
            works = False           # a broken probe model is reported by the model check, not here
    with _lock:
        _cuda_works = works
    return works


def device_in_use() -> str:
    """ "CUDA" or "CPU": where a session created now would run (probes CUDA unless the preference is CPU)."""
    if get_preference() == "cpu":
        return "CPU"
    return "CUDA" if cuda_works() else "CPU"


def preference_problem() -> Optional[str]:
    """NO_CUDA when the user chose the GPU and there is none (logged once per process), else None."""
    global _no_cuda_logged
    if get_preference() != "cuda" or cuda_works():
        return None
    with _lock:
        first, _no_cuda_logged = not _no_cuda_logged, True
    if first:
        log.warning(NO_CUDA)
    return NO_CUDA
