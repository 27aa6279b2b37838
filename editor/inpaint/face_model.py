"""The learned face inpainter (M-CSAM, `mcsam_inpainter`): fills holes on faces the way a face looks.

For each face with a hole: the face is aligned to the 256x256 framing the model was trained on, the hole is warped
there, all faces of the photo go through the model in one batched run, and each result is warped back and pasted
at full resolution inside the hole only, blended in by the hole's own soft alpha (a feathered brush, or the feathered
hole of "Remove face mask"). The model composites its fill with the known pixels of the aligned face and was
trained for a seamless joint, so its colours are used as they are: a tried correction (the model also predicting
a 6 px ring of known pixels, its error there spread into the hole) raised the hole error on the masked astronaut
from 25.3 / 23.8 / 21.9 to 27.4 / 28.9 / 21.3 (surgical / KN95 / cloth), because the bigger hole costs context.
Mask areas that lie on no face are filled by FSR (fast), the classical engine this class extends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional, Sequence

import cv2
import numpy as np

from editor.core.digital_source import TRAINED_COMPOSITE
from editor.core.errors import ModelError, VeilError
from editor.core.faces import Face
from editor.core.geometry import Rect, bounding_rect
from editor.core.progress import JobContext
from editor.vision.face_alignment import ALIGNED_SIZE, AlignedFace, align_face, face_square
from editor.vision.face_region import face_mask
from editor.vision.onnx_model import LazyOnnxModel
from editor.vision.pipeline import default_pipeline

from .base import EMPTY_MASK, _composite
from .classical import FSRFast

_model = LazyOnnxModel("mcsam_inpainter")
log = logging.getLogger(__name__)


SQUARE_FADE = 16.0       # aligned px over which the model's fill fades into an earlier fill past the square


@dataclass(frozen=True)
class FaceHole:
    """The part of a mask that lies on one face: a rect of the image and its uint8 alpha (255 = replace)."""

    face: Face
    rect: Rect
    alpha: np.ndarray


@dataclass
class FaceFill:
    rect: Rect                       # the image rect whose pixels are given
    pixels: np.ndarray
    device: str
    faces_filled: int = 0            # faces the model filled
    classical_pixels: int = 0        # mask pixels on no face, filled by FSR


def split_by_faces(mask: np.ndarray, faces: Sequence[Face]) -> tuple[list[FaceHole], np.ndarray]:
    """(the mask's parts on each face, the rest of the mask); a pixel on two faces goes to the first."""
    rest = mask.copy()
    holes = []
    for face in faces:
        rect, zone = face_mask(face, mask.shape)
        if rect.empty:
            continue
        alpha = np.where(zone > 0, rest[rect.slices], 0).astype(np.uint8)
        inside = bounding_rect(alpha)
        if inside is None:
            continue
        rest[rect.slices][zone > 0] = 0
        hole_rect = Rect(rect.x0 + inside.x0, rect.y0 + inside.y0, rect.x0 + inside.x1, rect.y0 + inside.y1)
        holes.append(FaceHole(face, hole_rect, np.ascontiguousarray(alpha[inside.slices])))
    return holes, rest


def _touching_rest(mask: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """The connected areas of the mask that reach off the faces: FSR fills them whole, so its fill never takes
    hole pixels (a mask's fabric) on the face for known ones; the model then replaces the face part."""
    bounds = bounding_rect(rest)
    out = np.zeros_like(mask)
    if bounds is None:
        return out
    bounds = bounding_rect(mask)
    count, labels = cv2.connectedComponents((mask[bounds.slices] > 0).astype(np.uint8), connectivity=8)
    reached = np.unique(labels[rest[bounds.slices] > 0])
    keep = np.isin(labels, reached[reached > 0])
    out[bounds.slices] = np.where(keep, mask[bounds.slices], 0)
    return out


class FaceModel(FSRFast):
    name = "face-model"
    label = "Face model + FSR"          # the face model on faces, FSR (fast) elsewhere
    fallback = FSRFast.name          # what fills the mask off the faces
    source_type = TRAINED_COMPOSITE

    def run_region(self, image: np.ndarray, mask: np.ndarray, ctx: Optional[JobContext] = None,
                   faces: Optional[Sequence[Face]] = None) -> tuple[Rect, np.ndarray]:
        fill = self.fill(image, mask, ctx, faces)
        return fill.rect, fill.pixels

    def fill(self, image: np.ndarray, mask: np.ndarray, ctx: Optional[JobContext] = None,
             faces: Optional[Sequence[Face]] = None) -> FaceFill:
        """Fill the mask: its parts on faces with the model, the rest with FSR. Faces are detected when None.

        A damaged or missing detector or face model (already reported at start) leaves Fill working: the whole mask
        is then filled with FSR, and the result says so."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError("image must be H x W x 3 uint8 RGB")
        if mask.shape != image.shape[:2]:
            raise ValueError("mask size does not match the image")
        mask = mask.astype(np.uint8) * 255 if mask.dtype == bool else mask
        ctx = ctx or JobContext()
        if not mask.any():
            raise VeilError(EMPTY_MASK)
        try:
            return self._fill_faces_first(image, mask, ctx, faces)
        except ModelError as exc:
            log.warning("%s Filling with %s instead.", exc, self.fallback)
            rect, pixels = super().run_region(image, mask, ctx)
            return FaceFill(rect, pixels, "CPU", classical_pixels=int(np.count_nonzero(mask)))

    def _fill_faces_first(self, image: np.ndarray, mask: np.ndarray, ctx: JobContext,
                          faces: Optional[Sequence[Face]]) -> FaceFill:
        if faces is None:
            faces = default_pipeline().find_faces(image, ctx=ctx.sub(0.0, 0.3))
        holes, rest = split_by_faces(mask, faces)
        classical = _touching_rest(mask, rest)
        edited: Optional[tuple[Rect, np.ndarray]] = None
        if classical.any():
            edited = super().run_region(image, classical, ctx.sub(0.3, 0.5))
        result = self.fill_holes(image, holes, ctx.sub(0.5, 1.0), edited)
        result.classical_pixels = int(np.count_nonzero(rest))
        return result

    def fill_holes(self, image: np.ndarray, holes: Sequence[FaceHole], ctx: Optional[JobContext] = None,
                   edited: Optional[tuple[Rect, np.ndarray]] = None) -> FaceFill:
        """Fill each face's hole with the model (one batched run). `edited` is (rect, pixels) already changed in
        the image by an earlier fill; they are kept and used as the faces' context."""
        ctx = ctx or JobContext()
        if not holes and edited is None:
            raise VeilError(EMPTY_MASK)
        aligned, inputs = [], []
        for n, hole in enumerate(holes):
            ctx.progress(0.3 * n / len(holes), "Aligning faces")
            face = _align_with_edits(image, hole.face, edited)
            aligned.append(face)
            inputs.append(face.to_aligned((hole.alpha > 0).astype(np.float32), hole.rect) > 0.01)   # any coverage
        rects = [h.rect for h in holes] + ([edited[0]] if edited else [])
        union = rects[0]
        for rect in rects[1:]:
            union = union.union(rect)
        out = image[union.slices].copy()
        if edited is not None:
            _paste(out, union, *edited)
        if not holes:
            return FaceFill(union, out, self.device)
        ctx.progress(0.3, f"Filling {len(holes)} face{'s' if len(holes) > 1 else ''} with the face model")
        images = np.stack([f.pixels for f in aligned]).transpose(0, 3, 1, 2).astype(np.float32) / 255.0
        predicted = _model.run_batched({"image": images, "mask": np.stack(inputs)[:, None].astype(np.float32)})
        for n, (hole, face) in enumerate(zip(holes, aligned)):
            ctx.progress(0.8 + 0.2 * n / len(holes), "Pasting the faces back")
            # A hole that goes on past the square was filled there by the earlier fill: fade into it, no seam.
            fade = SQUARE_FADE if edited is not None and reaches_past_square(hole) else 0.0
            _paste_face(out, union, hole, face, predicted[n].transpose(1, 2, 0) * 255.0, fade)
        ctx.progress(1.0, "Filled with the face model")
        return FaceFill(union, out, _model.device, faces_filled=len(holes))


def _paste(out: np.ndarray, out_rect: Rect, rect: Rect, pixels: np.ndarray) -> None:
    part = rect.intersect(out_rect)
    if part.empty:
        return
    out[part.y0 - out_rect.y0:part.y1 - out_rect.y0, part.x0 - out_rect.x0:part.x1 - out_rect.x0] = \
        pixels[part.y0 - rect.y0:part.y1 - rect.y0, part.x0 - rect.x0:part.x1 - rect.x0]


def _align_with_edits(image: np.ndarray, face: Face, edited: Optional[tuple[Rect, np.ndarray]]) -> AlignedFace:
    plain = align_face(image, face)
    if edited is None or edited[0].intersect(plain.footprint).empty:
        return plain
    source = image[plain.footprint.slices].copy()
    _paste(source, plain.footprint, *edited)
    return align_face(image, face, source=source)


def _square_ramp(fade: float) -> np.ndarray:
    """1 inside the aligned square, falling to 0 over `fade` aligned px at its edge (a hard 1 when `fade` is 0)."""
    if fade <= 0:
        return np.ones((ALIGNED_SIZE, ALIGNED_SIZE), np.float32)
    centres = np.arange(ALIGNED_SIZE, dtype=np.float32) + 0.5
    edge = np.minimum(centres, ALIGNED_SIZE - centres)
    return np.clip(np.minimum(edge[:, None], edge[None, :]) / fade, 0.0, 1.0).astype(np.float32)


def square_covers(hole: FaceHole) -> np.ndarray:
    """Which of the hole's solid pixels (alpha 255; its feathered rim left out) its face's aligned square covers."""
    return face_square(hole.face, hole.rect.x1, hole.rect.y1).covers(hole.rect)[hole.alpha == 255]


def reaches_past_square(hole: FaceHole) -> bool:
    """Whether the hole goes on past its face's aligned square, where the model cannot fill it."""
    return not bool(np.all(square_covers(hole)))


def _paste_face(out: np.ndarray, out_rect: Rect, hole: FaceHole, face: AlignedFace, rgb: np.ndarray,
                fade: float = 0.0) -> None:
    """Warp the model's face back over the hole's rect at full resolution and blend it in by the hole's alpha
    (times a ramp over `fade` aligned px at the square's edge)."""
    local = out[hole.rect.y0 - out_rect.y0:hole.rect.y1 - out_rect.y0,
                hole.rect.x0 - out_rect.x0:hole.rect.x1 - out_rect.x0]
    fill = np.clip(np.rint(face.to_image(rgb, hole.rect, cv2.INTER_CUBIC)), 0, 255).astype(np.uint8)
    reach = face.to_image(_square_ramp(fade), hole.rect)
    reach = np.where(reach > 0.999, 1.0, reach) if fade > 0 else (reach > 0.999).astype(np.float32)
    local[:] = _composite(local, fill, np.rint(hole.alpha * reach).astype(np.uint8))
