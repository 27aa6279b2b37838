"""Face commands: detect faces in a job, and add the included faces to the mask."""

from __future__ import annotations

from PySide6.QtCore import Signal

from editor.services.faces import FoundFaces, find_faces, mask_selected_faces

from ..document.commands import DocumentCommands


class FaceController(DocumentCommands):
    device_used = Signal(str)

    def detect(self) -> None:
        doc = self.doc
        if doc is None:
            return

        def done(found: FoundFaces) -> None:
            doc.set_faces(found.faces)
            doc.last_device = found.device
            self.device_used.emit(found.device)
            n = len(found.faces)
            self.status_message.emit(f"Found {n} face{'s' if n != 1 else ''}." if n else
                                     "No face found; paint the area with the brush instead.")

        # Editing is blocked while the job runs, so the worker may read the live pixels.
        self.run_on(doc, "Detecting faces", lambda ctx: find_faces(doc.image, ctx), done)

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
