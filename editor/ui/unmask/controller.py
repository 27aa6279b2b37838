"""Faces › Remove Face Masks, and Faces › Remove Face Mask Using a Reference…: find and fill every face mask in a
job; the result is one undo step. With a reference, the user picks an unmasked photo of the same person, which the
job reads and takes the real nose, mouth and chin from (editor.services.reference_unmask); a reference of another
person, or without a face, is refused in a dialog and the photo is left as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from editor.core import image_io
from editor.core.document import Document
from editor.core.progress import JobContext
from editor.services.reference_unmask import unmask_with_reference
from editor.services.unmask_service import UnmaskResult, apply_unmask, faces_to_use, find_and_fill_masks

from ..canvas.canvas import Canvas
from ..common import dialogs
from ..common.jobs import JobRunner
from ..document.bridge import DocumentBridge
from ..document.commands import DocumentCommands

REFERENCE_DIALOG_TITLE = "Reference photo of the same person, without a mask"


class UnmaskController(DocumentCommands):
    device_used = Signal(str)

    def __init__(self, parent: QWidget, bridge: DocumentBridge, runner: JobRunner, canvas: Canvas) -> None:
        super().__init__(bridge, runner, parent)
        self._parent = parent
        self._canvas = canvas

    def remove_face_masks(self) -> None:
        def work(doc: Document, ctx: JobContext) -> tuple[UnmaskResult, str]:
            result = find_and_fill_masks(doc.image, faces_to_use(doc), ctx)
            return result, result.summary()

        self._run("Removing face masks", work)

    def choose_reference_and_run(self) -> None:
        doc = self.doc
        if doc is None:
            return
        start = str(doc.path.parent) if doc.path is not None else ""
        path = dialogs.ask_open_path(self._parent, start, title=REFERENCE_DIALOG_TITLE)
        if path:
            self.remove_with_reference(path)

    def remove_with_reference(self, reference_path: str | Path) -> None:
        """Remove the document's face mask(s) using the photo at `reference_path` (read in the job)."""
        name = Path(reference_path).name

        def work(doc: Document, ctx: JobContext) -> tuple[UnmaskResult, str]:
            reference = image_io.load_image(reference_path).pixels
            result = unmask_with_reference(doc.image, reference, faces_to_use(doc), ctx,
                                           reference_name=f"reference photo {name}")
            return result.unmask, result.summary()

        self._run("Removing the face mask using a reference", work)

    def _run(self, label: str, work: Callable[[Document, JobContext], tuple[UnmaskResult, str]]) -> None:
        """`work` finds and fills the masks of the open photo in a job; its result becomes one undo step."""
        doc = self.doc
        if doc is None:
            return
        self._canvas.end_stroke()
        detected = bool(doc.faces)

        def done(answer: tuple[UnmaskResult, str]) -> None:
            result, summary = answer
            apply_unmask(doc, result)
            if not detected:                # faces found by the job: show them in the Faces panel too
                doc.set_faces([outcome.face for outcome in result.outcomes])
            self.device_used.emit(result.device)
            self.status_message.emit(summary)

        # Editing is blocked while the job runs, so the worker may read the live pixels and faces.
        self.run_on(doc, label, lambda ctx: work(doc, ctx), done)
