"""Anonymize faces: the steps the GUI and the CLI share, as functions of arrays (AnonymizeSession in
anonymize_session.py holds one photo's state and calls them):
    result = anonymize_faces(doc.image, doc.faces, seed, selected=[...])     # verified, per face (any thread)
    result = reroll_face(result, position, new_seed)                          # another identity for one face
    apply_to_document(doc, result)                                            # one undo step (the doc's thread)
    export_anonymized(doc.image, result, out_path, key, alpha=doc.alpha, metadata=doc.metadata)
The result keeps the pixels from before anonymization (`source`): they are what the vault seals, and what a
re-roll starts from. A flagged face (fallback or failed verification) is never exported silently: the export
refuses until the caller confirms with accept_flagged=True (the CLI reports every flagged face and exits non-zero).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from editor.anonymize.engine import ANONYMIZED, FAILED, AnonymizeEngine, AnonymizeOptions, FaceOutcome
from editor.core.digital_source import TRAINED_COMPOSITE
from editor.core.document import Document
from editor.core.errors import VeilError
from editor.core.faces import Face
from editor.core.geometry import Rect
from editor.core.image_types import ImageMetadata
from editor.core.lazy import Lazy
from editor.core.metadata_profiles import with_digital_source_type
from editor.core.progress import JobContext
from editor.services.errors import NoFaceError
from editor.services.seal_regions import replaced_face_regions
from editor.services.vault_service import KEEP, SealResult, VaultService
from editor.vision.pipeline import MIN_FACE_FOR_LANDMARKS, default_pipeline

USER_BOX_PAD = 0.3         # a drawn box is searched with this margin for a detector face to take landmarks from
USER_BOX_MIN_SCORE = 0.3   # lower than the detector's default: the user already says a face is there
MIN_BOX_SIDE = 4


class FlaggedFacesError(VeilError):
    """Some faces were not anonymized by a verified new identity and need a person's review."""

    exit_code = 2


@dataclass(frozen=True)
class AnonymizeResult:
    source: np.ndarray                  # the photo before anonymization
    image: np.ndarray                   # the photo with every requested face replaced
    faces: tuple[Face, ...]             # the faces that were anonymized, in the order of `outcomes`
    outcomes: tuple[FaceOutcome, ...]   # one per face: status, verification, new pixels
    seed: int
    options: AnonymizeOptions = AnonymizeOptions()    # what made it (strength, limits): a re-roll keeps them
    device: str = ""                    # where its models ran ("CUDA" or "CPU"); "" for a result not run here

    @property
    def flagged(self) -> list[FaceOutcome]:
        return [o for o in self.outcomes if o.flagged]

    @property
    def failed(self) -> list[FaceOutcome]:
        return [o for o in self.outcomes if o.status == FAILED]

    def report(self) -> dict:
        return {"seed": self.seed, "faces": [o.to_json() for o in self.outcomes]}


_engine: Lazy[AnonymizeEngine] = Lazy(AnonymizeEngine)


def engine() -> AnonymizeEngine:
    """The process-wide engine (bank and models load on first use)."""
    return _engine.get()


def job_device(eng: AnonymizeEngine) -> str:
    """Where the engine's last job ran: "CUDA" when a recognizer on ONNX Runtime (FaceNet) ran its session there,
    else "CPU" (detection, landmarks, dlib and the synthesis run on the CPU whatever the machine has)."""
    devices = {getattr(r.embedder, "device", "CPU") for r in eng.recognizers}
    return "CUDA" if "CUDA" in devices else "CPU"


