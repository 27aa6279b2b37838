"""Verification of an anonymized face: found again, far from the original identity, same geometry.

The check plays the attacker: it runs the detector again on the new pixels (around the face), predicts the 68
landmarks on what it found, and embeds that face with dlib's recognizer, exactly as a recognition system would.
- redetected: the detector finds a face overlapping the original box (IoU >= MIN_IOU);
- identity distance: dlib 128-d distance to the original (>= SAME_PERSON, 0.6, means another person for dlib);
- landmark NME: mean error of the 68 re-predicted points over the original's inter-ocular distance (outer eye
  corners, the 300-W convention).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import cv2
import numpy as np

from editor.core.faces import Face
from editor.core.geometry import Rect
from editor.vision.pipeline import FacePipeline

from .identity import SAME_PERSON, IdentityEmbedder, distance

MAX_NME = 0.08            # per-face bound (the benchmark's mean target is 0.05; dlib itself jitters ~0.02)
MIN_IOU = 0.4
SEARCH_PAD = 0.6          # the detector looks at the face box grown by this share on each side
# Re-detection sees the face at most this wide: YuNet finds faces of 10-500 px alike, and a big face's
# neighbourhood would take two detector passes (~50 ms) where one small one takes ~10.
REDETECT_FACE = 160


@dataclass(frozen=True)
class Verification:
    redetected: bool
    identity_distance: Optional[float]    # None when the face could not be embedded
    landmark_nme: Optional[float]         # None when the face was not found again
    passed: bool
    reasons: tuple[str, ...] = ()
    embedding: Optional[np.ndarray] = field(default=None, compare=False, repr=False)   # the new face's descriptor

    def to_json(self) -> dict:
        return {
            "redetected": self.redetected,
            "identity_distance": None if self.identity_distance is None else round(self.identity_distance, 4),
            "landmark_nme": None if self.landmark_nme is None else round(self.landmark_nme, 4),
            "passed": self.passed,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class VerificationLimits:
    min_distance: float = SAME_PERSON
    max_nme: float = MAX_NME


def inter_ocular(landmarks68: np.ndarray) -> float:
    return max(float(np.linalg.norm(landmarks68[36] - landmarks68[45])), 1e-6)


def landmark_nme(found: np.ndarray, reference: np.ndarray) -> float:
    """Mean point error of `found` against `reference`, over the reference's inter-ocular distance."""
    err = np.linalg.norm(np.asarray(found, np.float64) - np.asarray(reference, np.float64), axis=1)
    return float(err.mean() / inter_ocular(np.asarray(reference, np.float64)))


def _iou(a: Rect, b: Rect) -> float:
    inter = a.intersect(b).area
    union = a.area + b.area - inter
    return inter / union if union else 0.0


def redetect(pipeline: FacePipeline, image: np.ndarray, face: Face) -> Optional[Face]:
    """The detection in `image` that best overlaps `face`'s box (full-image coordinates), or None."""
    x, y, w, h = face.box
    h_img, w_img = image.shape[:2]
    search = Rect(int(x - SEARCH_PAD * w), int(y - SEARCH_PAD * h),
                  int(x + w + SEARCH_PAD * w) + 1, int(y + h + SEARCH_PAD * h) + 1).clip(w_img, h_img)
    if search.empty:
        return None
    crop = image[search.slices]
    scale = min(1.0, REDETECT_FACE / max(w, h, 1.0))
    if scale < 1.0:
        crop = cv2.resize(crop, (max(1, round(search.width * scale)), max(1, round(search.height * scale))),
                          interpolation=cv2.INTER_AREA)
    sx, sy = search.width / crop.shape[1], search.height / crop.shape[0]
    best, best_iou = None, MIN_IOU
    for found in pipeline.detector.detect(np.ascontiguousarray(crop)):
        fx, fy, fw, fh = found.box
        found.box = (fx * sx + search.x0, fy * sy + search.y0, fw * sx, fh * sy)
        found.landmarks5 = (found.landmarks5 * np.array([sx, sy], np.float32)
                            + np.array([search.x0, search.y0], np.float32))
        iou = _iou(found.rect, face.rect)
        if iou >= best_iou:
            best, best_iou = found, iou
    return best


def verify_face(image: np.ndarray, face: Face, original_embedding: np.ndarray, pipeline: FacePipeline,
                embedder: IdentityEmbedder, limits: VerificationLimits = VerificationLimits()) -> Verification:
    """Check the anonymized `image` at `face` (the original detection, with its landmarks68)."""
    found = redetect(pipeline, image, face)
    reasons = []
    nme = None
    points = face.landmarks68
    if found is None:
        reasons.append("the face is not found again by the detector")
    else:
        points = pipeline.predictor.predict(image, found)
        nme = landmark_nme(points, face.landmarks68)
        if nme > limits.max_nme:
            reasons.append(f"landmark error {nme:.3f} is above {limits.max_nme:.2f} (the geometry moved)")
    embedding = embedder.embed(image, points)
    dist = distance(embedding, original_embedding)
    if dist < limits.min_distance:
        reasons.append(f"identity distance {dist:.2f} is below {limits.min_distance:.2f} (still recognisable)")
    return Verification(found is not None, dist, nme, not reasons, tuple(reasons), embedding)
