"""Puts the anonymize feature into the window: the review dock, the Add Face box tool, the export and batch
dialogs, wired to the anonymize controller. The window only creates it; no logic lives here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import QObject, QPointF, QRectF, Qt

from editor.services.anonymize_service import AnonymizeResult

from ..canvas.tools import FaceBoxTool
from ..common import dialogs
from .controller import AnonymizeController
from .export_dialog import AnonymizeExportDialog
from .folder_dialog import BatchAnonymizeDialog
from .review_panel import AnonymizeReviewPanel

if TYPE_CHECKING:
    from ..main_window import MainWindow

REVIEW_WIDTH = 360         # room for a face's before and after side by side with its checks


class AnonymizeUi(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        a = window.commands
        self.controller = AnonymizeController(window.bridge, window.runner, window.face_panel.selected_indices,
                                              strength=lambda: window.setup.preferences.anonymize_strength)
        self.box_tool = FaceBoxTool(self.controller.add_face)
        self.review = AnonymizeReviewPanel(a.compare)
        self.review.setMinimumWidth(300)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.review, Qt.Orientation.Vertical)
        window.tabifyDockWidget(window.face_panel, self.review)
        self.review.hide()

        a.add_face.setIconText("Add Face")
        window.options.tool_group.addAction(a.add_face)     # one tool at a time; its button is in the Faces panel
        a.anonymize.triggered.connect(self.controller.anonymize)
        a.add_face.triggered.connect(lambda: window.canvas.set_tool(self.box_tool))
        a.export_anonymized.triggered.connect(self.export)
        a.batch_anonymize.triggered.connect(self.batch)
        window.face_panel.selection_changed.connect(self._show_targets)
        window.runner.busy_changed.connect(self.review.set_busy)

        c = self.controller
        c.status_message.connect(window.show_message)
        c.device_used.connect(window.status.show_device)
        c.review_started.connect(self._review_started)
        c.review_changed.connect(self._review_changed)
        c.review_ended.connect(self._review_ended)
        c.face_added.connect(window.face_panel.select_face)
        self.review.reroll_requested.connect(c.reroll)
        self.review.apply_requested.connect(c.apply)
        self.review.discard_requested.connect(c.discard)
        self.review.face_focused.connect(self._focus_face)
        window.bridge.changed.connect(self._on_document_event)
        self._show_targets([])

    def _on_document_event(self, event: str, rect: object) -> None:
        if event in ("history", "faces"):       # an apply, an undo or redo, new faces: states may change
            self.window.face_panel.set_states(self.controller.face_states())

    def _focus_face(self, index: int) -> None:
        """Highlight a face on the canvas, panning to it when it is out of view."""
        canvas, doc = self.window.canvas, self.window.doc
        canvas.set_highlighted_face(index)
        if doc is not None and 0 <= index < len(doc.faces):
            x, y, w, h = doc.faces[index].box
            if not canvas.visible_image_rect().contains(QRectF(x, y, w, h)):
                canvas.center_on(QPointF(x + w / 2, y + h / 2))

    def _show_targets(self, selected: list) -> None:
        n = len(selected)
        self.window.commands.anonymize.setText(
            "A&nonymize Faces" if not n else f"A&nonymize {n} Selected Face{'s' if n != 1 else ''}")

    def _review_started(self, result: AnonymizeResult) -> None:
        self.review.show_result(result)
        self.review.show()
        self.review.raise_()
        self.window.resizeDocks([self.review], [REVIEW_WIDTH], Qt.Orientation.Horizontal)
        self.window.canvas.set_preview(result.image)

    def _review_changed(self, result: AnonymizeResult, position: int) -> None:
        self.review.update_face(result, position)
        self.window.canvas.set_preview(result.image)

    def _review_ended(self, applied: bool) -> None:
        self.window.canvas.set_preview(None)
        self.review.hide()
        self.window.face_panel.raise_()
        if not applied:
            self.window.show_message("Anonymization discarded: the photo is unchanged.")

    def export_dialog_for_photo(self) -> Optional[AnonymizeExportDialog]:
        """The export dialog for the open photo, or None (after saying why) when no face is anonymized."""
        window, c = self.window, self.controller
        if window.doc is None:
            return None
        session = c.session
        result = session.export_result() if session is not None else None
        if result is None:
            dialogs.show_error(window, "No face of this photo is anonymized yet: run Faces › Anonymize Faces and "
                                       "Apply first.")
            return None
        dialog = AnonymizeExportDialog(window, window.vault, session, result,
                                       default_key=window.setup.preferences.default_key)
        dialog.exported.connect(lambda r: window.show_message(
            f"Exported {r.path.name} with {len(r.regions)} sealed face(s) for {r.key.describe()}."))
        return dialog

    def export(self) -> None:
        dialog = self.export_dialog_for_photo()
        if dialog is not None:
            dialog.exec()

    def batch(self) -> None:
        prefs = self.window.setup.preferences
        BatchAnonymizeDialog(self.window, self.window.vault, default_key=prefs.default_key,
                             strength=prefs.anonymize_strength).exec()