def anonymize_faces(image: np.ndarray, faces: Sequence[Face], seed: int, *,
                    selected: Optional[Sequence[int]] = None, options: Optional[AnonymizeOptions] = None,
                    ctx: Optional[JobContext] = None) -> AnonymizeResult:
    """Give the faces (all, or the positions in `selected`) new identities and verify each one.

    A face's identity depends on its position in `faces` and the seed, so the same photo, faces and seed always
    give the same result. Raises NoFaceError when there is nothing to anonymize (the photo is left unchanged).
    """
    positions = list(range(len(faces))) if selected is None else sorted(set(int(i) for i in selected))
    if not positions:
        raise NoFaceError("No face was found or selected in this photo, so nothing was anonymized; "
                          "draw a box around a face the detector missed.")
    chosen = [faces[i] for i in positions]
    eng = engine()
    out, outcomes = eng.anonymize(image, chosen, seed, options or AnonymizeOptions(), ctx, indices=positions)
    # A copy: the caller may write the result into the very array it passed (the document's pixels).
    return AnonymizeResult(np.array(image, copy=True), out, tuple(chosen), tuple(outcomes), seed,
                           options or AnonymizeOptions(), job_device(eng))


def reroll_face(result: AnonymizeResult, position: int, seed: int, *, options: Optional[AnonymizeOptions] = None,
                ctx: Optional[JobContext] = None) -> AnonymizeResult:
    """The same result with face `position` (an index into result.outcomes) given the identity of another seed.

    The other faces keep their pixels and identities; the new identity is never one of theirs, nor the one the face
    had (unless the bank has no other), so a re-roll always shows another person.
    """
    old = result.outcomes[position]
    image = result.image.copy()
    view = image[old.patch.rect.slices]
    view[old.patch.mask] = result.source[old.patch.rect.slices][old.patch.mask]
    eng = engine()
    taken = {eng.bank.ids.index(o.identity) for o in result.outcomes if o.identity}
    if ctx is not None:
        ctx.progress(0.0, f"New identity for face {old.index + 1}")
    outcome = eng.anonymize_face(image, result.faces[position], old.index, seed, options or result.options, taken)
    view = image[outcome.patch.rect.slices]
    view[outcome.patch.mask] = outcome.patch.pixels[outcome.patch.mask]
    if ctx is not None:
        ctx.progress(1.0, "New identity ready")
    outcomes = list(result.outcomes)
    outcomes[position] = outcome
    return replace(result, image=image, outcomes=tuple(outcomes), device=job_device(eng))


def invented_source_type(result: AnonymizeResult) -> Optional[str]:
    """The IPTC digital source type of a photo with these faces: a trained model's when any face got a synthetic
    identity; None when every face was only pixelated or blurred (nothing was invented)."""
    return TRAINED_COMPOSITE if any(o.status == ANONYMIZED for o in result.outcomes) else None


def apply_to_document(doc: Document, result: AnonymizeResult, label: str = "Anonymize faces") -> None:
    """Write the anonymized faces into the document as one undo step (on the thread that owns it).

    Only each face's changed pixels are written, so edits made elsewhere meanwhile are kept.
    """
    if result.image.shape != doc.image.shape:
        raise ValueError("the result is for a photo of another size")
    with doc.edit(label, invented_source_type(result)) as rec:
        for o in result.outcomes:
            rec.touch("image", o.patch.rect)
            view = doc.image[o.patch.rect.slices]
            view[o.patch.mask] = result.image[o.patch.rect.slices][o.patch.mask]


def outcomes_in_image(image: np.ndarray, outcomes: Sequence[FaceOutcome]) -> list[FaceOutcome]:
    """The outcomes whose new pixels are still in `image` (an undo or a later edit may have replaced them)."""
    h, w = image.shape[:2]
    return [o for o in outcomes if o.patch.rect.clip(w, h) == o.patch.rect
            and np.array_equal(image[o.patch.rect.slices][o.patch.mask], o.patch.pixels[o.patch.mask])]


def document_result(original: np.ndarray, image: np.ndarray, faces: Sequence[Face],
                    outcomes: Sequence[FaceOutcome], seed: int = 0) -> AnonymizeResult:
    """The faces anonymized in an edited photo, as one result to export: `original` (the photo as opened) is what
    the vault seals under each face, `image` what is published. `faces` go with `outcomes`, one each."""
    if len(faces) != len(outcomes):
        raise ValueError("one face per outcome")
    return AnonymizeResult(original, image, tuple(faces), tuple(outcomes), seed)


