"""The editor window: puts the canvas, tool bar, face panel and status bar together and wires the actions.

No editing logic lives here: commands go to the document, edit and face controllers; work runs in the runner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMainWindow

from editor.core.document import Document
from editor.services.inpainting import FACE_AWARE_ENGINE, available_engines
from editor.services.vault_service import VaultService

from .actions import EDITING, VIEWING, Actions, build_menus, menu_sections
from .anonymize.feature import AnonymizeUi
from .canvas.canvas import Canvas
from .canvas.empty_state import EmptyState
from .canvas.estimate_notice import EstimateNotice
from .canvas.key_hold import KeyHoldFilter
from .canvas.navigator import NavigatorPanel
from .canvas.tool_options import ToolOptionsBar
from .canvas.tools import BrushSettings, BrushTool, EraserTool
from .common import dialogs
from .common.jobs import JobRunner
from .common.status import JobBar, StatusPanel
from .document.bridge import DocumentBridge
from .document.controller import DocumentController, display_name, dropped_photos
from .document.edit_controller import EditController
from .document.recent_files import RecentFiles
from .faces.controller import FaceController
from .faces.panel import FacePanel
from .settings.controller import SettingsController, sample_photo
from .unmask.controller import UnmaskController
from .unmask.folder_dialog import BatchUnmaskDialog
from .vault.keys_dialog import KeysDialog
from .vault.recover_controller import RecoverController
from .vault.seal_export_dialog import SealExportDialog

HARDNESS_STEP = 0.1
EXTRA_SHORTCUTS = (("Pan", "hold Space and drag, or drag with the middle button"),
                   ("Zoom about the pointer", "mouse wheel"))


class MainWindow(QMainWindow):
    def __init__(self, settings: Optional[QSettings] = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.setAcceptDrops(True)
        self.resize(1400, 900)

        self.commands = Actions(self)
        self.menus = build_menus(self.menuBar(), self.commands)
        self.menus["View"].addSeparator()
        self.brush_settings = BrushSettings()
        self.tools = {"brush": BrushTool(self.brush_settings), "eraser": EraserTool(self.brush_settings)}
        self.canvas = Canvas(self.brush_settings)
        self.canvas.set_tool(self.tools["brush"])
        self.setCentralWidget(self.canvas)
        self.canvas.set_empty_state(EmptyState(self.commands.open, self.commands.sample))
        self.estimate_notice = EstimateNotice(self.canvas)
        self.options = ToolOptionsBar(self.commands, self.brush_settings, available_engines(), FACE_AWARE_ENGINE)
        self.addToolBar(self.options)
        self.navigator = NavigatorPanel(self.canvas)
        self.face_panel = FacePanel(self.commands)
        self.face_panel.setMinimumWidth(270)
        for dock in (self.navigator, self.face_panel):
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock, Qt.Orientation.Vertical)
            self.menus["View"].addAction(dock.toggleViewAction())
        self.resizeDocks([self.navigator, self.face_panel], [240, 560], Qt.Orientation.Vertical)

        self.runner = JobRunner(self)
        self.job_bar = JobBar(self.runner)
        self.statusBar().addWidget(self.job_bar)
        self.status = StatusPanel(self.statusBar())
        self.bridge = DocumentBridge()
        self.recent = RecentFiles(self.settings)
        self.documents = DocumentController(self, self.bridge, self.runner, self.recent)
        self.edits = EditController(self.bridge, self.runner, self.canvas,
                                    radius=lambda: self.options.radius, engine=lambda: self.options.engine)
        self.faces = FaceController(self.bridge, self.runner)
        self.unmask = UnmaskController(self, self.bridge, self.runner, self.canvas)
        self.setup = SettingsController(self, self.settings, self.brush_settings, self.recent, self.statusBar())
        self.vault = VaultService()
        self.recovery = RecoverController(self, self.vault, self.runner, self.commands.recover)

        self._connect_actions()
        self._connect_signals()
        self._hold_keys = KeyHoldFilter(self, {Qt.Key.Key_Space: self.canvas.set_pan_key,
                                               Qt.Key.Key_Backslash: self._hold_compare})
        QApplication.instance().installEventFilter(self._hold_keys)
        self.anonymizer = AnonymizeUi(self)       # review dock, Add Face tool, export and batch dialogs
        self._restore_layout()
        self.anonymizer.review.hide()             # its saved place is restored, but no review is pending
        self._on_document_replaced(None)

    # -- wiring ----------------------------------------------------------------------------------------------
    def _connect_actions(self) -> None:
        a, s = self.commands, self.brush_settings
        handlers = {
            "open": self.documents.open_dialog, "save": self.documents.save, "save_as": self.documents.save_as,
            "export": self.documents.export, "quit": self.close,
            "seal_export": self._seal_export, "keys": lambda: KeysDialog(self, self.vault).exec(),
            "batch_unmask": lambda: BatchUnmaskDialog(self).exec(),
            "undo": self.edits.undo, "redo": self.edits.redo,
            "brush": lambda: self.canvas.set_tool(self.tools["brush"]),
            "eraser": lambda: self.canvas.set_tool(self.tools["eraser"]),
            "brush_smaller": s.smaller, "brush_larger": s.bigger,
            "brush_softer": lambda: s.set_hardness(s.hardness - HARDNESS_STEP),
            "brush_harder": lambda: s.set_hardness(s.hardness + HARDNESS_STEP),
            "clear_mask": lambda: self.edits.mask_op("clear"), "invert_mask": lambda: self.edits.mask_op("invert"),
            "grow_mask": lambda: self.edits.mask_op("grow"), "shrink_mask": lambda: self.edits.mask_op("shrink"),
            "feather_mask": lambda: self.edits.mask_op("feather"),
            "mask_faces": self.faces.mask_selected, "inpaint": self.edits.inpaint,
            "detect_faces": self.faces.detect, "remove_face_masks": self.unmask.remove_face_masks,
            "remove_face_mask_reference": self.unmask.choose_reference_and_run,
            "zoom_in": self.canvas.zoom_in, "zoom_out": self.canvas.zoom_out, "zoom_fit": self.canvas.zoom_fit,
            "zoom_actual": self.canvas.zoom_actual,
            "shortcuts": lambda: dialogs.show_shortcuts(self, menu_sections(a), EXTRA_SHORTCUTS),
            "settings": lambda: self.setup.open_settings(self.vault), "about": self.setup.open_about,
            "sample": self.open_sample,
        }
        for name, handler in handlers.items():
            a[name].triggered.connect(lambda _=False, fn=handler: fn())
        a.compare.toggled.connect(self.canvas.set_show_original)
        recent_menu = self.menus["Open Recent"]
        recent_menu.aboutToShow.connect(self._fill_recent_menu)

    def _connect_signals(self) -> None:
        self.bridge.document_replaced.connect(self._on_document_replaced)
        self.bridge.changed.connect(self.canvas.on_document_event)
        self.bridge.changed.connect(self.face_panel.on_document_event)
        self.bridge.changed.connect(self.navigator.view.on_document_event)
        self.bridge.changed.connect(self._on_document_event)
        self.bridge.changed.connect(self.estimate_notice.on_document_event)
        self.bridge.document_replaced.connect(lambda doc: self.recovery.check(doc.path if doc else None))
        self.recovery.recovered.connect(self.documents.open_path)
        self.face_panel.face_selected.connect(self.canvas.set_highlighted_face)
        self.canvas.view_changed.connect(self.status.show_zoom)
        self.canvas.cursor_moved.connect(self.status.show_cursor)
        self.runner.busy_changed.connect(self._on_busy_changed)
        for source in (self.runner, self.documents, self.edits, self.faces, self.recovery, self.unmask):
            source.status_message.connect(self.show_message)
        for source in (self.edits, self.faces, self.unmask):
            source.device_used.connect(self.status.show_device)
        self.recent.pruned.connect(lambda gone: self.show_message(
            f"Removed {len(gone)} missing photo{'s' if len(gone) != 1 else ''} from Open Recent."))

    def _fill_recent_menu(self) -> None:
        self.recent.prune()
        self.recent.populate(self.menus["Open Recent"], self.documents.open_path)

    def _seal_export(self) -> None:
        dialog = SealExportDialog(self, self.vault, self.doc, default_key=self.setup.preferences.default_key)
        dialog.sealed.connect(lambda r: self.show_message(
            f"Exported {r.path.name} with {len(r.regions)} sealed region(s) for {r.key.describe()}."))
        dialog.exec()

    def _hold_compare(self, held: bool) -> None:
        self.canvas.set_show_original(held or self.commands.compare.isChecked())

    # -- state -----------------------------------------------------------------------------------------------
    @property
    def doc(self) -> Optional[Document]:
        return self.bridge.doc

    def open(self, path: str | Path) -> None:
        self.documents.open_path(path)

    def open_sample(self) -> None:
        path = sample_photo()
        if path is None:
            self.show_message("The sample photo is not part of this installation.")
        else:
            self.open(path)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    def _on_document_replaced(self, doc: Optional[Document]) -> None:
        self.canvas.set_document(doc)
        self.estimate_notice.set_document(doc)
        self.navigator.view.update()
        self.face_panel.set_document(doc)
        self.status.show_document(doc)
        if doc is not None:
            self.status.show_zoom(self.canvas.scale)
        self._update_title()
        self._update_enabled()

    def _on_document_event(self, event: str, rect: object) -> None:
        if event in ("history", "path"):
            self._update_title()
            self._update_enabled()
        elif event == "faces":
            self._update_enabled()

    def _on_busy_changed(self, busy: bool) -> None:
        self.canvas.set_read_only(busy)
        self._update_enabled()

    def _update_title(self) -> None:
        doc = self.doc
        self.setWindowTitle(f"{display_name(doc)}{'*' if doc.dirty else ''} — Veil" if doc else "Veil")

    def _update_enabled(self) -> None:
        doc, busy = self.doc, self.runner.busy
        editable = doc is not None and not busy
        self.commands.set_enabled(EDITING, editable)
        self.commands.set_enabled(VIEWING, doc is not None)
        self.commands.open.setEnabled(not busy)
        self.commands.sample.setEnabled(not busy)
        self.menus["Open Recent"].setEnabled(not busy)
        if editable:
            self.commands.undo.setEnabled(doc.history.can_undo)
            self.commands.redo.setEnabled(doc.history.can_redo)
            self.commands.mask_faces.setEnabled(any(f.included for f in doc.faces))
            undo, redo = doc.history.undo_label, doc.history.redo_label
            self.commands.undo.setText(f"&Undo {undo}" if undo else "&Undo")
            self.commands.redo.setText(f"&Redo {redo}" if redo else "&Redo")

    # -- window events -----------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_photos(event.mimeData()) and not self.runner.busy:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_photos(event.mimeData())
        if not paths or self.runner.busy:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open(paths[0])

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.documents.request_close(then=self.close):
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.runner.shutdown()          # cancel and wait: a worker is never killed mid-write
        self.setup.shutdown()
        QApplication.instance().removeEventFilter(self._hold_keys)
        event.accept()

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)
