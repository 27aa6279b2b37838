"""Faces › Remove Face Mask Using a Reference…: the user picks an unmasked photo of the same person, and a job
reads it and removes the mask with it (editor.services.reference_unmask); the result is one undo step. A reference
of another person, or without a face, is refused in a dialog and the photo is left as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from editor.core import image_io
from editor.core.document import Document
from editor.core.progress import JobContext
from editor.services.reference_unmask import ReferenceUnmaskResult, unmask_with_reference
from editor.services.unmask_service import apply_unmask, faces_to_use

from . import dialogs
from .canvas import Canvas
from .doc_bridge import DocumentBridge
from .jobs import JobRunner

DIALOG_TITLE = "Reference photo of the same person, without a mask"


class ReferenceUnmaskController(QObject):
    status_message = Signal(str)
    device_used = Signal(str)
    applied = Signal(object)            # the ReferenceUnmaskResult, once it is in the document

    def __init__(self, parent: QWidget, bridge: DocumentBridge, runner: JobRunner, canvas: Canvas) -> None:
        super().__init__(parent)
        self._parent = parent
        self._bridge = bridge
        self._runner = runner
        self._canvas = canvas

    @property
    def doc(self) -> Optional[Document]:
        return self._bridge.doc

    def choose_and_run(self) -> None:
        doc = self.doc
        if doc is None:
            return
        start = str(doc.path.parent) if doc.path is not None else ""
        path = dialogs.ask_open_path(self._parent, start, title=DIALOG_TITLE)
        if path:
            self.run(path)

    def run(self, reference_path: str | Path) -> None:
        """Remove the document's face mask(s) using the photo at `reference_path` (read in the job)."""
        doc = self.doc
        if doc is None:
            return
        self._canvas.end_stroke()
        detected = bool(doc.faces)
        name = Path(reference_path).name

        def work(ctx: JobContext) -> ReferenceUnmaskResult:
            reference = image_io.load_image(reference_path).pixels
            return unmask_with_reference(doc.image, reference, faces_to_use(doc), ctx,
                                         reference_name=f"reference photo {name}")

        def done(result: ReferenceUnmaskResult) -> None:
            if self._bridge.doc is not doc:
                return                      # the photo was replaced meanwhile: drop the stale result
            apply_unmask(doc, result.unmask)
            if not detected:                # faces found by the job: show them in the Faces panel too
                doc.set_faces([outcome.face for outcome in result.unmask.outcomes])
            self.device_used.emit(result.unmask.device)
            self.status_message.emit(result.summary())
            self.applied.emit(result)

        # Editing is blocked while the job runs, so the worker may read the live pixels and faces.
        self._runner.submit("Removing the face mask using a reference", work, done)
