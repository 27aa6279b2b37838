"""Every modal question and message the window asks or shows, one function each.

Controllers call these through the module (`dialogs.show_error(...)`), so a test replaces one function to read
what the user would have seen instead of driving a modal box.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional, Sequence, Tuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QHeaderView, QLineEdit, QMessageBox, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from editor.core.errors import VeilError
from editor.core.files import same_file
from editor.core.image_io import SAVE_EXTENSIONS, format_for_path

from ..settings.preferences import EXPORT_PROFILES, STRENGTH_LABELS, Preferences


def _name_filter() -> str:
    patterns = " ".join(f"*{ext}" for ext in SAVE_EXTENSIONS)
    return f"Images ({patterns});;All files (*)"


def show_error(parent: Optional[QWidget], message: str, details: Optional[str] = None) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, "Veil", message, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.exec()


def export_path(parent: Optional[QWidget], text: str, original: Optional[Path]) -> Optional[Path]:
    """The export file named by `text`, or None after telling the user why it cannot be used (an unknown format,
    or the open photo itself: an export never overwrites the original)."""
    path = Path(text.strip()).expanduser()
    try:
        format_for_path(path)
    except VeilError as e:
        show_error(parent, str(e))
        return None
    if original is not None and same_file(path, original):
        show_error(parent, f"Exporting to {path.name} would overwrite the original photo; choose another file name.")
        return None
    return path


def path_row(edit: QLineEdit, on_browse) -> Tuple[QHBoxLayout, QPushButton]:
    """A path field with its Browse… button beside it (the export and batch dialogs)."""
    browse = QPushButton("Browse…")
    browse.clicked.connect(on_browse)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(browse)
    return row, browse


def strength_combo(current: str, tooltip: str) -> QComboBox:
    """The anonymize strength picker (Settings and the batch dialog), set to `current`; its data is the level."""
    combo = QComboBox()
    for key, text in STRENGTH_LABELS.items():
        combo.addItem(text, key)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.setToolTip(tooltip)
    return combo


def ask_save_changes(parent: Optional[QWidget], name: str) -> str:
    """'save', 'discard' or 'cancel' for a document with unsaved edits."""
    box = QMessageBox(QMessageBox.Icon.Question, "Veil", f"Save the changes to {name} before closing it?",
                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                      | QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText("Your edits are lost if you don't save them.")
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    answer = box.exec()
    return {QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")


def ask_open_path(parent: Optional[QWidget], start_dir: str = "", title: str = "Open photo") -> Optional[str]:
    path, _ = QFileDialog.getOpenFileName(parent, title, start_dir, _name_filter())
    return path or None


def ask_save_path(parent: Optional[QWidget], suggested: str, title: str = "Save photo as") -> Optional[str]:
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, _name_filter())
    return path or None


class ExportDialog(QDialog):
    """File name and metadata profile for Export."""

    def __init__(self, parent: Optional[QWidget], suggested: str, profile: str = EXPORT_PROFILES[0][0]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.path_edit = QLineEdit(suggested)
        self.path_edit.setMinimumWidth(360)
        row, _ = path_row(self.path_edit, self._browse)
        self.profile = QComboBox()
        for key, text in EXPORT_PROFILES:
            self.profile.addItem(text, key)
        self.profile.setCurrentIndex(max(0, self.profile.findData(profile)))
        form = QFormLayout()
        form.addRow("File:", row)
        form.addRow("Metadata:", self.profile)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        path = ask_save_path(self, self.path_edit.text(), "Export to")
        if path:
            self.path_edit.setText(path)


def ask_export(parent: Optional[QWidget], suggested: str) -> Optional[Tuple[str, str]]:
    """(path, profile) chosen for Export, or None when cancelled; the profile starts at the one the user chose
    last (kept by the window's Preferences)."""
    prefs = parent.findChild(Preferences) if parent is not None else None
    dlg = ExportDialog(parent, suggested, prefs.export_profile if prefs is not None else EXPORT_PROFILES[0][0])
    if dlg.exec() != QDialog.DialogCode.Accepted or not dlg.path_edit.text().strip():
        return None
    return str(Path(dlg.path_edit.text().strip()).expanduser()), dlg.profile.currentData()


def shortcut_rows(actions: Iterable[QAction]) -> list[Tuple[str, str]]:
    """(action, keys) for every action with a shortcut, in menu order; hold-keys come from the action's data."""
    rows = []
    for action in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        hold = action.property("holdKey")
        if hold:
            keys.append(f"hold {hold}")
        if keys:
            rows.append((action.text().replace("&", "").rstrip("…").rstrip("."), ", ".join(keys)))
    return rows


def show_shortcuts(parent: Optional[QWidget], sections: Sequence[Tuple[str, Sequence[QAction]]],
                   extra: Iterable[Tuple[str, str]]) -> None:
    """Every shortcut, grouped by menu, generated from the actions so it can never go stale."""
    groups = [(title, shortcut_rows(acts)) for title, acts in sections]
    groups = [(title, rows) for title, rows in groups if rows] + [("Canvas", list(extra))]
    table = QTableWidget(sum(len(rows) + 1 for _, rows in groups), 2)
    table.horizontalHeader().hide()
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(24)
    table.setShowGrid(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    bold = QFont(table.font())
    bold.setBold(True)
    row = 0
    for title, rows in groups:
        header = QTableWidgetItem(title)
        header.setFont(bold)
        table.setItem(row, 0, header)
        table.setSpan(row, 0, 1, 2)
        row += 1
        for name, keys in rows:
            table.setItem(row, 0, QTableWidgetItem(f"    {name}"))
            table.setItem(row, 1, QTableWidgetItem(keys))
            row += 1
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    dlg = QDialog(parent)
    dlg.setWindowTitle("Keyboard shortcuts")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dlg.reject)
    layout = QVBoxLayout(dlg)
    layout.addWidget(table)
    layout.addWidget(buttons)
    dlg.resize(540, 720)
    dlg.exec()
