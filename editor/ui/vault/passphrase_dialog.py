"""Passphrase prompts for recovery key files: a new passphrase typed twice, or one to open a received file.

The key file's real checks (minimum length, the scrypt work) happen in the vault service; this dialog only keeps
OK disabled until the answer can pass them, and says why. Callers use the module functions, so a test can replace
one to answer without a modal box.
"""

from __future__ import annotations

import unicodedata
from typing import Optional, Tuple

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget)

from editor.services.vault_types import MIN_PASSPHRASE


def passphrase_length(text: str) -> int:
    """Length as the vault counts it (NFC), so 'é' typed as e + accent is one character here too."""
    return len(unicodedata.normalize("NFC", text))


class PassphraseDialog(QDialog):
    """One passphrase field, plus a repeat field (`confirm`) and an optional new label (`with_label`)."""

    def __init__(self, parent: Optional[QWidget], title: str, message: str, *, confirm: bool,
                 min_length: int = 1, with_label: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._min_length = min_length
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setMinimumWidth(320)
        self.repeat_edit: Optional[QLineEdit] = None
        self.label_edit: Optional[QLineEdit] = None
        intro = QLabel(message)
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Passphrase:", self.passphrase_edit)
        if confirm:
            self.repeat_edit = QLineEdit()
            self.repeat_edit.setEchoMode(QLineEdit.EchoMode.Password)
            form.addRow("Repeat:", self.repeat_edit)
        if with_label:
            self.label_edit = QLineEdit()
            self.label_edit.setPlaceholderText("keep the label in the file")
            form.addRow("Label (optional):", self.label_edit)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        for edit in (self.passphrase_edit, self.repeat_edit):
            if edit is not None:
                edit.textChanged.connect(self._validate)
        self._validate()

    @property
    def ok_button(self):
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    @property
    def passphrase(self) -> str:
        return self.passphrase_edit.text()

    @property
    def label(self) -> str:
        return self.label_edit.text().strip() if self.label_edit is not None else ""

    def problem(self) -> Optional[str]:
        """Why OK is disabled, or None when the answer can be used."""
        typed = passphrase_length(self.passphrase)
        if typed < self._min_length:
            if self._min_length == 1:
                return "Type the passphrase the key file was protected with."
            return f"Use at least {self._min_length} characters ({typed} so far); a few words make a good one."
        if self.repeat_edit is not None and self.repeat_edit.text() != self.passphrase:
            return "Type the same passphrase again in Repeat."
        return None

    def _validate(self) -> None:
        problem = self.problem()
        self.hint.setText(problem or "")
        self.ok_button.setEnabled(problem is None)


def ask_new_passphrase(parent: Optional[QWidget], key_description: str) -> Optional[str]:
    """A passphrase (typed twice, at least the vault's minimum length) to protect an exported key, or None."""
    dlg = PassphraseDialog(
        parent, "Protect the key file",
        f"Choose a passphrase for the exported key {key_description}. Give it to the other keyholder by another "
        "channel than the file (say it, don't mail it).",
        confirm=True, min_length=MIN_PASSPHRASE)
    return dlg.passphrase if dlg.exec() == QDialog.DialogCode.Accepted else None


def ask_passphrase(parent: Optional[QWidget], file_name: str) -> Optional[Tuple[str, str]]:
    """(passphrase, new label or "") to import the key file `file_name`, or None when cancelled."""
    dlg = PassphraseDialog(parent, "Import a recovery key",
                           f"Type the passphrase that protects {file_name}.", confirm=False, with_label=True)
    return (dlg.passphrase, dlg.label) if dlg.exec() == QDialog.DialogCode.Accepted else None
