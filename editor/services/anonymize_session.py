"""One photo's anonymization, from the first run to the sealed export: the state the window and the CLI share.

    session = AnonymizeSession(doc)
    work = session.anonymize_job(seed, selected)      # owner thread: takes what the job needs from the document
    run = work(ctx)                                   # any thread: detects first when no face is listed
    session.review(run)                               # owner thread: the result is pending, not in the photo yet
    work = session.reroll_job(position, seed)         # another identity for one pending face...
    session.take_reroll(work(ctx))                    # ...kept unless the review moved on meanwhile
    session.apply()                                   # the pending result into the photo, one undo step
    session.export(path, key, ...)                    # every anonymized face still in the photo, sealed

The document is only read and written on its owner's thread; the `*_job` calls return plain functions of what
they took, so a window runs them in a worker and the CLI calls them in line. What counts as anonymized is what the
photo holds now: an applied face that an undo or a later edit replaced drops out of the states and the export.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from editor.anonymize.engine import AnonymizeOptions, FaceOutcome
from editor.core.document import Document
from editor.core.errors import VeilError
from editor.core.faces import Face
from editor.core.progress import JobContext
from editor.services.anonymize_service import (AnonymizeResult, anonymize_faces, apply_to_document, document_result,
                                               export_anonymized, outcomes_in_image, reroll_face)
from editor.services.documents import metadata_for_export
from editor.services.faces import detect_faces
from editor.services.vault_service import SealResult, VaultService

ANONYMIZED_STATE, FLAGGED_STATE = "anonymized", "flagged"
DETECT_SHARE = 0.3          # of an anonymize job's progress, when it detects the faces first


class NothingAnonymizedError(VeilError):
    """No face of the photo is anonymized as it stands, so there is nothing to seal."""


@dataclass(frozen=True)
class AnonymizeRun:
    """What one anonymize job made: the result to review, and the faces it detected first (None: it used the
    faces the document listed)."""

    result: AnonymizeResult
    found: Optional[List[Face]] = None


@dataclass(frozen=True)
class Reroll:
    """A re-rolled result and the result under review it was made from."""

    base: AnonymizeResult
    result: AnonymizeResult
    position: int               # the face that changed: an index into result.outcomes


def covers(done: Face, face: Face) -> bool:
    """Whether the centre of `face` lies inside `done`'s box: the same face, found again or redrawn."""
    x, y, w, h = face.box
    bx, by, bw, bh = done.box
    return bx <= x + w / 2 <= bx + bw and by <= y + h / 2 <= by + bh


