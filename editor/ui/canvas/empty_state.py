"""What the canvas shows while no photo is open: how to open one, and a sample photo to try Veil on."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

TITLE = "Drop a photo here"
BODY = "or choose File › Open… (Ctrl+O).\nNew to Veil? Try it on the sample photo."


class EmptyState(QWidget):
    def __init__(self, open_action: QAction, sample_action: QAction, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.title = QLabel(TITLE)
        self.title.setObjectName("emptyTitle")
        self.body = QLabel(BODY)
        self.body.setObjectName("emptyBody")
        self.body.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.buttons = []
        for action, text in ((open_action, "Open a Photo…"), (sample_action, "Open the Sample Photo")):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setText(text)            # the button's own words; the menu keeps the action's text
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setObjectName("emptyButton")
            buttons.addWidget(button)
            self.buttons.append(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 28, 24, 28)
        layout.setSpacing(12)
        for label in (self.title, self.body):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(label)
        layout.addSpacing(6)
        layout.addLayout(buttons)

    @property
    def text(self) -> str:
        return f"{self.title.text()}\n{self.body.text()}"
