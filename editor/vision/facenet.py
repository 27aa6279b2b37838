"""Identity embeddings from FaceNet (Inception-ResNet-v1, davidsandberg's 20180408-102900, CASIA-WebFace).

A second recognizer of another family than dlib's ResNet, so that verification does not hinge on one model's
blind spots. `models/facenet.onnx` is the package's TensorFlow graph converted once by
models/training/build_facenet_onnx.py; its manifest row says what goes in and out.

The network was trained on MTCNN boxes widened by a margin, resized to 160 x 160 without rotation. Here the
crop comes from the face's 5 alignment points (dlib's 68 when present, else YuNet's) through the app's own
FFHQ alignment, which also levels the eyes; CHIP_FRACTION, the share of that FFHQ square kept, was chosen on
the training identities (models/training/recognizer_thresholds.py). Pixels go in as (x - 127.5) / 128, the
"fixed image standardisation" this model was trained with; the package's per-image prewhitening separated the
training identities worse (balanced accuracy 0.906 against 0.942 on 40 identities).

ONNX Runtime releases the GIL while it loads and runs this model (measured: a ticking thread stalled at most
11 ms during the 0.5 s load, 6 ms while 8 faces were embedded), so unlike dlib it needs no model-host child.
"""

from __future__ import annotations

from typing import Optional, Sequence

import cv2
import numpy as np

from editor.core.faces import Face
from editor.core.lazy import Lazy

from .face_alignment import alignment_matrix, face_points, five_from_68
from .onnx_model import LazyOnnxModel

MODEL_NAME = "facenet"
CHIP_SIZE = 160            # the network's input size
CHIP_FRACTION = 0.8        # share of the FFHQ-framed square kept: about MTCNN's box plus facenet's margin
EMBEDDING_SIZE = 512


def chip_matrix(landmarks5: np.ndarray, fraction: float = CHIP_FRACTION) -> np.ndarray:
    """2x3 matrix from image pixels to the CHIP_SIZE chip: the central `fraction` of the FFHQ square."""
    outer = CHIP_SIZE / fraction
    matrix = alignment_matrix(landmarks5, size=outer).astype(np.float64)
    matrix[:, 2] -= (outer - CHIP_SIZE) / 2
    return matrix


def face_chip(image_rgb: np.ndarray, landmarks: np.ndarray, fraction: float = CHIP_FRACTION) -> np.ndarray:
    """The 160 x 160 RGB uint8 face FaceNet sees, from 68 landmarks (iBUG order) or YuNet's 5 points."""
    points = np.asarray(landmarks, np.float64)
    five = five_from_68(points) if len(points) == 68 else points
    matrix = chip_matrix(five, fraction)
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    source = image_rgb
    if scale < 0.5:        # a big face: average it down first so the warp does not alias
        source = cv2.resize(image_rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        fx, fy = image_rgb.shape[1] / source.shape[1], image_rgb.shape[0] / source.shape[0]
        matrix = matrix @ np.array([[fx, 0, (fx - 1) / 2], [0, fy, (fy - 1) / 2], [0, 0, 1]])
    return cv2.warpAffine(np.ascontiguousarray(source), matrix, (CHIP_SIZE, CHIP_SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT_101)


def face_chip_of(image_rgb: np.ndarray, face: Face, fraction: float = CHIP_FRACTION) -> np.ndarray:
    """The chip of a detected face (its 68 landmarks when it has them, else YuNet's 5 points)."""
    return face_chip(image_rgb, face_points(face), fraction)


def standardise(chips: np.ndarray) -> np.ndarray:
    """facenet's fixed image standardisation, what model 20180408-102900 was trained on: (x - 127.5) / 128."""
    return (chips.astype(np.float32) - np.float32(127.5)) / np.float32(128.0)


def network_input(chips: Sequence[np.ndarray]) -> np.ndarray:
    """N x 3 x 160 x 160 float32, what the ONNX graph takes, from RGB uint8 chips."""
    batch = np.stack([np.asarray(c) for c in chips])
    if batch.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3):
        raise ValueError(f"FaceNet chips must be {CHIP_SIZE} x {CHIP_SIZE} RGB, not {batch.shape[1:]}")
    return np.ascontiguousarray(standardise(batch).transpose(0, 3, 1, 2))


def unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two unit embeddings (0 same, 2 opposite; facenet's own measure)."""
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))


class FaceNetEmbedder:
    """FaceNet on ONNX Runtime, loaded (checksum verified) on first use; safe to call from any thread."""

    isolated = False

    def __init__(self, model: Optional[LazyOnnxModel] = None) -> None:
        self._model = model or LazyOnnxModel(MODEL_NAME)

    @property
    def device(self) -> str:
        return self._model.device

    def chip(self, image_rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        return face_chip(image_rgb, landmarks)

    def embed_chips(self, chips: Sequence[np.ndarray]) -> np.ndarray:
        """N x 512 float32 unit embeddings of 160 x 160 RGB chips (run in batches)."""
        if len(chips) == 0:
            return np.zeros((0, EMBEDDING_SIZE), np.float32)
        return unit(self._model.run_batched({"image": network_input(chips)}))

    def embed(self, image_rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """512 float32 unit embedding of the face with these landmarks (68, or YuNet's 5)."""
        return self.embed_chips([self.chip(image_rgb, landmarks)])[0]


_default: Lazy[FaceNetEmbedder] = Lazy(FaceNetEmbedder)


def default_embedder() -> FaceNetEmbedder:
    """The process-wide embedder (its ONNX session is created on first use, once)."""
    return _default.get()
