"""One shipped ONNX model, loaded on first use (checksum verified) and reloaded when the device preference changes."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import onnxruntime as ort

from editor.runtime.device import get_preference
from editor.runtime.models import model_path
from editor.runtime.onnx_session import create_session

MAX_BATCH = 8          # faces per run: measured to work on CPU and CUDA, and bounds the memory of a crowd photo


class LazyOnnxModel:
    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._session: ort.InferenceSession | None = None
        self._preference: str | None = None
        self._file: Path | None = None
        self.device = "CPU"

    def use_file(self, path: Path) -> None:
        """Run `path` instead of the shipped model, unchecked: a candidate a benchmark compares with it."""
        with self._lock:
            self._file, self._session = Path(path), None

    def session(self) -> ort.InferenceSession:
        preference = get_preference()
        with self._lock:
            if self._session is None or self._preference != preference:
                path = self._file or model_path(self.name)
                self._session, self.device = create_session(path, prefer=preference)
                self._preference = preference
            return self._session

    def run_batched(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """The model's first output for inputs whose first axis is the batch, run MAX_BATCH at a time."""
        session = self.session()
        count = len(next(iter(inputs.values())))
        parts = [session.run(None, {k: v[i:i + MAX_BATCH] for k, v in inputs.items()})[0]
                 for i in range(0, count, MAX_BATCH)]
        return np.concatenate(parts, axis=0)
