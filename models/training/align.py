"""The canonical face framing both models are trained on (FFHQ-style), from eye centres and mouth corners.

The app must align faces with this same function before running the segmenter or the inpainter, so it is
defined from points every detector gives: YuNet's 5 landmarks or dlib's 68 (via `five_from_68`).
"""

from __future__ import annotations

import cv2
import numpy as np

ALIGNED_SIZE = 256


def five_from_68(landmarks68: np.ndarray) -> np.ndarray:
    """YuNet-order 5 points (right eye, left eye, nose tip, right/left mouth corner) from iBUG 68 landmarks.

    "Right eye" is the subject's right eye, which lies on the image's left (iBUG 36-41).
    """
    lm = np.asarray(landmarks68, np.float64)
    return np.stack([lm[36:42].mean(0), lm[42:48].mean(0), lm[30], lm[48], lm[54]]).astype(np.float32)


def alignment_matrix(landmarks5: np.ndarray, size: int = ALIGNED_SIZE) -> np.ndarray:
    """2x3 similarity matrix mapping image pixels to the size x size canonical crop (FFHQ's recipe)."""
    lm = np.asarray(landmarks5, np.float64)
    eye_l, eye_r = lm[0], lm[1]                      # image-left eye, image-right eye
    mouth = (lm[3] + lm[4]) / 2
    eye_avg = (eye_l + eye_r) / 2
    eye_to_eye = eye_r - eye_l
    eye_to_mouth = mouth - eye_avg
    x = eye_to_eye - np.flipud(eye_to_mouth) * np.array([-1.0, 1.0])
    x /= np.hypot(*x)
    x *= max(np.hypot(*eye_to_eye) * 2.0, np.hypot(*eye_to_mouth) * 1.8)
    y = np.flipud(x) * np.array([-1.0, 1.0])
    c = eye_avg + eye_to_mouth * 0.1
    src = np.float32([c - x - y, c + x - y, c - x + y])             # top-left, top-right, bottom-left
    dst = np.float32([[0, 0], [size, 0], [0, size]])
    return cv2.getAffineTransform(src, dst)


def transform_points(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, np.float64)
    return (pts @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)
