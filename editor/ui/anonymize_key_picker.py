"""The recovery key row of the anonymize dialogs: the OS keyring's keys, "New key…" (`new_key`), and why the keyring
cannot be used when it cannot."""

from __future__ import annotations

from typing import List, Optional

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from editor.core.errors import VeilError
from editor.vault.keystore import KeyInfo

from . import keys_dialog
from .keys_dialog import VaultJobDialog


class KeyPicker(QWidget):
    changed = Signal()
    new_key_requested = Signal()

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(24)
        self.combo.setPlaceholderText("Reading the keyring…")
        self.combo.currentIndexChanged.connect(self.changed)
        self.new_button = QPushButton("New key…")
        self.new_button.clicked.connect(self.new_key_requested)
        self.problem = QLabel()
        self.problem.setObjectName("keyringProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.problem)

    @property
    def key_id(self) -> Optional[str]:
        return self.combo.currentData()

    @property
    def usable(self) -> bool:
        """The keyring can be used (new keys may be created)."""
        return self.problem.isHidden()

    def show_keys(self, keys: List[KeyInfo] | VeilError, select: Optional[str] = None) -> None:
        """List `keys` (or show why the keyring cannot be used), selecting the one whose id or label is `select`."""
        if isinstance(keys, VeilError):
            self.problem.setText(str(keys))
            self.problem.show()
            # The keys arrive after the dialog was laid out: let it grow so the whole sentence shows.
            self.window().adjustSize()
            keys = []
        self.combo.clear()
        for info in keys:
            self.combo.addItem(f"{info.label}  ({info.key_id[:8]}…)", info.key_id)
        chosen = [i for i, info in enumerate(keys) if select in (info.key_id, info.label)]
        # The only key is the obvious choice; among several, the user picks (sealing for a wrong key locks out).
        self.combo.setCurrentIndex(chosen[0] if chosen else 0 if len(keys) == 1 else -1)
        self.combo.setPlaceholderText("Choose a recovery key" if keys else
                                      "No recovery key yet: create one with New key…" if self.usable else
                                      "The keyring cannot be used")
        self.changed.emit()


def new_key(dialog: VaultJobDialog, picker: KeyPicker) -> None:
    """Ask for a label, create the key in the dialog's worker, and select it in `picker`."""
    label = keys_dialog.ask_key_label(dialog)
    if not label:
        return
    service = dialog.service

    def created(result) -> None:
        info, keys = result
        picker.show_keys(keys, info.key_id)
        dialog.status.setText(f"Created the recovery key {info.describe()}.")

    dialog.run_job("Creating the key", lambda ctx: (service.create_key(label), service.list_keys()), created)
