"""Faces dock: one row per detected face (include checkbox, thumbnail, score, flags) and the face commands."""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QDockWidget, QLabel, QListWidget, QListWidgetItem, QSizePolicy, QStackedWidget,
                               QToolButton, QVBoxLayout, QWidget)

from editor.core.document import Document
from editor.core.faces import Face

from .actions import Actions

THUMB = 56
FACE_ROLE = Qt.ItemDataRole.UserRole


def face_thumbnail(image: np.ndarray, face: Face, size: int = THUMB) -> QPixmap:
    """A square crop around the face with some margin, scaled to `size` (a copy: the photo may change)."""
    x, y, w, h = face.box
    side = max(w, h) * 1.3
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x1, y1 = int(min(image.shape[1], cx + side / 2)), int(min(image.shape[0], cy + side / 2))
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    if crop.size == 0:
        return QPixmap(size, size)
    qimg = QImage(crop.data, crop.shape[1], crop.shape[0], crop.strides[0], QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimg.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation))


def describe(index: int, face: Face) -> str:
    """Three short lines: name (and whether it is excluded), score, landmark status and flags."""
    title = f"Face {index + 1}" + ("" if face.included else " (excluded)")
    marks = "68 landmarks" if face.landmarks68 is not None else "no landmarks"
    flags = [f.replace("-", " ") for f in face.flags]
    return "\n".join([title, f"score {face.score:.2f}", " · ".join([marks, *(f for f in flags if f != marks)])])


class FacePanel(QDockWidget):
    face_selected = Signal(object)          # index or None

    def __init__(self, actions: Actions, parent: Optional[QWidget] = None) -> None:
        super().__init__("Faces", parent)
        self.setObjectName("facePanel")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.doc: Optional[Document] = None

        self.summary = QLabel()
        self.summary.setObjectName("panelSummary")
        self.list = QListWidget()
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setSpacing(2)
        self.list.setUniformItemSizes(True)
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentRowChanged.connect(self._on_row_changed)
        self.empty = QLabel("No faces yet.\nDetect faces to list them here,\nthen choose which ones to mask.")
        self.empty.setObjectName("emptyHint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.list)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        layout.addWidget(self.summary)
        layout.addWidget(self.stack, 1)
        for name in ("detect_faces", "mask_faces"):
            button = QToolButton()
            button.setDefaultAction(actions[name])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setIconSize(QSize(20, 20))
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            layout.addWidget(button)
        self.setWidget(body)
        self.set_document(None)

    def set_document(self, doc: Optional[Document]) -> None:
        self.doc = doc
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the rows from the document's faces, keeping the selected row where possible."""
        faces = self.doc.faces if self.doc else []
        row = self.list.currentRow()
        self.list.blockSignals(True)
        self.list.clear()
        for i, face in enumerate(faces):
            item = QListWidgetItem(QIcon(face_thumbnail(self.doc.image, face)), describe(i, face))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if face.included else Qt.CheckState.Unchecked)
            item.setToolTip("Checked faces are masked by 'Mask Selected Faces'")
            self.list.addItem(item)
        if 0 <= row < len(faces):
            self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        self.stack.setCurrentWidget(self.list if faces else self.empty)
        included = sum(f.included for f in faces)
        self.summary.setText(f"{len(faces)} face{'s' if len(faces) != 1 else ''} · {included} included"
                             if faces else "")
        if not 0 <= row < len(faces):
            self.face_selected.emit(None)

    def on_document_event(self, event: str, rect: object) -> None:
        if event == "faces":
            self.refresh()

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self.doc is None:
            return
        index = self.list.row(item)
        included = item.checkState() == Qt.CheckState.Checked
        if 0 <= index < len(self.doc.faces) and self.doc.faces[index].included != included:
            self.doc.set_face_included(index, included)

    def _on_row_changed(self, row: int) -> None:
        self.face_selected.emit(row if row >= 0 else None)
