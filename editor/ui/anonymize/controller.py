"""Anonymize commands of the window: anonymize in a job, review (re-roll, apply or discard), add a face by box.

The state (the result under review, the faces applied, their states) is the document's AnonymizeSession, which the
CLI drives the same way; this controller runs its jobs on the window's runner and turns what happens into signals
and status messages. The result under review is not in the document until Apply; the canvas shows it as a preview
meanwhile.
"""

from __future__ import annotations

import secrets
from typing import Callable, List, Optional

from PySide6.QtCore import Signal

from editor.core.document import Document
from editor.core.faces import Face
from editor.core.geometry import Rect
from editor.services.anonymize_service import AnonymizeResult, face_from_box
from editor.services.anonymize_session import AnonymizeRun, AnonymizeSession, Reroll
from editor.services.anonymize_types import STANDARD, AnonymizeOptions

from ..common.jobs import JobRunner
from ..document.bridge import DocumentBridge
from ..document.commands import DocumentCommands

SEED_RANGE = 2 ** 31


def new_seed() -> int:
    return secrets.randbelow(SEED_RANGE)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class AnonymizeController(DocumentCommands):
    device_used = Signal(str)
    review_started = Signal(object)       # AnonymizeResult
    review_changed = Signal(object, int)  # AnonymizeResult, the position of the face that changed
    review_ended = Signal(bool)           # applied (True) or discarded
    face_added = Signal(int)              # index of a face drawn by box

    def __init__(self, bridge: DocumentBridge, runner: JobRunner, selected: Callable[[], List[int]],
                 strength: Callable[[], str] = lambda: STANDARD) -> None:
        super().__init__(bridge, runner)
        self._selected = selected
        self._strength = strength            # read at each Anonymize: the user's current setting
        self.session: Optional[AnonymizeSession] = None if bridge.doc is None else AnonymizeSession(bridge.doc)
        bridge.document_replaced.connect(self._on_document_replaced)
        bridge.changed.connect(self._on_document_event)

    @property
    def pending(self) -> Optional[AnonymizeResult]:
        return self.session.pending if self.session is not None else None

    @property
    def reviewing(self) -> bool:
        return self.pending is not None

    # -- anonymize and review ------------------------------------------------------------------------------------
    def targets(self) -> Optional[List[int]]:
        """The faces the command acts on: the selected rows, else every included face (None: detect first)."""
        return self.session.targets(self._selected()) if self.session is not None else None

    def anonymize(self) -> None:
        session = self.session
        if session is None:
            return
        if session.targets(self._selected()) == []:
            self.status_message.emit("Every face is excluded: check or select the faces to anonymize.")
            return
        self.discard()
        doc = session.doc
        detecting = not doc.faces
        work = session.anonymize_job(new_seed(), self._selected(), AnonymizeOptions.for_strength(self._strength()))

        def done(run: AnonymizeRun) -> None:
            result = session.review(run)
            self.device_used.emit(result.device)
            self.review_started.emit(result)
            flagged = len(result.flagged)
            n, left = len(result.outcomes), len(doc.faces) - len(result.outcomes)
            kept = f", {_plural(left, 'other face')} left as {'it is' if left == 1 else 'they are'}" if left else ""
            self.status_message.emit(f"{_plural(n, 'face')} anonymized"
                                     + (f", {flagged} flagged for review" if flagged else "") + kept
                                     + f": review {'it' if n == 1 else 'them'}, then Apply.")

        label = "Detecting and anonymizing faces" if detecting else "Anonymizing faces"
        self.run_on(doc, label, work, done)

    def reroll(self, position: int) -> None:
        """Give face `position` of the result under review another identity (a new seed)."""
        session, result = self.session, self.pending
        if session is None or result is None:
            return
        work = session.reroll_job(position, new_seed())

        def done(reroll: Reroll) -> None:
            if not session.take_reroll(reroll):
                return
            self.device_used.emit(reroll.result.device)
            self.review_changed.emit(reroll.result, position)
            o = reroll.result.outcomes[position]
            self.status_message.emit(f"Face {o.index + 1}: " + ("new identity, verified." if not o.flagged else
                                                                 "still flagged for review."))

        self.run_on(session.doc, f"New identity for face {result.outcomes[position].index + 1}", work, done)

    def apply(self) -> None:
        """Write the result under review into the photo as one undo step."""
        session = self.session
        result = session.apply() if session is not None else None
        if result is None:
            return
        self.review_ended.emit(True)
        flagged = len(result.flagged)
        self.status_message.emit(f"Anonymized {_plural(len(result.outcomes), 'face')}"
                                 + (f" ({flagged} flagged: confirm {'it' if flagged == 1 else 'them'} on export)"
                                    if flagged else "")
                                 + ". Undo with Ctrl+Z.")

    def discard(self) -> None:
        if self.session is not None and self.session.discard():
            self.review_ended.emit(False)

    # -- what is in the photo now ------------------------------------------------------------------------------------
    def export_result(self) -> Optional[AnonymizeResult]:
        """The anonymized faces still in the photo, as a result to export (None when there are none)."""
        return self.session.export_result() if self.session is not None else None

    def face_states(self) -> dict[int, str]:
        """For each face of the document anonymized in the photo as it stands: "anonymized" or "flagged"."""
        return self.session.face_states() if self.session is not None else {}

    # -- a face the detector missed ------------------------------------------------------------------------------
    def add_face(self, box: Rect) -> None:
        session = self.session
        if session is None or self._runner.busy:
            return
        image = session.doc.image

        def done(face: Face) -> None:
            index = session.add_face(face)
            self.face_added.emit(index)
            self.status_message.emit(
                f"Added face {index + 1}." if face.landmarks68 is not None else
                f"Added face {index + 1} without landmarks: anonymizing pixelates it and flags it for review.")

        self.run_on(session.doc, "Finding the face in the box", lambda ctx: face_from_box(image, box), done)

    # -- document events -----------------------------------------------------------------------------------------
    def _on_document_replaced(self, doc: Optional[Document]) -> None:
        self.discard()
        self.session = None if doc is None else AnonymizeSession(doc)

    def _on_document_event(self, event: str, rect: object) -> None:
        # The preview was made from the pixels as they were: another edit (an undo, a fill) makes it stale. Apply
        # closes the review before it writes, so its own edit does not count.
        if event == "image" and self.reviewing:
            self.discard()
            self.status_message.emit("The photo changed, so the anonymization under review was discarded; "
                                     "run Anonymize Faces again.")
