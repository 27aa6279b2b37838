"""Find faces and turn the chosen ones into mask selections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Optional

import numpy as np

from editor.core.document import Document
from editor.core.faces import Face
from editor.core.geometry import Rect
from editor.core.progress import JobContext
from editor.vision import model_host
from editor.vision.face_region import face_mask
from editor.vision.pipeline import default_pipeline

# YuNet runs on OpenCV's default DNN backend (the CPU) and dlib's landmarks are CPU code: detection never runs on a
# GPU, whatever the device preference says.
DETECTION_DEVICE = "CPU"


def isolate_face_models() -> None:
    """Run dlib's models in a child process from now on, and start loading them.

    For the GUI: dlib holds the GIL for seconds while it loads, which would freeze the window.
    """
    model_host.enable_isolation()


def detect_faces(image: np.ndarray, ctx: Optional[JobContext] = None, with_landmarks: bool = True) -> List[Face]:
    """Detect every face (with 68 landmarks where possible). Safe to call from a worker thread."""
    return default_pipeline().find_faces(image, with_landmarks=with_landmarks, ctx=ctx)


@dataclass(frozen=True)
class FoundFaces:
    """The faces a detection job found, and the device that ran it."""

    faces: List[Face]
    device: str


def find_faces(image: np.ndarray, ctx: Optional[JobContext] = None) -> FoundFaces:
    """detect_faces as a job whose result says where it ran (what the window's status bar shows)."""
    return FoundFaces(detect_faces(image, ctx), DETECTION_DEVICE)


def faces_mask(faces: Iterable[Face], shape: tuple[int, int]) -> tuple[Optional[Rect], Optional[np.ndarray]]:
    """Union of the face regions as (rect, mask crop); (None, None) when there are no faces."""
    parts = [face_mask(f, shape) for f in faces]
    parts = [(r, m) for r, m in parts if not r.empty]
    if not parts:
        return None, None
    union = parts[0][0]
    for r, _ in parts[1:]:
        union = union.union(r)
    out = np.zeros((union.height, union.width), np.uint8)
    for r, m in parts:
        view = out[r.y0 - union.y0 : r.y1 - union.y0, r.x0 - union.x0 : r.x1 - union.x0]
        np.maximum(view, m, out=view)
    return union, out


def mask_selected_faces(doc: Document) -> int:
    """Add the included faces of the document to its mask as one undo step; returns how many were added."""
    faces = doc.included_faces()
    rect, crop = faces_mask(faces, (doc.height, doc.width))
    if rect is None:
        return 0
    doc.add_to_mask(rect, crop, "Mask selected faces")
    return len(faces)
