"""Edits of the open document: undo/redo, mask operations and Fill (inpainting in a job)."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Signal

from editor.services.inpainting import InpaintResult, apply_result, inpaint

from ..canvas.canvas import Canvas
from ..common.jobs import JobRunner
from .bridge import DocumentBridge
from .commands import DocumentCommands

MASK_OP_NAMES = {"clear": "Cleared the mask", "invert": "Inverted the mask", "grow": "Grew the mask",
                 "shrink": "Shrank the mask", "feather": "Feathered the mask"}
MASK_OP_JOBS = {"clear": "Clearing the mask", "invert": "Inverting the mask", "grow": "Growing the mask",
                "shrink": "Shrinking the mask", "feather": "Feathering the mask"}


class EditController(DocumentCommands):
    device_used = Signal(str)

    def __init__(self, bridge: DocumentBridge, runner: JobRunner, canvas: Canvas,
                 radius: Callable[[], int], engine: Callable[[], str]) -> None:
        super().__init__(bridge, runner)
        self._canvas = canvas
        self._radius = radius
        self._engine = engine

    def undo(self) -> None:
        if self.doc is None:
            return
        self._canvas.end_stroke()
        label = self.doc.undo()
        self.status_message.emit(f"Undid {label}." if label else "Nothing to undo.")

    def redo(self) -> None:
        if self.doc is None:
            return
        self._canvas.end_stroke()
        label = self.doc.redo()
        self.status_message.emit(f"Redid {label}." if label else "Nothing to redo.")

    def mask_op(self, op: str) -> None:
        """Run a mask operation in a worker: on a 24 MP photo the operation, the diff and the undo tiles take
        0.1-0.7 s. Editing is blocked meanwhile, and the document's events reach the widgets queued on the UI
        thread (DocumentBridge), which repaints the changed area from the mask buffer without copying it."""
        doc = self.doc
        if doc is None:
            return
        self._canvas.end_stroke()
        radius = self._radius()
        suffix = f" by {radius} px" if op in ("grow", "shrink", "feather") else ""
        self._runner.submit(MASK_OP_JOBS[op], lambda ctx: doc.apply_mask_op(op, radius),
                            lambda _: self.status_message.emit(f"{MASK_OP_NAMES[op]}{suffix}."))

    def inpaint(self) -> None:
        """Fill the masked area in a worker; the result is applied (and the mask cleared) as one undo step."""
        doc = self.doc
        if doc is None:
            return
        if not doc.has_mask:
            self.status_message.emit("Nothing to fill: paint over the area first (B), or mask the faces.")
            return
        self._canvas.end_stroke()
        engine = self._engine()

        def done(result: InpaintResult) -> None:
            apply_result(doc, result)
            self.device_used.emit(result.device)
            self.status_message.emit(f"Filled {result.rect.width} × {result.rect.height} px with {result.engine} "
                                     f"on {result.device}.")

        faces = list(doc.faces) or None            # the face model detects faces when none are known yet
        # Editing is blocked while the job runs, so the worker may read the live arrays.
        self.run_on(doc, "Filling the masked area", lambda ctx: inpaint(doc.image, doc.mask, engine, ctx, faces=faces),
                    done)
