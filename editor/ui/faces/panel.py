"""Faces dock: one row per detected face (include checkbox, thumbnail, score, flags) and the face commands."""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QDockWidget, QLabel, QListWidget, QListWidgetItem, QSizePolicy,
                               QStackedWidget, QToolButton, QVBoxLayout, QWidget)

from editor.core.document import Document
from editor.core.faces import Face
from editor.core.geometry import Rect

from ..actions import Actions

THUMB = 56
FACE_ROLE = Qt.ItemDataRole.UserRole
THUMB_MARGIN = 1.3          # the thumbnail shows the face box grown by this factor


def thumbnail_rect(face: Face, width: int, height: int) -> Rect:
    """The part of the photo a face's thumbnail shows."""
    x, y, w, h = face.box
    side = max(w, h) * THUMB_MARGIN
    cx, cy = x + w / 2, y + h / 2
    return Rect(int(max(0, cx - side / 2)), int(max(0, cy - side / 2)),
                int(min(width, cx + side / 2)), int(min(height, cy + side / 2)))


def face_thumbnail(image: np.ndarray, face: Face, size: int = THUMB) -> QPixmap:
    """A square crop around the face with some margin, scaled to `size` (a copy: the photo may change)."""
    crop = np.ascontiguousarray(image[thumbnail_rect(face, image.shape[1], image.shape[0]).slices])
    if crop.size == 0:
        return QPixmap(size, size)
    qimg = QImage(crop.data, crop.shape[1], crop.shape[0], crop.strides[0], QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimg.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation))


def describe(index: int, face: Face, state: str = "") -> str:
    """Three short lines: name (whether it is excluded, its anonymization `state`), score, landmarks and flags."""
    title = f"Face {index + 1}" + ("" if face.included else " (excluded)") + (f" · {state}" if state else "")
    marks = "68 landmarks" if face.landmarks68 is not None else "no landmarks"
    flags = [f.replace("-", " ") for f in face.flags]
    return "\n".join([title, f"score {face.score:.2f}", " · ".join([marks, *(f for f in flags if f != marks)])])


class FacePanel(QDockWidget):
    face_selected = Signal(object)          # index or None
    selection_changed = Signal(list)        # the selected rows (face indices), in order

    def __init__(self, actions: Actions, parent: Optional[QWidget] = None) -> None:
        super().__init__("Faces", parent)
        self.setObjectName("facePanel")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.doc: Optional[Document] = None
        self.states: dict[int, str] = {}        # face index -> "anonymized" / "flagged", shown after its name

        self.summary = QLabel()
        self.summary.setObjectName("panelSummary")
        self.list = QListWidget()
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setSpacing(2)
        self.list.setUniformItemSizes(True)
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Ctrl/Shift-click picks several faces for the face commands; a click on empty space picks none (= all).
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.itemSelectionChanged.connect(lambda: self.selection_changed.emit(self.selected_indices()))
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
        for name in ("detect_faces", "add_face", "mask_faces", "remove_face_masks", "anonymize"):
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
            item = QListWidgetItem(QIcon(face_thumbnail(self.doc.image, face)),
                                   describe(i, face, self.states.get(i, "")))
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

    def set_states(self, states: dict[int, str]) -> None:
        """Show each face's anonymization state (faces not in `states` show none)."""
        if states != self.states:
            self.states = dict(states)
            self.refresh()

    def selected_indices(self) -> list[int]:
        return sorted(self.list.row(item) for item in self.list.selectedItems())

    def select_face(self, index: int) -> None:
        """Make face `index` the current and only selected row, scrolled into view."""
        self.list.setCurrentRow(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.list.scrollToItem(self.list.item(index))

    def on_document_event(self, event: str, rect: object) -> None:
        if event == "faces":
            self.refresh()
        elif event == "image" and self.doc is not None:
            self.refresh_thumbnails(rect if isinstance(rect, Rect) else None)

    def refresh_thumbnails(self, changed: Optional[Rect] = None) -> None:
        """Redraw the thumbnails that show any of `changed` (all when None): a fill or an anonymized face."""
        for i, face in enumerate(self.doc.faces[: self.list.count()]):
            if changed is None or not thumbnail_rect(face, self.doc.width, self.doc.height).intersect(changed).empty:
                self.list.item(i).setIcon(QIcon(face_thumbnail(self.doc.image, face)))

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self.doc is None:
            return
        index = self.list.row(item)
        included = item.checkState() == Qt.CheckState.Checked
        if 0 <= index < len(self.doc.faces) and self.doc.faces[index].included != included:
            self.doc.set_face_included(index, included)

    def _on_row_changed(self, row: int) -> None:
        self.face_selected.emit(row if row >= 0 else None)
