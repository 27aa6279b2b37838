"""A note over the photo while it holds pixels a model invented (a face mask filled, a face replaced): the filled
area is an estimate, not the person's face. Said once, where the result is seen, not in a dialog to click away;
the × hides it for this photo."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from editor.core.document import Document
from editor.services.unmask_service import ESTIMATE_NOTICE

MARGIN = 12


class EstimateNotice(QWidget):
    def __init__(self, canvas: QWidget) -> None:
        super().__init__(canvas)
        self.setObjectName("estimateNotice")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("QWidget#estimateNotice { background: rgba(24, 26, 30, 215); border: 1px solid #f0b35a;"
                           " border-radius: 6px; } QLabel { color: #f3d9a8; }"
                           " QToolButton { color: #f3d9a8; font-size: 16px; padding: 0 4px; }")
        self.label = QLabel(ESTIMATE_NOTICE)
        self.label.setWordWrap(True)
        self.close_button = QToolButton()
        self.close_button.setText("×")
        self.close_button.setToolTip("Hide this note for this photo")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 4, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._doc: Optional[Document] = None
        self._dismissed = False
        canvas.installEventFilter(self)
        self.hide()

    def set_document(self, doc: Optional[Document]) -> None:
        self._doc = doc
        self._dismissed = False
        self.refresh()

    def on_document_event(self, event: str, rect: object) -> None:
        if event == "history":
            self.refresh()

    def refresh(self) -> None:
        """Shown while an edit now in the photo invented pixels (an undo of it hides the note again)."""
        estimated = self._doc is not None and self._doc.estimated_source_type() is not None
        self.setVisible(estimated and not self._dismissed)
        if self.isVisible():
            self._place()
            self.raise_()

    def dismiss(self) -> None:
        self._dismissed = True
        self.hide()

    def _place(self) -> None:
        canvas = self.parentWidget()
        width = min(560, canvas.width() - 2 * MARGIN)
        height = max(self.heightForWidth(width), self.sizeHint().height())
        self.setGeometry((canvas.width() - width) // 2, MARGIN, width, height)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False
