"""The face a portrait is of: the largest face the app's pipeline finds with its 68 landmarks.

The one landmark finder for single-person photos, shared by the app's tools and the training code
(models/training: the aligned-face cache, the identity bank, the recognizer calibrations), so a model is
trained on faces found and landmarked exactly as the app finds them (YuNet, then dlib's 68 points on the box
dlib's own detector would draw: editor.vision.landmarks).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from editor.core.faces import Face

from .pipeline import FacePipeline, default_pipeline


def largest_face(image_rgb: np.ndarray, pipeline: Optional[FacePipeline] = None) -> Optional[Face]:
    """The largest detected face (by box area; the leftmost of equals) whose 68 landmarks were found, or None."""
    found = [f for f in (pipeline or default_pipeline()).find_faces(image_rgb) if f.landmarks68 is not None]
    return max(found, key=lambda f: f.box[2] * f.box[3]) if found else None
