"""The one list of inpainting engines: the UI, the CLI and the services pick engines by name from here."""

from __future__ import annotations

import threading

from editor.core.errors import VeilError

from .base import InpaintEngine
from .classical import FSRBest, FSRFast, Telea
from .face_model import FaceModel

ENGINES: dict[str, type[InpaintEngine]] = {cls.name: cls for cls in (FaceModel, Telea, FSRFast, FSRBest)}
# FSR-fast: on brush strokes over CelebA faces it beats Telea by 2.6 dB (8 px) and 2.0 dB (16 px) and FSR-best
# (which must downscale) by 0.9 dB at 16 px; on face-mask-sized holes all three are poor (12.8-13.4 dB), the face
# model's job. It stays under ~1 s for any hole, where FSR-best takes 1-3 s.
DEFAULT_ENGINE = "fsr-fast"
# The face model fills what lies on a face with the learned inpainter and the rest with FSR-fast; the window uses
# it by default (editor/services/inpainting.FACE_AWARE_ENGINE).

_instances: dict[str, InpaintEngine] = {}
_lock = threading.Lock()


def engine_names() -> list[str]:
    return list(ENGINES)


def get_engine(name: str) -> InpaintEngine:
    """The shared instance of an engine (created on first use)."""
    if name not in ENGINES:
        raise VeilError(f"Unknown inpainting engine '{name}'; choose one of: {', '.join(ENGINES)}.")
    with _lock:
        if name not in _instances:
            _instances[name] = ENGINES[name]()
        return _instances[name]
