"""Faces › Remove Face Masks: find and fill every face mask in a job; the result is one undo step."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QObject, Signal

from editor.core.document import Document
from editor.services.unmask_service import UnmaskResult, apply_unmask, faces_to_use, find_and_fill_masks

from .canvas import Canvas
from .doc_bridge import DocumentBridge
from .jobs import JobRunner


class UnmaskController(QObject):
    status_message = Signal(str)
    device_used = Signal(str)

    def __init__(self, bridge: DocumentBridge, runner: JobRunner, canvas: Canvas) -> None:
        super().__init__()
        self._bridge = bridge
        self._runner = runner
        self._canvas = canvas

    @property
    def doc(self) -> Optional[Document]:
        return self._bridge.doc

    def remove_face_masks(self) -> None:
        doc = self.doc
        if doc is None:
            return
        self._canvas.end_stroke()
        detected = bool(doc.faces)

        def done(result: UnmaskResult) -> None:
            if self._bridge.doc is not doc:
                return                      # the photo was replaced meanwhile: drop the stale result
            apply_unmask(doc, result)
            if not detected:                # faces found by the job: show them in the Faces panel too
                doc.set_faces([outcome.face for outcome in result.outcomes])
            self.device_used.emit(result.device)
            self.status_message.emit(result.summary())

        # Editing is blocked while the job runs, so the worker may read the live pixels and faces.
        self._runner.submit("Removing face masks",
                            lambda ctx: find_and_fill_masks(doc.image, faces_to_use(doc), ctx), done)
