"""Anonymize commands of the window: anonymize in a job, review (re-roll, apply or discard), add a face by box,
export with sealed originals.

The result under review is not in the document until Apply, which writes it as one undo step; the canvas shows
it as a preview meanwhile. Applied outcomes are remembered so the export knows which faces are anonymized and
which are flagged; one that an undo or a later edit replaced no longer counts (checked on its pixels).
"""

from __future__ import annotations

import secrets
from typing import Callable, List, Optional

from PySide6.QtCore import QObject, Signal

from editor.anonymize.engine import STANDARD, AnonymizeOptions, FaceOutcome
from editor.core.document import Document
from editor.core.faces import Face
from editor.core.geometry import Rect
from editor.core.progress import JobContext
from editor.services.anonymize_service import (AnonymizeResult, anonymize_faces, apply_to_document,
                                               document_result, face_from_box, outcomes_in_image, reroll_face)
from editor.services.faces import detect_faces

from .doc_bridge import DocumentBridge
from .jobs import JobRunner

SEED_RANGE = 2 ** 31
ANONYMIZE_DEVICE = "CPU"          # the identity engine, detector and recognizer run on the CPU


def new_seed() -> int:
    return secrets.randbelow(SEED_RANGE)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _centre_inside(face: Face, box: Face) -> bool:
    x, y, w, h = face.box
    bx, by, bw, bh = box.box
    return bx <= x + w / 2 <= bx + bw and by <= y + h / 2 <= by + bh


