"""Remove a face mask using a reference: another, unmasked photo of the same person gives the real lower face.

    result = unmask_with_reference(image, reference_image, faces, ctx)   # pure arrays: safe in a worker thread
    apply_unmask(doc, result.unmask)                                     # one undo step, as without a reference

Steps: the masks are found and filled by the learned face model as in "Remove Face Masks"; the reference's face
is found; both recognizers compare it with every masked face (editor.services.reference_identity) and the
closest masked face that is the same person takes the reference's nose, mouth and chin
(editor.inpaint.reference). Its hidden landmarks are the mean of two estimates whose errors differ: the
reference's points mapped by the visible ones (right when the expression is the reference's) and dlib's points on
the model's fill (the nose and mouth where the rest of the face puts them). On validation identities the fill's
points alone were closer than the mapped ones (bench/reference_unmask.py prints both), but on the public-domain
fixture pair, whose expression matches the reference, they lost 2 dB to the mean; the mean cost 0.2 dB in the
hole on 24 validation faces. Other masked faces keep the model's fill. A reference of another person is refused,
and nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional, Sequence

import numpy as np

from editor.core.errors import VeilError
from editor.core.faces import Face
from editor.core.history import changed_tiles
from editor.core.progress import JobContext
from editor.inpaint.face_model import FaceHole
from editor.inpaint.reference import ReferenceFace, fill_from_reference, hidden_landmarks
from editor.vision.pipeline import default_pipeline

from .reference_identity import IdentityCheck, compare_faces
from .unmask_service import UnmaskResult, find_and_fill_masks

REFERENCE_ENGINE = "face-model + reference"


class NoReferenceFaceError(VeilError):
    """The reference photo shows no usable face."""

    exit_code = 8


class WrongPersonError(VeilError):
    """The reference photo shows someone else than the masked face(s)."""

    exit_code = 7


@dataclass(frozen=True)
class ReferenceUnmaskResult:
    unmask: UnmaskResult              # every hole filled; the reference's face pasted on `face`'s
    face: Face                        # the masked face that took the reference
    check: IdentityCheck              # how sure the recognizers are that it is the reference's person
    covered: float                    # share of that face's hole the reference filled (the rest: the model)

    def summary(self) -> str:
        others = self.unmask.masks_removed - 1
        rest = f"; {others} other face mask{'s' if others != 1 else ''} filled by the face model" if others else ""
        return (f"Removed the face mask using the reference photo ({self.covered:.0%} of the hole from the "
                f"reference; {self.check.describe()}){rest} on {self.unmask.device}.")


def reference_face(reference_image: np.ndarray, ctx: Optional[JobContext] = None) -> Face:
    """The biggest face with landmarks in the reference photo; refused when there is none.

    Whether the reference itself wears a mask is not asked of the segmenter: it marks 10% of the unmasked
    public-domain astronaut's face as mask (and 5% of some CelebA faces), so it would refuse good references."""
    found = [f for f in default_pipeline().find_faces(reference_image, ctx=ctx) if f.landmarks68 is not None]
    if not found:
        raise NoReferenceFaceError("No face was found in the reference photo; choose a photo where the face is "
                                   "clearly visible.")
    return max(found, key=lambda f: f.box[2] * f.box[3])


def _closest_same_person(holes: Sequence[FaceHole], checks: Sequence[IdentityCheck],
                         reference_image_name: str) -> int:
    best = int(np.argmin([c.score for c in checks]))
    if not checks[best].same_person:
        who = "the masked face" if len(holes) == 1 else "any of the masked faces"
        raise WrongPersonError(f"The {reference_image_name} shows a different person than {who} "
                               f"({checks[best].describe()}); choose a photo of the same person.")
    return best


def unmask_with_reference(image: np.ndarray, reference_image: np.ndarray, faces: Optional[Sequence[Face]] = None,
                          ctx: Optional[JobContext] = None,
                          reference_name: str = "reference photo") -> ReferenceUnmaskResult:
    """Find and fill every face mask, the reference's person's with the reference. Raises NoFaceError,
    NoFaceMaskError, NoReferenceFaceError or WrongPersonError (nothing is changed then)."""
    ctx = ctx or JobContext()
    ref_face = reference_face(reference_image, ctx.sub(0.0, 0.15))
    filled = find_and_fill_masks(image, faces, ctx.sub(0.15, 0.7))
    holes = [h for h in filled.holes if h.face.landmarks68 is not None]
    if not holes:
        raise NoReferenceFaceError("The masked face has no landmarks to align the reference to (it is too small "
                                   "or too turned); remove the mask without a reference.")
    ctx.progress(0.7, "Comparing the reference with the masked faces")
    checks = compare_faces(image, [h.face for h in holes], reference_image, ref_face)
    chosen = _closest_same_person(holes, checks, reference_name)
    hole = holes[chosen]

    ctx.progress(0.85, "Fitting the reference's face")
    model_fill = filled.filled(image)
    target = hidden_landmarks(hole.face.landmarks68, ref_face.landmarks68)
    on_fill = default_pipeline().landmarks_for(model_fill, hole.face)
    if on_fill is not None:
        target = (target + on_fill) / 2.0
    fill = fill_from_reference(image, model_fill, hole.rect, hole.alpha, target,
                               ReferenceFace(reference_image, ref_face.landmarks68))
    pixels = filled.pixels.copy()
    r = fill.rect
    pixels[r.y0 - filled.rect.y0:r.y1 - filled.rect.y0, r.x0 - filled.rect.x0:r.x1 - filled.rect.x0] = fill.pixels
    unmask = replace(filled, pixels=pixels, engine=REFERENCE_ENGINE,
                     changed=changed_tiles(image, filled.rect, pixels))
    ctx.progress(1.0, "Filled with the reference")
    return ReferenceUnmaskResult(unmask, hole.face, checks[chosen], fill.covered)
