"""Who the anonymize dialogs seal for: a keyholder from the OS keyring (a recipient's public key, your own key pair,
or a symmetric key), more keyholders with "Also seal for" (any one of them restores), "New key…" (`new_key`, a key
pair), and why the keyring cannot be used when it cannot."""

from __future__ import annotations

from typing import List, Optional

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QVBoxLayout, QWidget

from editor.core.errors import VeilError
from editor.services.vault_types import SEALS, SYMMETRIC, KeyInfo

from . import keys_dialog
from .keys_dialog import VaultJobDialog

KIND_SUFFIX = {SYMMETRIC: "symmetric key", "pair": "your key pair", "recipient": "recipient"}


def key_text(info: KeyInfo) -> str:
    return f"{info.label}  ({info.key_id[:8]}…, {KIND_SUFFIX.get(info.kind, info.kind)})"


class KeyPicker(QWidget):
    changed = Signal()
    new_key_requested = Signal()

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.keys: List[KeyInfo] = []
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(24)
        self.combo.setPlaceholderText("Reading the keyring…")
        self.combo.currentIndexChanged.connect(self._primary_changed)
        self.more_button = QToolButton()
        self.more_button.setText("Also seal for…")
        self.more_button.setToolTip("More keyholders, any one of whom can restore (public keys only)")
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_menu = QMenu(self.more_button)
        self.more_button.setMenu(self.more_menu)
        self.new_button = QPushButton("New key…")
        self.new_button.clicked.connect(self.new_key_requested)
        self.problem = QLabel()
        self.problem.setObjectName("keyringProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.more_button)
        row.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.problem)

    @property
    def key_id(self) -> Optional[str]:
        return self.combo.currentData()

    @property
    def extra_ids(self) -> List[str]:
        """The other keyholders ticked under "Also seal for" (none when the main choice is a symmetric key)."""
        return [a.data() for a in self.more_menu.actions() if a.isChecked() and a.isEnabled()]

    @property
    def usable(self) -> bool:
        """The keyring can be used (new keys may be created)."""
        return self.problem.isHidden()

    def show_keys(self, keys: List[KeyInfo] | VeilError, select: Optional[str] = None) -> None:
        """List the keys a photo can be sealed for (or show why the keyring cannot be used), selecting the one whose
        id or label is `select`."""
        if isinstance(keys, VeilError):
            self.problem.setText(str(keys))
            self.problem.show()
            # The keys arrive after the dialog was laid out: let it grow so the whole sentence shows.
            self.window().adjustSize()
            keys = []
        self.keys = [k for k in keys if k.kind in SEALS]
        self.combo.blockSignals(True)
        self.combo.clear()
        for info in self.keys:
            self.combo.addItem(key_text(info), info.key_id)
        chosen = [i for i, info in enumerate(self.keys) if select in (info.key_id, info.label)]
        # The only key is the obvious choice; among several, the user picks (sealing for a wrong key locks out).
        self.combo.setCurrentIndex(chosen[0] if chosen else 0 if len(self.keys) == 1 else -1)
        self.combo.blockSignals(False)
        self.combo.setPlaceholderText("Choose a recovery key" if self.keys else
                                      "No recovery key yet: import a keyholder's public key, or New key…"
                                      if self.usable else "The keyring cannot be used")
        self.more_menu.clear()
        for info in self.keys:
            if info.kind != SYMMETRIC:
                action = QAction(key_text(info), self.more_menu)
                action.setCheckable(True)
                action.setData(info.key_id)
                action.toggled.connect(self.changed)
                self.more_menu.addAction(action)
        self._primary_changed()

    def _primary_changed(self) -> None:
        """A symmetric key seals alone; other keyholders are offered beside any other choice, but not itself."""
        current = next((k for k in self.keys if k.key_id == self.key_id), None)
        alone = current is None or current.kind == SYMMETRIC
        for action in self.more_menu.actions():
            action.setEnabled(not alone and action.data() != self.key_id)
        self.more_button.setEnabled(not alone and len(self.more_menu.actions()) > 1)
        self.changed.emit()


def new_key(dialog: VaultJobDialog, picker: KeyPicker) -> None:
    """Ask for a label, create a key pair in the dialog's worker, and select it in `picker`."""
    label = keys_dialog.ask_key_label(dialog)
    if not label:
        return
    service = dialog.service

    def created(result) -> None:
        info, keys = result
        picker.show_keys(keys, info.key_id)
        dialog.status.setText(f"Created the recovery key pair {info.describe()}.")

    dialog.run_job("Creating the key pair", lambda ctx: (service.create_key_pair(label), service.list_keys()),
                   created)
