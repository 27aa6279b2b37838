"""Detection plus landmarks behind one call, with the models loaded once per process."""

from __future__ import annotations

import logging
import threading
from typing import Optional

import cv2
import numpy as np

from editor.core.faces import Face
from editor.core.lazy import Lazy
from editor.core.progress import JobContext

from .detector import MIN_SCORE, FaceDetector
from .landmarks import LandmarkPredictor, RemoteLandmarkPredictor, default_predictor
from .model_host import isolated_host

log = logging.getLogger(__name__)

MIN_FACE_FOR_LANDMARKS = 32     # px (shorter box side): below this the 68 points are guesswork
NO_LANDMARKS = "no-landmarks"


def _plausible(points: np.ndarray, face: Face) -> bool:
    """The predictor always answers; reject answers that left the face (NaN, or far outside its box)."""
    if not np.isfinite(points).all():
        return False
    x, y, w, h = face.box
    inside = ((points[:, 0] >= x - w * 0.5) & (points[:, 0] <= x + w * 1.5)
              & (points[:, 1] >= y - h * 0.5) & (points[:, 1] <= y + h * 1.5))
    return bool(inside.mean() > 0.9)


class FacePipeline:
    """Holds one detector and one landmark predictor, created on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._detector: Optional[FaceDetector] = None
        self._predictor: Optional[LandmarkPredictor | RemoteLandmarkPredictor] = None

    @property
    def detector(self) -> FaceDetector:
        with self._lock:
            if self._detector is None:
                self._detector = FaceDetector()
            return self._detector

    @property
    def predictor(self) -> LandmarkPredictor | RemoteLandmarkPredictor:
        host = isolated_host()
        with self._lock:
            if self._predictor is None or self._predictor.isolated != (host is not None):
                self._predictor = RemoteLandmarkPredictor(host) if host is not None else default_predictor()
            return self._predictor

    def find_faces(self, image_rgb: np.ndarray, with_landmarks: bool = True,
                   ctx: Optional[JobContext] = None, min_score: float = MIN_SCORE) -> list[Face]:
        """Faces left to right, found at confidence `min_score` or more; with landmarks68 filled, or None plus the
        "no-landmarks" flag."""
        faces = self.detector.detect(image_rgb, min_score, ctx=ctx.sub(0.0, 0.8) if ctx is not None else None)
        if not with_landmarks:
            return faces
        for n, face in enumerate(faces):
            if ctx is not None:
                ctx.progress(0.8 + 0.2 * n / len(faces), "Finding landmarks")
            face.landmarks68 = self.landmarks_for(image_rgb, face)
            if face.landmarks68 is None:
                face.flags.append(NO_LANDMARKS)
        if ctx is not None:
            ctx.progress(1.0, "Faces found")
        return faces

    def landmarks_for(self, image_rgb: np.ndarray, face: Face) -> Optional[np.ndarray]:
        """68 landmarks of one detected face, or None when it is too small or the prediction is implausible."""
        if min(face.box[2], face.box[3]) < MIN_FACE_FOR_LANDMARKS:
            return None
        try:
            points = self.predictor.predict(image_rgb, face)
        except (RuntimeError, ValueError, cv2.error) as exc:
            log.warning("Landmarks failed for the face at %s: %s", face.rect, exc)
            return None
        return points if _plausible(points, face) else None


_default: Lazy[FacePipeline] = Lazy(FacePipeline)


def default_pipeline() -> FacePipeline:
    """The process-wide pipeline (models load once, on first use)."""
    return _default.get()
