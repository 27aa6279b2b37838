"""Face commands: detect faces in a job, and add the included faces to the mask."""

from __future__ import annotations

from typing import List, Optional

from PySide6.QtCore import QObject, Signal

from editor.core.document import Document
from editor.core.faces import Face
from editor.services.faces import detect_faces, mask_selected_faces

from .doc_bridge import DocumentBridge
from .jobs import JobRunner

DETECTION_DEVICE = "CPU"      # YuNet (OpenCV) and dlib landmarks run on the CPU


class FaceController(QObject):
    status_message = Signal(str)
    device_used = Signal(str)

    def __init__(self, bridge: DocumentBridge, runner: JobRunner) -> None:
        super().__init__()
        self._bridge = bridge
        self._runner = runner

    @property
    def doc(self) -> Optional[Document]:
        return self._bridge.doc

    def detect(self) -> None:
        doc = self.doc
        if doc is None:
            return

        def done(faces: List[Face]) -> None:
            if self._bridge.doc is not doc:
                return
            doc.set_faces(faces)
            doc.last_device = DETECTION_DEVICE
            self.device_used.emit(DETECTION_DEVICE)
            n = len(faces)
            self.status_message.emit(f"Found {n} face{'s' if n != 1 else ''}." if n else
                                     "No face found; paint the area with the brush instead.")

        # Editing is blocked while the job runs, so the worker may read the live pixels.
        self._runner.submit("Detecting faces", lambda ctx: detect_faces(doc.image, ctx), done)

    def mask_selected(self) -> None:
        doc = self.doc
        if doc is None:
            return
        if not doc.faces:
            self.status_message.emit("No faces yet: run Faces › Detect Faces first.")
            return
        n = mask_selected_faces(doc)
        self.status_message.emit(f"Masked {n} face{'s' if n != 1 else ''}." if n else
                                 "Every face is excluded: check the faces to mask in the Faces panel.")