class AnonymizeSession:
    """Pending result, applied faces and their states, and the export of one document."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.pending: Optional[AnonymizeResult] = None
        self._applied: list[tuple[Face, FaceOutcome]] = []

    @property
    def reviewing(self) -> bool:
        return self.pending is not None

    # -- anonymize and review ------------------------------------------------------------------------------------
    def targets(self, selected: Sequence[int] = ()) -> Optional[List[int]]:
        """The faces a run acts on: `selected`, else every included face; None when no face is listed yet (the
        run detects them and takes all); [] when every listed face is excluded."""
        if not self.doc.faces:
            return None
        return list(selected) or [i for i, f in enumerate(self.doc.faces) if f.included]

    def anonymize_job(self, seed: int, selected: Sequence[int] = (),
                      options: Optional[AnonymizeOptions] = None) -> Callable[[JobContext], AnonymizeRun]:
        """The run for `seed` on the targets of `selected`, as a function of a JobContext that touches no state.

        It reads the document's pixels when it runs, so no edit may come between (a window blocks edits while a
        job runs); the result keeps its own copy of them. Raises NoFaceError (when run) if there is no face.
        """
        faces, image, positions = list(self.doc.faces), self.doc.image, self.targets(selected)
        options = options or AnonymizeOptions()

        def work(ctx: JobContext) -> AnonymizeRun:
            found = None
            if not faces:
                found = detect_faces(image, ctx.sub(0.0, DETECT_SHARE))
                ctx = ctx.sub(DETECT_SHARE, 1.0)
            result = anonymize_faces(image, faces if found is None else found, seed, selected=positions,
                                     options=options, ctx=ctx)
            return AnonymizeRun(result, found)

        return work

    def review(self, run: AnonymizeRun) -> AnonymizeResult:
        """Put a run's result under review (replacing any other) and list the faces it detected."""
        if run.found is not None:
            self.doc.set_faces(run.found)
        self.doc.last_device = run.result.device
        self.pending = run.result
        return run.result

    def reroll_job(self, position: int, seed: int) -> Callable[[JobContext], Reroll]:
        """Another identity (from `seed`) for face `position` (an index into the pending result's outcomes), as a
        function of a JobContext; the other faces keep theirs."""
        if self.pending is None:
            raise ValueError("no result is under review")
        base = self.pending
        return lambda ctx: Reroll(base, reroll_face(base, position, seed, ctx=ctx), position)

    def take_reroll(self, reroll: Reroll) -> bool:
        """Make a re-rolled result the one under review; False (and nothing changes) when the result it was made
        from is no longer under review (applied, discarded or replaced meanwhile)."""
        if self.pending is None or self.pending is not reroll.base:
            return False
        self.pending = reroll.result
        self.doc.last_device = reroll.result.device
        return True

    def apply(self) -> Optional[AnonymizeResult]:
        """Write the pending result into the photo as one undo step; returns it (None when nothing was pending).

        The faces are recorded and the review closed before the pixels are written, so whoever hears the edit's
        own events already sees them as anonymized and sees no stale review.
        """
        result = self.pending
        if result is None:
            return None
        before = self._applied
        applied = list(before)
        for face, outcome in zip(result.faces, result.outcomes):
            applied = [(f, o) for f, o in applied if not covers(face, f)]
            applied.append((face, outcome))
        self._applied, self.pending = applied, None
        try:
            apply_to_document(self.doc, result)
        except BaseException:
            self._applied, self.pending = before, result
            raise
        return result

    def discard(self) -> bool:
        """Drop the pending result; False when there was none."""
        had = self.pending is not None
        self.pending = None
        return had

    def add_face(self, face: Face) -> int:
        """List a face the user drew (see anonymize_service.face_from_box); returns its index."""
        self.doc.set_faces(self.doc.faces + [face])
        return len(self.doc.faces) - 1

    # -- what the photo holds now ----------------------------------------------------------------------------------
    def export_result(self) -> Optional[AnonymizeResult]:
        """The anonymized faces still in the photo, as a result to export (None when there are none)."""
        doc = self.doc
        current = {id(o) for o in outcomes_in_image(doc.image, [o for _, o in self._applied])}
        kept = [(f, o) for f, o in self._applied if id(o) in current]
        if not kept:
            return None
        return document_result(doc.original, doc.image, [f for f, _ in kept], [o for _, o in kept])

    def face_states(self) -> dict[int, str]:
        """For each listed face anonymized in the photo as it stands: ANONYMIZED_STATE or FLAGGED_STATE."""
        result = self.export_result()
        if result is None:
            return {}
        states = {}
        for i, face in enumerate(self.doc.faces):
            for done, outcome in zip(result.faces, result.outcomes):
                if covers(done, face):
                    states[i] = FLAGGED_STATE if outcome.flagged else ANONYMIZED_STATE
        return states

    def faces_left_as_they_are(self, result: Optional[AnonymizeResult] = None) -> List[int]:
        """Indices of the listed faces that no face of `result` (default: the faces in the photo now) covers."""
        if result is None:
            result = self.export_result()
        done = result.faces if result is not None else ()
        return [i for i, f in enumerate(self.doc.faces) if not any(covers(d, f) for d in done)]

    def export(self, out_path: str | Path, key: Optional[str], *, recipients: Sequence = (), signer=None,
               sidecar: bool = False, quality: Optional[int] = None, accept_flagged: bool = False,
               vault: Optional[VaultService] = None, result: Optional[AnonymizeResult] = None,
               ctx: Optional[JobContext] = None) -> SealResult:
        """Write the photo as it stands with every anonymized face's original sealed (export_anonymized: privacy
        profile, flagged faces refused unless `accept_flagged`).

        `result` is the export a person reviewed (export_result() when they did); by default the faces in the
        photo now. Safe on a worker thread while no edit comes between.
        """
        result = result if result is not None else self.export_result()
        if result is None:
            raise NothingAnonymizedError("No face of this photo is anonymized, so there is nothing to seal; "
                                         "anonymize the faces and apply them first.")
        doc = self.doc
        return export_anonymized(doc.image, result, out_path, key, alpha=doc.alpha, metadata=metadata_for_export(doc),
                                 sidecar=sidecar, quality=quality, accept_flagged=accept_flagged, vault=vault,
                                 recipients=recipients, signer=signer, ctx=ctx)
