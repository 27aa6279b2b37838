"""Turns the Qt-free Document's callbacks into one Qt signal the widgets connect to.

A document event raised on the UI thread (a brush dab) reaches the widgets at once; one raised by a worker
thread (a service that marks the file saved) is queued to the UI thread by Qt, so no widget is ever touched
from a worker.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QObject, Signal

from editor.core.document import Document
from editor.core.geometry import Rect


class DocumentBridge(QObject):
    changed = Signal(str, object)           # event ("image", "mask", "faces", "history", "path"), Rect or None
    document_replaced = Signal(object)      # the new Document, or None

    def __init__(self) -> None:
        super().__init__()
        self.doc: Optional[Document] = None

    def attach(self, doc: Optional[Document]) -> None:
        if self.doc is not None:
            self.doc.unsubscribe(self._forward)
        self.doc = doc
        if doc is not None:
            doc.subscribe(self._forward)
        self.document_replaced.emit(doc)

    def _forward(self, event: str, rect: Optional[Rect]) -> None:
        self.changed.emit(event, rect)
