"""The strong fallback for faces the identity engine cannot handle (tiny, no landmarks, failed verification).

Pixelation uses blocks of a fifth of the face (about 5 x 5 blocks across it), blur a Gaussian of a quarter of the
face: at those strengths neither a person nor a recognizer can tell who it was, and the shape still reads "face".
"""

from __future__ import annotations

import cv2
import numpy as np

from editor.core.faces import Face
from editor.vision.face_region import face_mask

from .synthesis import FacePatch

FALLBACKS = ("pixelate", "blur")
BLOCKS_ACROSS = 5
BLUR_SHARE = 0.25


def obscure_face(image: np.ndarray, face: Face, mode: str = "pixelate") -> FacePatch:
    """The face's region (landmark outline, or an ellipse in its box) pixelated or blurred.

    The edge is hard, so no original pixel shows through a soft border.
    """
    if mode not in FALLBACKS:
        raise ValueError(f"fallback must be one of {FALLBACKS}")
    rect, mask = face_mask(face, image.shape)
    if rect.empty:
        return FacePatch(rect, image[rect.slices].copy(), np.zeros((0, 0), bool))
    crop = image[rect.slices]
    size = max(1.0, float(min(face.box[2], face.box[3])))
    if mode == "pixelate":
        block = max(2, int(round(size / BLOCKS_ACROSS)))
        small = cv2.resize(crop, (max(1, rect.width // block), max(1, rect.height // block)),
                           interpolation=cv2.INTER_AREA)
        hidden = cv2.resize(small, (rect.width, rect.height), interpolation=cv2.INTER_NEAREST)
    else:
        sigma = max(1.5, BLUR_SHARE * size)
        hidden = cv2.GaussianBlur(crop, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REPLICATE)
    inside = mask > 0
    out = crop.copy()
    out[inside] = hidden[inside]
    return FacePatch(rect, out, inside)
