"""Remove face masks: find each face's mask with the segmenter and fill it with the face model.

    result = find_and_fill_masks(doc.image, faces, ctx)     # pure arrays: safe in a worker thread
    apply_unmask(doc, result)                                # on the document's thread: one undo step
    remove_face_masks(doc)                                   # both, for scripts, the CLI and the benchmark

Steps per face: align it (5 points from its landmarks), segment the mask in the aligned frame, keep the solid
part (probability > 0.5, specks dropped, grown DILATION px so no fabric edge is left), project it back onto the
photo with a feathered edge, and fill every face's hole in one batched run of the inpainter; then align each face
again on the landmarks of that fill and fill once more (see _fill_with_face_model).

A mask can reach past the aligned square (a respirator's filters, a mask pulled down to the neck). Cut there, the
rest of it stayed in the photo beside a straight edge. So a face whose mask touches the square's edge inside the
photo is segmented again with more of its surroundings (WIDER_ZOOM), and the part beyond the square is added to
its hole; FSR fills that part (the face model sees only the square) before the model fills the face.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional, Sequence

import cv2
import numpy as np

from editor.core.digital_source import TRAINED_COMPOSITE
from editor.core.document import Document
from editor.core.errors import VeilError
from editor.core.faces import Face
from editor.core.geometry import Rect, bounding_rect
from editor.core.history import changed_tiles
from editor.core.progress import JobContext
from editor.inpaint.face_model import FaceFill, FaceHole, FaceModel, reaches_past_square, square_covers
from editor.inpaint.registry import get_engine
from editor.vision.face_alignment import ALIGNED_SIZE, AlignedFace, align_face
from editor.vision.mask_segmenter import THRESHOLD, mask_probabilities
from editor.vision.pipeline import default_pipeline

from .errors import NoFaceError

UNDO_LABEL = "Remove face mask"
NO_FACE = "No face was found in this photo, so there is no face mask to remove."
# Said once wherever an unmasked result is shown (the window's notice over the photo, the CLI's output).
ESTIMATE_NOTICE = ("The filled area is an estimate, not the person's real face; exported files say so in their "
                   "metadata (IPTC digital source type).")
DEFAULT_UNMASK_ENGINE = "face-model"
# The segmenter learnt holes already grown 2 px beyond the mask's edge. A little more margin guards real photos
# (soft edges, straps); every extra px costs face detail. On the astronaut with 7 mask templates, error within
# 8 px of the mask: dilation/feather 1/1 -> 21.2, 2/3 -> 24.6, 4/5 -> 31.4; no mask pixel was left at any setting.
DILATION = 1             # aligned px added around the segmented mask
FEATHER = 2.0            # aligned px over which the fill fades into the photo outside the hole
MIN_SPECK = 0.005        # a segmented blob smaller than this share of the aligned face is noise
MIN_MASK = 0.03          # ... and a face with less mask than this share wears none (a real one covers 15-35%)
# The second look at a mask cut by the square's edge: the face at this scale. On a respirator cut by the square
# (a validation photo) the hole's IoU with the true mask went 0.78 -> 0.98 at 0.75 (0.96 at 0.6); on masks inside
# the square 0.75 and 0.6 were worse than the first look (0.60 segmented strands of hair), so it is only a second
# look, and only what lies beyond the square is taken from it.
WIDER_ZOOM = 0.75
# A mask hides the nose and mouth that the detector's confidence leans on: on 300 masked validation photos
# (bench/unmask_app.py) 6 faces scored below the detector's 0.6, 4 of them between 0.3 and 0.6. So when no face is
# found, the photo is searched again down to this score, and what that finds counts only if it wears a mask.
MASKED_MIN_SCORE = 0.3
EDGE_TOUCH = 4           # aligned px of mask on the square's edge (inside the photo) that call for the second look


class NoFaceMaskError(VeilError):
    """Faces were found, but none wears a face mask."""

    exit_code = 6


@dataclass(frozen=True)
class FaceMaskOutcome:
    face: Face
    mask_found: bool
    mask_area: int                   # photo pixels in the hole (0 when no mask was found)
    rect: Optional[Rect] = None      # the hole's rect in the photo


@dataclass(frozen=True)
class UnmaskResult:
    outcomes: tuple[FaceMaskOutcome, ...]
    holes: tuple[FaceHole, ...]      # the filled holes (feathered alpha), one per face that wore a mask
    rect: Rect                       # the photo rect whose new pixels are `pixels`
    pixels: np.ndarray
    engine: str
    device: str
    changed: Optional[list[Rect]] = None     # tiles of `rect` that change, found by the worker (apply_pixels)
    # What the filled pixels are, stated in every export's XMP (editor/core/digital_source.py): a trained model's
    # estimate by default. A fill taken from a real photo of the person may state another type, or None.
    source_type: Optional[str] = TRAINED_COMPOSITE

    @property
    def masks_removed(self) -> int:
        return len(self.holes)

    def filled(self, image: np.ndarray) -> np.ndarray:
        """A copy of `image` (the photo the masks were found in) with the masks filled."""
        out = image.copy()
        out[self.rect.slices] = self.pixels
        return out

    def hole_mask(self, shape: tuple[int, int]) -> np.ndarray:
        """The holes as one uint8 mask of the photo's size (255 = filled, soft at the feathered edge)."""
        out = np.zeros(shape[:2], np.uint8)
        for hole in self.holes:
            view = out[hole.rect.slices]
            np.maximum(view, hole.alpha, out=view)
        return out

    def summary(self) -> str:
        n, total = self.masks_removed, len(self.outcomes)
        return (f"Removed {n} face mask{'s' if n != 1 else ''} ({total} face{'s' if total != 1 else ''} "
                f"checked) with {self.engine} on {self.device}.")


