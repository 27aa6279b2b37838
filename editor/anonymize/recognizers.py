"""The face recognizers that judge an anonymized face, each with a threshold chosen from data.

A face is "verified" only when every recognizer here sees another person: dlib's ResNet (128-d, trained on
faces scraped from the web) and FaceNet (Inception-ResNet-v1, 512-d, CASIA-WebFace): two architectures, two training
sets, so a face that slips past one recognizer's blind spot is still caught by the other. Each threshold is where
that recognizer best separates same-person from different-person pairs of the training identities' original
photos (models/training/recognizer_thresholds.py writes models/recognizers.json, a manifest row, so it is checked
and bundled like the models), not a textbook value.

dlib stays the recognizer the identity bank is organised by (its groups, tour and retry plan are in dlib's space).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np

from editor.core.lazy import Lazy

from .identity import distance
from .thresholds import recognizer_threshold


class Embedder(Protocol):
    def chip(self, image_rgb: np.ndarray, landmarks68: np.ndarray) -> np.ndarray: ...
    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray: ...
    def embed(self, image_rgb: np.ndarray, landmarks68: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Recognizer:
    name: str                             # "dlib", "facenet": the key in reports
    label: str                            # what the review and the CLI call it
    threshold: float                      # closer than this is the same person (data-chosen)
    _embedder: Callable[[], Embedder]     # the embedder to use now (dlib's may live in the model host child)

    @property
    def embedder(self) -> Embedder:
        return self._embedder()

    # Euclidean, both recognizers' own measure (FaceNet's embeddings are unit length).
    distance = staticmethod(distance)

    def embed_faces(self, image: np.ndarray, landmarks: Sequence[np.ndarray]) -> np.ndarray:
        embedder = self.embedder
        return embedder.embed_chips([embedder.chip(image, lm) for lm in landmarks])


def _dlib() -> Embedder:
    from .identity import default_embedder

    return default_embedder()


def _facenet() -> Embedder:
    from editor.vision.facenet import default_embedder

    return default_embedder()


_FACTORIES = {"dlib": ("dlib ResNet", _dlib), "facenet": ("FaceNet", _facenet)}
_loaded: Lazy[tuple[Recognizer, ...]] = Lazy(
    lambda: tuple(Recognizer(name, label, recognizer_threshold(name), factory)
                  for name, (label, factory) in _FACTORIES.items()))


def default_recognizers() -> tuple[Recognizer, ...]:
    """dlib first (the bank's own space), then FaceNet, each with its shipped threshold."""
    return _loaded.get()