class AnonymizeController(QObject):
    status_message = Signal(str)
    device_used = Signal(str)
    review_started = Signal(object)       # AnonymizeResult
    review_changed = Signal(object, int)  # AnonymizeResult, the position of the face that changed
    review_ended = Signal(bool)           # applied (True) or discarded
    face_added = Signal(int)              # index of a face drawn by box

    def __init__(self, bridge: DocumentBridge, runner: JobRunner, selected: Callable[[], List[int]],
                 strength: Callable[[], str] = lambda: STANDARD) -> None:
        super().__init__()
        self._bridge = bridge
        self._runner = runner
        self._selected = selected
        self._strength = strength            # read at each Anonymize: the user's current setting
        self.pending: Optional[AnonymizeResult] = None
        self._applied: list[tuple[Face, FaceOutcome]] = []
        self._applying = False
        bridge.document_replaced.connect(self._on_document_replaced)
        bridge.changed.connect(self._on_document_event)

    @property
    def doc(self) -> Optional[Document]:
        return self._bridge.doc

    @property
    def reviewing(self) -> bool:
        return self.pending is not None

    # -- anonymize and review ------------------------------------------------------------------------------------
    def targets(self) -> Optional[List[int]]:
        """The faces the command acts on: the selected rows, else every included face (None: detect first)."""
        doc = self.doc
        if doc is None or not doc.faces:
            return None
        return self._selected() or [i for i, f in enumerate(doc.faces) if f.included]

    def anonymize(self) -> None:
        doc = self.doc
        if doc is None:
            return
        positions = self.targets()
        if positions == []:
            self.status_message.emit("Every face is excluded: check or select the faces to anonymize.")
            return
        if self.pending is not None:
            self.discard()
        faces, image, seed = list(doc.faces), doc.image, new_seed()
        options = AnonymizeOptions.for_strength(self._strength())

        def work(ctx: JobContext):
            found = None
            if not faces:             # nothing listed yet: find the faces first
                found = detect_faces(image, ctx.sub(0.0, 0.3))
                ctx = ctx.sub(0.3, 1.0)
            # The job blocks edits, but Apply may come after other edits: the result keeps its own copy.
            result = anonymize_faces(image, found if found is not None else faces, seed, selected=positions,
                                     options=options, ctx=ctx)
            return found, result

        def done(out) -> None:
            found, result = out
            if self._bridge.doc is not doc:
                return
            if found is not None:
                doc.set_faces(found)
            self.device_used.emit(ANONYMIZE_DEVICE)
            self.pending = result
            self.review_started.emit(result)
            flagged = len(result.flagged)
            n, left = len(result.outcomes), len(doc.faces) - len(result.outcomes)
            kept = f", {_plural(left, 'other face')} left as {'it is' if left == 1 else 'they are'}" if left else ""
            self.status_message.emit(f"{_plural(n, 'face')} anonymized"
                                     + (f", {flagged} flagged for review" if flagged else "") + kept
                                     + f": review {'it' if n == 1 else 'them'}, then Apply.")

        label = "Anonymizing faces" if faces else "Detecting and anonymizing faces"
        self._runner.submit(label, work, done)

    def reroll(self, position: int) -> None:
        """Give face `position` of the result under review another identity (a new seed)."""
        result = self.pending
        if result is None:
            return
        seed = new_seed()

        def done(new: AnonymizeResult) -> None:
            if self.pending is not result:
                return
            self.pending = new
            self.review_changed.emit(new, position)
            o = new.outcomes[position]
            self.status_message.emit(f"Face {o.index + 1}: " + ("new identity, verified." if not o.flagged else
                                                                 "still flagged for review."))

        self._runner.submit(f"New identity for face {result.outcomes[position].index + 1}",
                            lambda ctx: reroll_face(result, position, seed, ctx=ctx), done)

    def apply(self) -> None:
        """Write the result under review into the photo as one undo step."""
        doc, result = self.doc, self.pending
        if doc is None or result is None:
            return
        # Recorded first: the edit's own events already show the faces as anonymized.
        for face, outcome in zip(result.faces, result.outcomes):
            self._applied = [(f, o) for f, o in self._applied if not _centre_inside(f, face)]
            self._applied.append((face, outcome))
        self._applying = True
        try:
            apply_to_document(doc, result)
        finally:
            self._applying = False
        self.pending = None
        self.review_ended.emit(True)
        flagged = len(result.flagged)
        self.status_message.emit(f"Anonymized {_plural(len(result.outcomes), 'face')}"
                                 + (f" ({flagged} flagged: confirm {'it' if flagged == 1 else 'them'} on export)"
                                    if flagged else "")
                                 + ". Undo with Ctrl+Z.")

    def discard(self) -> None:
        if self.pending is None:
            return
        self.pending = None
        self.review_ended.emit(False)

    # -- what is in the photo now ------------------------------------------------------------------------------------
    def export_result(self) -> Optional[AnonymizeResult]:
        """The anonymized faces still in the photo, as a result to export (None when there are none)."""
        doc = self.doc
        if doc is None:
            return None
        current = {id(o) for o in outcomes_in_image(doc.image, [o for _, o in self._applied])}
        kept = [(f, o) for f, o in self._applied if id(o) in current]
        if not kept:
            return None
        return document_result(doc.original, doc.image, [f for f, _ in kept], [o for _, o in kept])

    def face_states(self) -> dict[int, str]:
        """For each face of the document anonymized in the photo as it stands: "anonymized" or "flagged"."""
        doc, result = self.doc, self.export_result()
        if doc is None or result is None:
            return {}
        states = {}
        for i, face in enumerate(doc.faces):
            for done, outcome in zip(result.faces, result.outcomes):
                if _centre_inside(face, done):
                    states[i] = "flagged" if outcome.flagged else "anonymized"
        return states

    def faces_left_as_they_are(self, result: Optional[AnonymizeResult]) -> List[int]:
        """Indices of the document's faces that no anonymized face covers."""
        doc = self.doc
        if doc is None:
            return []
        done = result.faces if result is not None else ()
        return [i for i, f in enumerate(doc.faces) if not any(_centre_inside(f, d) for d in done)]

    # -- a face the detector missed ------------------------------------------------------------------------------
    def add_face(self, box: Rect) -> None:
        doc = self.doc
        if doc is None or self._runner.busy:
            return
        image = doc.image

        def done(face: Face) -> None:
            if self._bridge.doc is not doc:
                return
            doc.set_faces(doc.faces + [face])
            index = len(doc.faces) - 1
            self.face_added.emit(index)
            self.status_message.emit(
                f"Added face {index + 1}." if face.landmarks68 is not None else
                f"Added face {index + 1} without landmarks: anonymizing pixelates it and flags it for review.")

        self._runner.submit("Finding the face in the box", lambda ctx: face_from_box(image, box), done)

    # -- document events -----------------------------------------------------------------------------------------
    def _on_document_replaced(self, doc: Optional[Document]) -> None:
        self._applied = []
        self.discard()

    def _on_document_event(self, event: str, rect: object) -> None:
        # The preview was made from the pixels as they were: another edit (an undo, a fill) makes it stale.
        if event == "image" and self.pending is not None and not self._applying:
            self.discard()
            self.status_message.emit("The photo changed, so the anonymization under review was discarded; "
                                     "run Anonymize Faces again.")
