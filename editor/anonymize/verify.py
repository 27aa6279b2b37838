"""Verification of an anonymized face: found again, far from the original identity, same geometry.

The check plays the attacker: it runs the detector again on the new pixels (around the face), predicts the 68
landmarks on what it found, and embeds that face with every recognizer, exactly as a recognition system would.
- redetected: the detector finds a face overlapping the original box (IoU >= MIN_IOU);
- identity: for each recognizer (editor/anonymize/recognizers.py), the distance to the original must reach that
  recognizer's data-chosen same-person threshold (plus `margin`); one recognizer that still sees the person fails
  the face;
- landmark NME: mean error of the 68 re-predicted points over the original's inter-ocular distance (outer eye
  corners, the 300-W convention).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import cv2
import numpy as np

from editor.core.faces import Face
from editor.core.geometry import Rect
from editor.vision.pipeline import FacePipeline

from .recognizers import Recognizer

MAX_NME = 0.08            # per-face bound (the benchmark's mean target is 0.05; dlib itself jitters ~0.02)
MIN_IOU = 0.4
SEARCH_PAD = 0.6          # the detector looks at the face box grown by this share on each side
# Re-detection sees the face at most this wide: YuNet finds faces of 10-500 px alike, and a big face's
# neighbourhood would take two detector passes (~50 ms) where one small one takes ~10.
REDETECT_FACE = 160


@dataclass(frozen=True)
class IdentityCheck:
    """One recognizer's verdict: the new face's distance to the original against its same-person threshold."""

    recognizer: str
    label: str
    distance: Optional[float]             # None when the face could not be embedded
    threshold: float                      # the data-chosen threshold plus the limits' margin

    @property
    def passed(self) -> bool:
        return self.distance is not None and self.distance >= self.threshold

    @property
    def ratio(self) -> float:
        """Distance over threshold: >= 1 clears this recognizer; comparable across recognizers."""
        return 0.0 if self.distance is None else self.distance / self.threshold

    def to_json(self) -> dict:
        return {"recognizer": self.recognizer, "distance": None if self.distance is None else round(self.distance, 4),
                "threshold": round(self.threshold, 4), "passed": self.passed}


@dataclass(frozen=True)
class Verification:
    redetected: bool
    identity: tuple[IdentityCheck, ...]   # one per recognizer, in the recognizers' order
    landmark_nme: Optional[float]         # None when the face was not found again
    passed: bool
    reasons: tuple[str, ...] = ()
    # The new face's embedding by each recognizer (by name): a re-roll and the bench compare against them.
    embeddings: Mapping[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    @property
    def identity_ratio(self) -> float:
        """The weakest recognizer's distance over its threshold (>= 1: every recognizer sees another person)."""
        return min((c.ratio for c in self.identity), default=0.0)

    def distance(self, recognizer: str) -> Optional[float]:
        return next((c.distance for c in self.identity if c.recognizer == recognizer), None)

    def to_json(self) -> dict:
        return {
            "redetected": self.redetected,
            "identity": [c.to_json() for c in self.identity],
            "landmark_nme": None if self.landmark_nme is None else round(self.landmark_nme, 4),
            "passed": self.passed,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class VerificationLimits:
    margin: float = 0.0                   # added to every recognizer's threshold
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


def verify_face(image: np.ndarray, face: Face, originals: Mapping[str, np.ndarray], pipeline: FacePipeline,
                recognizers: Sequence[Recognizer], limits: VerificationLimits = VerificationLimits()) -> Verification:
    """Check the anonymized `image` at `face` (the original detection, with its landmarks68); `originals` holds the
    original face's embedding by each recognizer's name."""
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
    checks, embeddings = [], {}
    for rec in recognizers:
        embedding = rec.embedder.embed(image, points)
        embeddings[rec.name] = embedding
        check = IdentityCheck(rec.name, rec.label, rec.distance(embedding, originals[rec.name]),
                              rec.threshold + limits.margin)
        checks.append(check)
        if not check.passed:
            reasons.append(f"{rec.label} distance {check.distance:.2f} is below {check.threshold:.2f} "
                           "(still recognisable)")
    return Verification(found is not None, tuple(checks), nme, not reasons, tuple(reasons), embeddings)
