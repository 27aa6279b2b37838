"""The one widget that picks a recovery key, in every dialog that asks for one (export anonymized, Anonymize Folder,
Export with Sealed Originals, Settings' default key): a keyholder from the OS keyring (a recipient's public key,
your own key pair, or a symmetric key), more keyholders with "Also seal for" (any one of them restores), "New key…"
(`new_key`, a key pair), and why the keyring cannot be used when it cannot."""

from __future__ import annotations

from typing import List, Optional

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QVBoxLayout, QWidget

from editor.core.errors import VeilError
from editor.services.vault_types import SEALS, SYMMETRIC, KeyInfo

from ..common.job_dialog import JobDialog
from . import keys_dialog

KIND_SUFFIX = {SYMMETRIC: "symmetric key", "pair": "your key pair", "recipient": "recipient"}


def key_text(info: KeyInfo) -> str:
    return f"{info.label}  ({info.key_id[:8]}…, {KIND_SUFFIX.get(info.kind, info.kind)})"


class KeyPicker(QWidget):
    """A list of the keys a photo can be sealed for, with optional parts: `more_keyholders` ("Also seal for…"),
    `new_key` (the "New key…" button, which emits `new_key_requested`), and `none_text`, a first entry that picks no
    key (Settings' "Ask each time")."""

    changed = Signal()
    new_key_requested = Signal()

    def __init__(self, parent: Optional[QWidget] = None, *, more_keyholders: bool = True, new_key: bool = True,
                 none_text: Optional[str] = None) -> None:
        super().__init__(parent)
        self.keys: List[KeyInfo] = []
        self.none_text = none_text
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(24)
        self.combo.setPlaceholderText("Reading the keyring…")
        if none_text is not None:
            self.combo.addItem(none_text, None)
            # Off until the keyring has been read: a choice made before would replace the stored one with "none".
            self.combo.setEnabled(False)
        self.combo.currentIndexChanged.connect(self._primary_changed)
        self.more_button = QToolButton()
        self.more_button.setText("Also seal for…")
        self.more_button.setToolTip("More keyholders, any one of whom can restore (public keys only)")
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_menu = QMenu(self.more_button)
        self.more_button.setMenu(self.more_menu)
        self.more_button.setVisible(more_keyholders)
        self.new_button = QPushButton("New key…")
        self.new_button.clicked.connect(self.new_key_requested)
        self.new_button.setVisible(new_key)
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
        if self.none_text is not None:
            self.combo.addItem(self.none_text, None)
            self.combo.setEnabled(bool(keys))
        for info in self.keys:
            self.combo.addItem(key_text(info), info.key_id)
        first = 0 if self.none_text is None else 1
        chosen = [first + i for i, info in enumerate(self.keys) if select in (info.key_id, info.label)]
        # The only key is the obvious choice; among several, the user picks (sealing for a wrong key locks out).
        # With a "none" entry, that entry stands until the user picks a key.
        fallback = 0 if self.none_text is not None or len(self.keys) == 1 else -1
        self.combo.setCurrentIndex(chosen[0] if chosen else fallback)
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


def new_key(dialog: JobDialog, picker: KeyPicker) -> None:
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
