"""The list of photos and folders a batch dialog works on, with Add photos…, Add folder… and Remove."""

from __future__ import annotations

from typing import List, Optional

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QListWidget, QPushButton, QVBoxLayout,
                               QWidget)

from editor.core.image_io import SAVE_EXTENSIONS


# -- prompts (replaceable in tests) ----------------------------------------------------------------------------------
def ask_photos(parent: Optional[QWidget], title: str) -> List[str]:
    patterns = " ".join(f"*{ext}" for ext in SAVE_EXTENSIONS)
    paths, _ = QFileDialog.getOpenFileNames(parent, title, "", f"Images ({patterns})")
    return paths


def ask_folder(parent: Optional[QWidget], title: str) -> Optional[str]:
    return QFileDialog.getExistingDirectory(parent, title) or None


class PhotoInputs(QWidget):
    changed = Signal()

    def __init__(self, what: str, parent: Optional[QWidget] = None) -> None:
        """`what` ends the prompts' titles: "to anonymize", "to remove face masks from"."""
        super().__init__(parent)
        self.what = what
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setMinimumHeight(110)
        for signal in (self.list.model().rowsInserted, self.list.model().rowsRemoved,
                       self.list.itemSelectionChanged):
            signal.connect(self.changed)
        self.add_photos_button = QPushButton("Add photos…")
        self.add_folder_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Remove")
        self.add_photos_button.clicked.connect(lambda: self.add(ask_photos(self, f"Photos {what}")))
        self.add_folder_button.clicked.connect(self._add_folder)
        self.remove_button.clicked.connect(self._remove_selected)
        side = QVBoxLayout()
        for button in (self.add_photos_button, self.add_folder_button, self.remove_button):
            side.addWidget(button)
        side.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.list, 1)
        row.addLayout(side)

    def paths(self) -> List[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def add(self, paths: List[str]) -> None:
        known = set(self.paths())
        for path in paths:
            if path and path not in known:
                self.list.addItem(path)
                known.add(path)

    def set_free(self, free: bool) -> None:
        """Editable while no batch runs."""
        for widget in (self.add_photos_button, self.add_folder_button, self.list):
            widget.setEnabled(free)
        self.remove_button.setEnabled(free and bool(self.list.selectedItems()))

    def _add_folder(self) -> None:
        folder = ask_folder(self, f"Folder of photos {self.what}")
        if folder:
            self.add([folder])

    def _remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
