"""The canonical 256x256 face framing (FFHQ-style) that the mask segmenter and the face inpainter were trained on.

Training imports these functions (models/training/align.py), so app and training frame faces alike. Built from
eye centres and mouth corners. Training computed those points from dlib's 68 landmarks, so they are used when a
face has them; YuNet's 5 points are the fallback (on a masked face they misplace the framing by ~15 aligned px,
dlib's by ~5). A face much bigger than 256 px is shrunk with area averaging before the warp (no aliasing), and
the warp reflects the photo at its edges as training did.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from editor.core.faces import Face
from editor.core.geometry import Rect

ALIGNED_SIZE = 256


def five_from_68(landmarks68: np.ndarray) -> np.ndarray:
    """YuNet-order 5 points (right eye, left eye, nose tip, right/left mouth corner) from iBUG 68 landmarks."""
    lm = np.asarray(landmarks68, np.float64)
    return np.stack([lm[36:42].mean(0), lm[42:48].mean(0), lm[30], lm[48], lm[54]]).astype(np.float32)


def alignment_matrix(landmarks5: np.ndarray, size: int = ALIGNED_SIZE) -> np.ndarray:
    """2x3 similarity matrix mapping image pixels to the size x size canonical crop (FFHQ's recipe)."""
    lm = np.asarray(landmarks5, np.float64)
    eye_l, eye_r = lm[0], lm[1]
    mouth = (lm[3] + lm[4]) / 2
    eye_avg = (eye_l + eye_r) / 2
    eye_to_eye = eye_r - eye_l
    eye_to_mouth = mouth - eye_avg
    x = eye_to_eye - np.flipud(eye_to_mouth) * np.array([-1.0, 1.0])
    x /= np.hypot(*x)
    x *= max(np.hypot(*eye_to_eye) * 2.0, np.hypot(*eye_to_mouth) * 1.8)
    y = np.flipud(x) * np.array([-1.0, 1.0])
    c = eye_avg + eye_to_mouth * 0.1
    src = np.float32([c - x - y, c + x - y, c - x + y])
    dst = np.float32([[0, 0], [size, 0], [0, size]])
    return cv2.getAffineTransform(src, dst)


def face_points(face: Face) -> np.ndarray:
    """The 5 alignment points of a face: from dlib's 68 landmarks when present (as in training), else YuNet's."""
    if face.landmarks68 is not None:
        return five_from_68(face.landmarks68)
    return np.asarray(face.landmarks5, np.float32)


def _translated(matrix: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """The matrix for an image whose pixel (0, 0) is pixel (dx, dy) of the original."""
    out = matrix.astype(np.float64).copy()
    out[:, 2] += out[:, :2] @ np.array([dx, dy])
    return out


@dataclass(frozen=True)
class AlignedFace:
    matrix: np.ndarray       # 2x3, image pixels -> aligned pixels
    footprint: Rect          # the image pixels the aligned square covers (clipped to the image)
    pixels: np.ndarray       # ALIGNED_SIZE x ALIGNED_SIZE x 3 uint8

    @property
    def scale(self) -> float:
        """Aligned pixels per image pixel."""
        return float(np.sqrt(abs(np.linalg.det(self.matrix[:, :2]))))

    def to_aligned(self, values: np.ndarray, rect: Rect, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
        """A single-channel array covering `rect` of the image, warped into the aligned square (0 outside)."""
        return cv2.warpAffine(values, _translated(self.matrix, rect.x0, rect.y0), (ALIGNED_SIZE, ALIGNED_SIZE),
                              flags=interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    def covers(self, rect: Rect) -> np.ndarray:
        """Which pixels of `rect` of the image the aligned square lies over (bool)."""
        return self.to_image(np.ones((ALIGNED_SIZE, ALIGNED_SIZE), np.float32), rect) > 0.5

    def to_image(self, values: np.ndarray, rect: Rect, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
        """An aligned array warped back onto `rect` of the image (0 where the aligned square does not reach)."""
        return cv2.warpAffine(values, _translated(self.matrix, rect.x0, rect.y0), (rect.width, rect.height),
                              flags=interpolation | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=0)


def footprint(matrix: np.ndarray, width: int, height: int) -> Rect:
    """The image rect under the aligned square (plus 2 px for interpolation), clipped to the image."""
    inverse = cv2.invertAffineTransform(matrix)
    corners = np.array([[0, 0], [ALIGNED_SIZE, 0], [0, ALIGNED_SIZE], [ALIGNED_SIZE, ALIGNED_SIZE]], np.float64)
    points = corners @ inverse[:, :2].T + inverse[:, 2]
    x0, y0 = np.floor(points.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(points.max(axis=0)).astype(int) + 2
    return Rect(int(x0), int(y0), int(x1), int(y1)).clip(width, height)


def zoomed(matrix: np.ndarray, zoom: float) -> np.ndarray:
    """The alignment `matrix` with the face scaled by `zoom` about the square's centre: below 1 the square shows
    more of what lies around the face."""
    centre = ALIGNED_SIZE / 2
    scale = np.array([[zoom, 0.0, centre * (1 - zoom)], [0.0, zoom, centre * (1 - zoom)], [0.0, 0.0, 1.0]])
    return (scale @ np.vstack([np.asarray(matrix, np.float64), [0.0, 0.0, 1.0]]))[:2]


def face_square(face: Face, width: int, height: int) -> AlignedFace:
    """Where the face's aligned square lies in a width x height image, without cutting its pixels (no warp: for
    geometry only, e.g. `covers`)."""
    matrix = alignment_matrix(face_points(face))
    return AlignedFace(matrix, footprint(matrix, width, height), np.zeros((0, 0, 3), np.uint8))


def align_face(image: np.ndarray, face: Face, source: np.ndarray | None = None, zoom: float = 1.0) -> AlignedFace:
    """The face's canonical crop (`zoom` < 1: the same face smaller, with more of its surroundings). `source`, when
    given, is the footprint's pixels to use instead of the image's (an edited copy); it must be footprint-sized."""
    height, width = image.shape[:2]
    matrix = alignment_matrix(face_points(face))
    if zoom != 1.0:
        matrix = zoomed(matrix, zoom)
    rect = footprint(matrix, width, height)
    if rect.empty:
        raise ValueError("the face lies outside the image")
    crop = image[rect.slices] if source is None else source
    local = _translated(matrix, rect.x0, rect.y0)
    scale = float(np.sqrt(abs(np.linalg.det(local[:, :2]))))
    if scale < 0.5:          # big face: average it down first, then the warp is close to 1:1
        small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        fx, fy = crop.shape[1] / small.shape[1], crop.shape[0] / small.shape[0]
        # small pixel u sits at crop pixel fx * u + (fx - 1) / 2 (pixel centres)
        local = local @ np.array([[fx, 0, (fx - 1) / 2], [0, fy, (fy - 1) / 2], [0, 0, 1]])
        crop = small
    pixels = cv2.warpAffine(crop, local, (ALIGNED_SIZE, ALIGNED_SIZE), flags=cv2.INTER_CUBIC,
                            borderMode=cv2.BORDER_REFLECT_101)
    return AlignedFace(matrix, rect, pixels)