def _solid_mask(probability: np.ndarray) -> np.ndarray:
    """The segmenter's answer without specks, grown by DILATION: uint8 0/1 in aligned pixels."""
    binary = (probability > THRESHOLD).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    big = np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] >= MIN_SPECK * ALIGNED_SIZE ** 2) + 1
    binary = np.isin(labels, big).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * DILATION + 1, 2 * DILATION + 1))
    return cv2.dilate(binary, kernel)


def _beyond(aligned: AlignedFace, inside: np.ndarray, wider: tuple[AlignedFace, np.ndarray], area: Rect
            ) -> np.ndarray:
    """The parts of the wider look's mask (over `area` of the photo) that lie outside the face's square and join
    the hole found inside it (`inside`): the rest of a mask the square cut."""
    frame, solid = wider
    found = frame.to_image(solid.astype(np.float32), area) > 0.5
    outside = (found & ~aligned.covers(area)).astype(np.uint8)
    count, labels = cv2.connectedComponents(outside, connectivity=8)
    near = cv2.dilate(inside.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    joined = np.unique(labels[near & (outside > 0)])
    return np.isin(labels, joined[joined > 0])


def _hole_in_photo(face: Face, aligned: AlignedFace, solid: np.ndarray,
                   wider: Optional[tuple[AlignedFace, np.ndarray]] = None) -> Optional[FaceHole]:
    """The aligned hole projected onto the photo (with what `wider`, a second look with more surroundings, finds
    beyond the square), feathered outwards by FEATHER aligned px; None if empty."""
    feather = max(1.0, FEATHER / max(aligned.scale, 1e-6))
    area = aligned.footprint if wider is None else aligned.footprint.union(wider[0].footprint)
    inside = aligned.to_image(solid.astype(np.float32), area) > 0.5
    if wider is not None:
        inside |= _beyond(aligned, inside, wider, area)
    bounds = bounding_rect(inside)
    if bounds is None:
        return None
    grown = bounds.pad(int(np.ceil(feather)) + 1).clip(area.width, area.height)
    local = inside[grown.slices]
    distance = cv2.distanceTransform((~local).astype(np.uint8), cv2.DIST_L2, 3)
    alpha = np.clip(np.rint(255.0 * (1.0 - distance / feather)), 0, 255).astype(np.uint8)
    return FaceHole(face, Rect(area.x0 + grown.x0, area.y0 + grown.y0, area.x0 + grown.x1, area.y0 + grown.y1), alpha)


def _cut_by_square(frame: AlignedFace, solid: np.ndarray) -> bool:
    """Whether the mask runs into the aligned square's edge where the square still shows the photo (not where it
    reaches past the photo's border, whose reflected pixels are no more mask to find)."""
    ones = np.ones((frame.footprint.height, frame.footprint.width), np.float32)
    in_photo = frame.to_aligned(ones, frame.footprint) > 0.5
    edge = np.zeros_like(in_photo)
    edge[:2], edge[-2:], edge[:, :2], edge[:, -2:] = True, True, True, True
    return int(np.count_nonzero(edge & in_photo & (solid > 0))) >= EDGE_TOUCH


def find_face_masks(image: np.ndarray, faces: Sequence[Face],
                    ctx: Optional[JobContext] = None) -> tuple[list[FaceMaskOutcome], list[FaceHole]]:
    """Segment the mask of every face (one batched run, and one more for masks cut by the square's edge):
    per-face outcomes and the holes to fill."""
    ctx = ctx or JobContext()
    ctx.progress(0.0, "Aligning faces")
    aligned = [align_face(image, face) for face in faces]
    ctx.progress(0.3, "Finding face masks")
    solids = [_solid_mask(p) for p in mask_probabilities(aligned)]
    cut = [n for n, (frame, solid) in enumerate(zip(aligned, solids))
           if solid.mean() >= MIN_MASK and _cut_by_square(frame, solid)]
    wider: dict[int, tuple[AlignedFace, np.ndarray]] = {}
    if cut:
        ctx.progress(0.6, "Looking past the face for the rest of a mask")
        frames = [align_face(image, faces[n], zoom=WIDER_ZOOM) for n in cut]
        for n, frame, probability in zip(cut, frames, mask_probabilities(frames)):
            wider[n] = (frame, _solid_mask(probability))
    outcomes, holes = [], []
    for n, (face, frame, solid) in enumerate(zip(faces, aligned, solids)):
        hole = _hole_in_photo(face, frame, solid, wider.get(n)) if solid.mean() >= MIN_MASK else None
        if hole is None:
            outcomes.append(FaceMaskOutcome(face, False, 0))
            continue
        holes.append(hole)
        outcomes.append(FaceMaskOutcome(face, True, int(np.count_nonzero(hole.alpha >= 128)), hole.rect))
    ctx.progress(1.0, "Face masks found")
    return outcomes, holes


def _fill(image: np.ndarray, holes: list[FaceHole], engine_name: str, ctx: JobContext) -> tuple[Rect, np.ndarray,
                                                                                                 str, str]:
    engine = get_engine(engine_name)
    if isinstance(engine, FaceModel):
        fill = _fill_with_face_model(image, holes, engine, ctx)
        return fill.rect, fill.pixels, fill.device, engine.source_type
    union = holes[0].rect
    for hole in holes[1:]:
        union = union.union(hole.rect)
    mask = np.zeros(image.shape[:2], np.uint8)
    for hole in holes:
        np.maximum(mask[hole.rect.slices], hole.alpha, out=mask[hole.rect.slices])
    rect, pixels = engine.run_region(image, mask, ctx)
    return rect, pixels, engine.device, engine.source_type


def _fill_with_face_model(image: np.ndarray, holes: list[FaceHole], engine: FaceModel, ctx: JobContext) -> FaceFill:
    """Two passes. A masked face's nose and mouth landmarks are guesses (0.20 eye distances off on validation
    faces), and the model's aligned square is set by the mouth corners; on its first fill dlib places them better
    (0.12). So the face is aligned again on the landmarks of the first fill and filled anew from the masked photo:
    on 99 validation photos PSNR +0.32 dB (better on 39 faces, worse on 6 by more than 0.2 dB), texture 0.67 ->
    0.69; on bench/reference_unmask.py's 39, dlib / FaceNet top-1 74% / 95% -> 79% / 97%.

    Holes that reach past their square are filled whole by FSR first (the model sees only the square); the second
    pass reuses that fill unless the new squares leave other holes past them."""
    beyond = _holes_past_their_square(image, holes)
    edited = _fill_beyond(image, beyond, engine, ctx.sub(0.0, 0.2))
    first = engine.fill_holes(image, holes, ctx.sub(0.2, 0.5), edited)
    filled = image.copy()
    filled[first.rect.slices] = first.pixels
    moved = _realigned(filled, holes)
    still = _holes_past_their_square(image, moved)
    if (still is None) != (beyond is None) or (still is not None and not np.array_equal(still, beyond)):
        edited = _fill_beyond(image, still, engine, ctx.sub(0.5, 0.7))
    return engine.fill_holes(image, moved, ctx.sub(0.7, 1.0), edited)


def _fill_beyond(image: np.ndarray, beyond: Optional[np.ndarray], engine: FaceModel, ctx: JobContext
                 ) -> Optional[tuple[Rect, np.ndarray]]:
    """FSR's fill of `beyond` (the holes that reach past their squares, whole: the fabric is never its context)."""
    return None if beyond is None else get_engine(engine.fallback).run_region(image, beyond, ctx)


def _realigned(filled: np.ndarray, holes: list[FaceHole]) -> list[FaceHole]:
    """The holes with their faces' landmarks found again on `filled`; a face keeps its landmarks where none are
    found, or where the new square would leave some of the hole that the old one covered to the fallback fill."""
    out = []
    for hole in holes:
        points = default_pipeline().landmarks_for(filled, hole.face)
        if points is not None:
            moved = replace(hole, face=replace(hole.face, landmarks68=points))
            if int(square_covers(moved).sum()) >= int(square_covers(hole).sum()):
                hole = moved
        out.append(hole)
    return out


def _holes_past_their_square(image: np.ndarray, holes: list[FaceHole]) -> Optional[np.ndarray]:
    """A photo-sized mask of the holes that reach past their face's aligned square (None if none does)."""
    out = None
    for hole in holes:
        if reaches_past_square(hole):
            out = np.zeros(image.shape[:2], np.uint8) if out is None else out
            np.maximum(out[hole.rect.slices], hole.alpha, out=out[hole.rect.slices])
    return out


def find_and_fill_masks(image: np.ndarray, faces: Optional[Sequence[Face]] = None,
                        ctx: Optional[JobContext] = None, engine: str = DEFAULT_UNMASK_ENGINE) -> UnmaskResult:
    """Detect faces (when None), find their masks and fill them. Raises NoFaceError / NoFaceMaskError."""
    ctx = ctx or JobContext()
    unsure = False                   # faces found only below the detector's usual confidence
    if faces is None:
        faces = default_pipeline().find_faces(image, ctx=ctx.sub(0.0, 0.2))
        if not faces:
            faces = default_pipeline().find_faces(image, ctx=ctx.sub(0.2, 0.3), min_score=MASKED_MIN_SCORE)
            unsure = True
    if not faces:
        raise NoFaceError(NO_FACE)
    outcomes, holes = find_face_masks(image, faces, ctx.sub(0.3, 0.45))
    if not holes and unsure:
        raise NoFaceError(NO_FACE)
    if not holes:
        raise NoFaceMaskError("The face in this photo wears no face mask that Veil can find." if len(faces) == 1
                              else f"None of the {len(faces)} faces in this photo wears a face mask that Veil "
                                   "can find.")
    rect, pixels, device, source_type = _fill(image, holes, engine, ctx.sub(0.45, 1.0))
    return UnmaskResult(tuple(outcomes), tuple(holes), rect, pixels, engine, device,
                        changed_tiles(image, rect, pixels), source_type)


def apply_unmask(doc: Document, result: UnmaskResult) -> None:
    """Write the filled faces into the document as one undo step (only the changed tiles are recorded); the
    selection mask is left as it was."""
    doc.apply_pixels(result.rect, result.pixels, UNDO_LABEL, clear_mask=False, changed=result.changed,
                     source_type=result.source_type)
    doc.last_device = result.device


def faces_to_use(doc: Document) -> Optional[list[Face]]:
    """The document's included faces when faces were detected, else None (detect them)."""
    if not doc.faces:
        return None
    included = doc.included_faces()
    if not included:
        raise NoFaceError("Every face is excluded; tick the faces whose masks to remove in the Faces panel.")
    return included


def remove_face_masks(doc: Document, ctx: Optional[JobContext] = None, faces: Optional[Sequence[Face]] = None,
                      engine: str = DEFAULT_UNMASK_ENGINE) -> UnmaskResult:
    """Find and fill every face mask of the document (its detected faces, or newly detected ones)."""
    if faces is None:
        faces = faces_to_use(doc)
    result = find_and_fill_masks(doc.image, faces, ctx, engine)
    apply_unmask(doc, result)
    return result