def face_from_box(image: np.ndarray, box: Rect) -> Face:
    """A face the user drew: the detector's face inside the box (with landmarks) if it finds one there, else the
    box itself without landmarks, which the engine obscures with the fallback and flags."""
    h, w = image.shape[:2]
    box = box.clip(w, h)
    if box.width < MIN_BOX_SIDE or box.height < MIN_BOX_SIDE:
        raise VeilError(f"The box is too small to hold a face; draw at least {MIN_BOX_SIDE} x {MIN_BOX_SIDE} pixels.")
    pad = int(USER_BOX_PAD * max(box.width, box.height))
    search = box.pad(pad).clip(w, h)
    pipeline = default_pipeline()
    found = pipeline.detector.detect(np.ascontiguousarray(image[search.slices]), min_score=USER_BOX_MIN_SCORE)
    centre = ((box.x0 + box.x1) / 2 - search.x0, (box.y0 + box.y1) / 2 - search.y0)
    inside = [f for f in found if f.box[0] <= centre[0] <= f.box[0] + f.box[2]
              and f.box[1] <= centre[1] <= f.box[1] + f.box[3]]
    if inside:
        face = max(inside, key=lambda f: f.score)
        face.box = (face.box[0] + search.x0, face.box[1] + search.y0, face.box[2], face.box[3])
        face.landmarks5 = face.landmarks5 + np.array([search.x0, search.y0], np.float32)
        if min(face.box[2], face.box[3]) >= MIN_FACE_FOR_LANDMARKS:
            face.landmarks68 = pipeline.predictor.predict(image, face)
        face.source = "user"
        return face
    centre_xy = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2], np.float32)
    return Face(box=(box.x0, box.y0, box.width, box.height), score=1.0,
                landmarks5=np.repeat(centre_xy[None], 5, axis=0), source="user")


def export_anonymized(published: np.ndarray, result: AnonymizeResult, out_path: str | Path, key: Optional[str], *,
                      alpha: Optional[np.ndarray] = None, metadata: Optional[ImageMetadata] = None,
                      sidecar: bool = False, quality: Optional[int] = None, accept_flagged: bool = False,
                      vault: Optional[VaultService] = None, ctx: Optional[JobContext] = None,
                      recipients: Sequence = (), signer=None) -> SealResult:
    """Write `published` (the anonymized photo as it stands) with every face's original pixels sealed for `key`
    and/or `recipients` (see VaultService.seal_image; `signer` signs a public-key seal).

    The privacy metadata profile is applied (no GPS, maker notes, thumbnails...); the XMP states that faces were
    invented by a trained model (IPTC digital source type) when any was. Flagged faces stop the export
    unless `accept_flagged`, so a face that failed verification is never exported without a person's say-so.
    """
    flagged = result.flagged
    if flagged and not accept_flagged:
        names = ", ".join(str(o.index + 1) for o in flagged)
        raise FlaggedFacesError(f"{len(flagged)} face(s) ({names}) are flagged for review (not verified as a new "
                                "identity); review them, then confirm the export.")
    regions = replaced_face_regions(o.patch for o in result.outcomes)
    metadata = with_digital_source_type(metadata, invented_source_type(result))
    vault = vault or VaultService()
    sealed = vault.seal_image(result.source, alpha, metadata, regions, key=key, recipients=recipients,
                              signer=signer, out_path=out_path, fill=KEEP, published=published, sidecar=sidecar,
                              profile="privacy", quality=quality, ctx=ctx)
    # The audit trail (DESIGN.md) names which faces were given a new identity, beside the seal's entry.
    vault.audit.append("anonymize", file_sha256=sealed.file_sha256, key_id=sealed.key.key_id,
                       faces=[o.index + 1 for o in result.outcomes if o.status == ANONYMIZED])
    return sealed
