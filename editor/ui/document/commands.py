"""The base of the controllers whose commands act on the open document (files, edits, faces, unmask, anonymize).

Each holds the window's document bridge and job runner and says what happened in `status_message`. A job reads the
document it started on, but its result comes back later, on the UI thread: `run_on` applies it only while that
document is still the open one, so a result never lands in a photo that replaced it.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from PySide6.QtCore import QObject, Signal

from editor.core.document import Document
from editor.core.progress import JobContext

from ..common.jobs import Job, JobRunner
from .bridge import DocumentBridge


class DocumentCommands(QObject):
    status_message = Signal(str)

    def __init__(self, bridge: DocumentBridge, runner: JobRunner, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._runner = runner

    @property
    def doc(self) -> Optional[Document]:
        return self._bridge.doc

    def run_on(self, doc: Document, label: str, work: Callable[[JobContext], Any],
               on_done: Callable[[Any], None]) -> Job:
        """Run `work(ctx)` in a job; `on_done(result)` runs only if `doc` is still the open document by then (the
        result of a photo that was replaced meanwhile is dropped)."""
        def done(result: Any) -> None:
            if self._bridge.doc is doc:
                on_done(result)

        return self._runner.submit(label, work, done)
