"""Fill the masked region of a photo with an inpainting engine.

The face model (the window's default) fills the parts of the mask that lie on a face with the learned face
inpainter and the rest with FSR; faces not detected yet are detected first. Any classical engine of the registry
can still be picked by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from editor.core.document import Document
from editor.core.errors import VeilError
from editor.core.faces import Face
from editor.core.geometry import Rect
from editor.core.history import changed_tiles, nonzero_tiles
from editor.core.progress import JobContext
from editor.inpaint.face_model import FaceModel
from editor.inpaint.registry import DEFAULT_ENGINE, ENGINES, get_engine

FACE_AWARE_ENGINE = FaceModel.name     # what the window fills with unless the user picks another engine


@dataclass
class InpaintResult:
    rect: Rect
    pixels: np.ndarray
    engine: str
    device: str
    # Found by the worker, so that applying the result on the UI thread only writes them (see apply_pixels).
    changed: Optional[list[Rect]] = None        # tiles of `rect` whose pixels change
    masked: Optional[list[Rect]] = None         # tiles of the mask to clear
    # Set when a trained model filled a face (stated in exports' XMP); a classical fill is retouching, not marked.
    source_type: Optional[str] = None


def available_engines() -> list[tuple[str, str]]:
    """(name, label) of every engine in registry order, read from the classes: no engine is created here (a
    learned one loads its ONNX weights on first use, in the worker that runs it)."""
    return [(name, cls.label) for name, cls in ENGINES.items()]


def inpaint(image: np.ndarray, mask: np.ndarray, engine_name: str = DEFAULT_ENGINE,
            ctx: Optional[JobContext] = None, faces: Optional[Sequence[Face]] = None) -> InpaintResult:
    """Run an engine on a crop around the mask. Pure function of arrays: safe in a worker thread.

    `faces` (e.g. the document's detected faces) tells the face model where faces are; None detects them. Its
    result names what really ran: "face-model", "fsr-fast" (no face under the mask) or both."""
    if image.shape[:2] != mask.shape[:2]:
        raise VeilError("The mask is not the same size as the photo.")
    engine = get_engine(engine_name)
    if not isinstance(engine, FaceModel):
        rect, pixels = engine.run_region(image, mask, ctx)
        return _result(image, mask, rect, pixels, engine.name, engine.device)
    fill = engine.fill(image, mask, ctx, faces)
    used = ([engine.name] if fill.faces_filled else []) + ([engine.fallback] if fill.classical_pixels else [])
    result = _result(image, mask, fill.rect, fill.pixels, " + ".join(used), fill.device)
    result.source_type = engine.source_type if fill.faces_filled else None
    return result


def _result(image: np.ndarray, mask: np.ndarray, rect: Rect, pixels: np.ndarray, engine: str,
            device: str) -> InpaintResult:
    return InpaintResult(rect, pixels, engine, device, changed_tiles(image, rect, pixels), nonzero_tiles(mask))


def apply_result(doc: Document, result: InpaintResult) -> None:
    """Write the result into the document as one undo step (on the thread that owns the document)."""
    doc.apply_pixels(result.rect, result.pixels, f"Inpaint ({result.engine})", changed=result.changed,
                     masked=result.masked, source_type=result.source_type)
    doc.last_device = result.device
