"""Open, save, save as, export and the unsaved-changes prompt. File work runs in jobs; dialogs come from
common/dialogs.py."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, List, Optional

from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QWidget

from editor.core.document import Document
from editor.core.image_io import is_supported_path
from editor.services.documents import export_document, open_document, save_document

from ..common import dialogs
from ..common.jobs import JobRunner
from ..settings.preferences import Preferences
from .bridge import DocumentBridge
from .commands import DocumentCommands
from .recent_files import RecentFiles

Then = Optional[Callable[[], None]]


def dropped_photos(mime: QMimeData) -> List[str]:
    """Local files in a drag whose extension Veil opens."""
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and is_supported_path(u.toLocalFile())]


def display_name(doc: Optional[Document]) -> str:
    if doc is None:
        return ""
    return doc.path.name if doc.path else "Untitled"


class DocumentController(DocumentCommands):
    def __init__(self, window: QWidget, bridge: DocumentBridge, runner: JobRunner, recent: RecentFiles) -> None:
        super().__init__(bridge, runner)
        self._window = window
        self._recent = recent

    def _start_dir(self) -> str:
        if self.doc is not None and self.doc.path is not None:
            return str(self.doc.path.parent)
        recent = self._recent.paths()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    # -- open ------------------------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path = dialogs.ask_open_path(self._window, self._start_dir())
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> None:
        """Open `path` in a worker, after asking about unsaved edits; a bad file shows one sentence."""
        path = str(path)
        if self._runner.busy:
            self.status_message.emit(f"Wait for the running job to finish before opening {Path(path).name}.")
            return
        if not self.request_close(then=lambda: self.open_path(path)):
            return

        def opened(doc: Document) -> None:
            self._bridge.attach(doc)
            self._recent.add(path)
            self.status_message.emit(f"Opened {Path(path).name}.")

        def failed(exc: BaseException) -> None:
            resolved = str(Path(path).resolve())
            if not Path(path).exists() and resolved in self._recent.paths():
                self._recent.remove(resolved)        # a vanished recent file leaves the menu

        self._runner.submit(f"Opening {Path(path).name}", lambda ctx: open_document(path, ctx), opened, failed)

    # -- save --------------------------------------------------------------------------------------------------
    def save(self, then: Then = None) -> None:
        """Write over the document's own file; a document without one goes through Save As."""
        doc = self.doc
        if doc is None:
            return
        if doc.path is None:
            self.save_as(then)
            return
        self._save_to(doc, doc.path, then)

    def save_as(self, then: Then = None) -> None:
        doc = self.doc
        if doc is None:
            return
        suggested = str(doc.path.with_name(f"{doc.path.stem}-edited{doc.path.suffix}")) if doc.path else ""
        path = dialogs.ask_save_path(self._window, suggested)
        if path:
            self._save_to(doc, Path(path), then)

    def _save_to(self, doc: Document, path: Path, then: Then) -> None:
        def saved(target: Path) -> None:
            self._recent.add(target)
            self.status_message.emit(f"Saved {target.name}.")
            if then is not None:
                then()

        # The worker only reads doc's arrays; edits are blocked while the job runs. mark_saved's events are
        # queued to the UI thread by the bridge.
        self._runner.submit(f"Saving {path.name}", lambda ctx: save_document(doc, path), saved)

    def export(self) -> None:
        doc = self.doc
        if doc is None:
            return
        base = doc.path or Path(self._start_dir()) / "photo.jpg"
        choice = dialogs.ask_export(self._window, str(base.with_name(f"{base.stem}-export{base.suffix}")))
        if choice is None:
            return
        path, profile = choice
        prefs = self._window.findChild(Preferences)
        if prefs is not None:
            prefs.export_profile = profile          # the next Export starts with this profile
        self._runner.submit(f"Exporting {Path(path).name}",
                            lambda ctx: export_document(doc, path, profile=profile),
                            lambda target: self.status_message.emit(f"Exported {Path(target).name} ({profile})."))

    # -- closing ---------------------------------------------------------------------------------------------
    def request_close(self, then: Then = None) -> bool:
        """True when the open document may go now. Otherwise the user was asked: Cancel keeps it, and Save
        starts saving and calls `then` once the file is written."""
        doc = self.doc
        if doc is None or not doc.dirty:
            return True
        answer = dialogs.ask_save_changes(self._window, display_name(doc))
        if answer == "discard":
            return True
        if answer == "save":
            self.save(then)
        return False
