"""Recovery keys: list every kind (key pairs, recipients' public keys, trusted sealers, your signing key, symmetric
keys), create a key pair, share a public key, import a key file or a public key, trust a sealer, export, delete.

Every keyring and scrypt call runs in a worker (scrypt alone takes ~0.35 s), so the dialog never blocks. Prompts
go through the module functions below (and passphrase_dialog's), so a test answers them without a modal box.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable, List, Optional

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QAbstractItemView, QDialogButtonBox, QFileDialog, QHBoxLayout, QHeaderView,
                               QInputDialog, QLabel, QMessageBox, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from editor.core.errors import VeilError
from editor.services.vault_service import VaultService
from editor.services.vault_types import PAIR, RECIPIENT, SEALER, SIGNING, SYMMETRIC, KeyInfo

from ..common.job_dialog import JobDialog
from . import passphrase_dialog

KEY_FILE_SUFFIX = ".veilkey"
KEY_FILE_FILTER = f"Veil recovery keys (*{KEY_FILE_SUFFIX});;All files (*)"
PUBLIC_SUFFIX = ".veilpub"
PUBLIC_FILTER = f"Veil public keys (*{PUBLIC_SUFFIX});;All files (*)"
IMPORT_FILTER = f"Veil keys (*{KEY_FILE_SUFFIX} *{PUBLIC_SUFFIX});;All files (*)"
KIND_LABELS = {SYMMETRIC: "symmetric key", PAIR: "key pair", RECIPIENT: "recipient (public key)",
               SEALER: "trusted sealer", SIGNING: "your signing key"}


# -- prompts (replaceable in tests) ----------------------------------------------------------------------------------
def ask_key_label(parent: Optional[QWidget]) -> Optional[str]:
    text, ok = QInputDialog.getText(parent, "New recovery key",
                                    'Label for the new key (who holds it, e.g. "HR team"):')
    return text.strip() if ok and text.strip() else None


def ask_export_path(parent: Optional[QWidget], suggested: str) -> Optional[str]:
    path, _ = QFileDialog.getSaveFileName(parent, "Export recovery key to", suggested, KEY_FILE_FILTER)
    return path or None


def ask_import_path(parent: Optional[QWidget], start_dir: str) -> Optional[str]:
    path, _ = QFileDialog.getOpenFileName(parent, "Import a key file or a keyholder's public key", start_dir,
                                          IMPORT_FILTER)
    return path or None


def ask_public_path(parent: Optional[QWidget], suggested: str) -> Optional[str]:
    path, _ = QFileDialog.getSaveFileName(parent, "Save the public key as", suggested, PUBLIC_FILTER)
    return path or None


def ask_sealer_path(parent: Optional[QWidget], start_dir: str) -> Optional[str]:
    path, _ = QFileDialog.getOpenFileName(parent, "Trust the sealer whose public key is in", start_dir,
                                          PUBLIC_FILTER)
    return path or None


def safe_file_stem(label: str, fallback: str) -> str:
    return "".join(c if c.isalnum() or c in "-_ " else "_" for c in label).strip() or fallback


def confirm_delete(parent: Optional[QWidget], info: KeyInfo) -> bool:
    box = QMessageBox(QMessageBox.Icon.Warning, "Delete recovery key",
                      f"Delete the recovery key {info.describe()} from your keyring?",
                      QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText({
        RECIPIENT: "You can no longer seal for this keyholder until you import their public key again.",
        SEALER: "Photos this sealer signs will show as sealed by an unknown sealer.",
        SIGNING: "Your next seal makes a new signing key, which keyholders must trust again.",
    }.get(info.kind, "Photos sealed with this key can no longer be recovered by you, unless you exported the key "
                     "or another keyholder has it. This cannot be undone."))
    delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is delete


def created_text(created: str) -> str:
    """An ISO time from the keyring as local 'YYYY-MM-DD HH:MM' (unparsable text is shown as it is)."""
    try:
        return datetime.fromisoformat(created).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return created


def keys_or_error(service: VaultService) -> List[KeyInfo] | VeilError:
    """The keyring's keys, or the reason it cannot be read, as a value: the dialog shows it in place."""
    try:
        service.keys.backend     # refuses an insecure keyring even while no key is indexed (list_keys would not)
        return service.list_keys()
    except VeilError as e:
        return e


# -- the keys dialog --------------------------------------------------------------------------------------------------
class KeysDialog(JobDialog):
    """The keyring's recovery keys (label, id, created) and the commands on them."""

    def __init__(self, parent: Optional[QWidget], service: VaultService) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recovery keys")
        self.service = service
        self.keys: List[KeyInfo] = []
        self.read_only = False
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setObjectName("keyringProblem")
        self.banner.hide()
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Label", "Id", "Kind", "Created"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self.update_enabled)

        self.create_button = QPushButton("Create…")
        self.export_button = QPushButton("Export…")
        self.import_button = QPushButton("Import…")
        self.delete_button = QPushButton("Delete")
        self.public_button = QPushButton("Public key…")
        self.trust_button = QPushButton("Trust sealer…")
        self.sealer_button = QPushButton("My signing key…")
        self.create_button.setToolTip("Make a new recovery key pair in your keyring (you become its keyholder)")
        self.export_button.setToolTip("Write the selected key pair or symmetric key to a passphrase-protected file")
        self.import_button.setToolTip("Add a key file another keyholder exported, or a keyholder's public key "
                                      "(a recipient you can seal for)")
        self.public_button.setToolTip("Save the selected key's public key for privacy staff (or keyholders) to "
                                      "import; compare its fingerprint by phone")
        self.trust_button.setToolTip("Pin a sealer's signing key, so photos it seals say who sealed them")
        self.sealer_button.setToolTip("Save the public key you sign your seals with, for keyholders to trust")
        self.delete_button.setToolTip("Remove the selected key from your keyring")
        self.create_button.clicked.connect(self.create_key)
        self.export_button.clicked.connect(self.export_key)
        self.import_button.clicked.connect(self.import_key)
        self.public_button.clicked.connect(self.export_public)
        self.trust_button.clicked.connect(self.trust_sealer)
        self.sealer_button.clicked.connect(self.export_sealer)
        self.delete_button.clicked.connect(self.delete_key)
        side = QVBoxLayout()
        for button in (self.create_button, self.import_button, self.export_button, self.public_button,
                       self.trust_button, self.sealer_button, self.delete_button):
            side.addWidget(button)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.table, 1)
        row.addLayout(side)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(row, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self.resize(760, 360)
        self.refresh()

    # -- state -------------------------------------------------------------------------------------------------------
    def selected_key(self) -> Optional[KeyInfo]:
        rows = self.table.selectionModel().selectedRows()
        return self.keys[rows[0].row()] if rows else None

    def update_enabled(self) -> None:
        free = not self.busy and not self.read_only
        selected = self.selected_key()
        for button in (self.create_button, self.import_button, self.trust_button, self.sealer_button):
            button.setEnabled(free)
        self.export_button.setEnabled(free and selected is not None and selected.kind in (SYMMETRIC, PAIR))
        self.public_button.setEnabled(free and selected is not None and selected.kind != SYMMETRIC)
        self.delete_button.setEnabled(free and selected is not None)

    def refresh(self) -> None:
        service = self.service
        self.run_job("Reading the keyring", lambda ctx: keys_or_error(service), self._show_keys)

    def _show_keys(self, keys: List[KeyInfo] | VeilError, select: Optional[str] = None) -> None:
        if isinstance(keys, VeilError):
            self.read_only = True
            self.banner.setText(str(keys))
            self.banner.show()
            keys = []
        self.keys = list(keys)
        self.table.setRowCount(len(self.keys))
        for row, info in enumerate(self.keys):
            for col, text in enumerate((info.label, info.key_id, KIND_LABELS[info.kind], created_text(info.created))):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if col == 1:
                    item.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
                self.table.setItem(row, col, item)
            if info.key_id == select:
                self.table.selectRow(row)
        self.update_enabled()

    def _after_change(self, message: str, select: Optional[str] = None) -> Callable[[Any], None]:
        """on_done for a job returning (info, keys): show the new list and say what happened."""
        def done(result: Any) -> None:
            info, keys = result
            self._show_keys(keys, select=select or info.key_id)
            self.status.setText(message.format(key=info.describe()))
        return done

    # -- commands --------------------------------------------------------------------------------------------------
    def create_key(self) -> None:
        label = ask_key_label(self)
        if not label:
            return
        service = self.service
        self.run_job("Creating the key pair", lambda ctx: (service.create_key_pair(label), service.list_keys()),
                     self._after_change("Created the recovery key pair {key}: give its public key (Public key…) "
                                        "to privacy staff, and export it for safekeeping so sealed photos survive "
                                        "the loss of this computer."))

    def export_key(self) -> None:
        info = self.selected_key()
        if info is None:
            return
        safe = safe_file_stem(info.label, "recovery-key")
        path = ask_export_path(self, str(Path.home() / f"{safe}{KEY_FILE_SUFFIX}"))
        if not path:
            return
        passphrase = passphrase_dialog.ask_new_passphrase(self, info.describe())
        if passphrase is None:
            return
        service = self.service

        def done(exported: KeyInfo) -> None:
            self.status.setText(f"Exported {exported.describe()} to {Path(path).name}; give the passphrase to the "
                                "other keyholder by another channel.")

        self.run_job("Encrypting the key file", lambda ctx: service.export_key(info.key_id, passphrase, path), done)

    def export_public(self) -> None:
        info = self.selected_key()
        if info is None:
            return
        path = ask_public_path(self, str(Path.home() / f"{safe_file_stem(info.label, 'public-key')}{PUBLIC_SUFFIX}"))
        if not path:
            return
        service = self.service
        self.run_job("Writing the public key", lambda ctx: service.export_public(info.key_id, path),
                     lambda done: self.status.setText(f"Saved the public key of {done.describe()} to "
                                                      f"{Path(path).name}; read the fingerprint to its receiver."))

    def export_sealer(self) -> None:
        path = ask_public_path(self, str(Path.home() / f"signing-key{PUBLIC_SUFFIX}"))
        if not path:
            return
        service = self.service
        self.run_job("Writing your signing key", lambda ctx: (service.export_public(None, path), service.list_keys()),
                     self._after_change("Saved your signing key {key} to " + Path(path).name
                                        + "; keyholders pin it with Trust sealer…."))

    def trust_sealer(self) -> None:
        path = ask_sealer_path(self, str(Path.home()))
        if not path:
            return
        service = self.service
        self.run_job("Trusting the sealer", lambda ctx: (service.trust_sealer(path), service.list_keys()),
                     self._after_change("Trusted the sealer {key}; make sure its owner reads you that fingerprint."))

    def import_key(self) -> None:
        path = ask_import_path(self, str(Path.home()))
        if not path:
            return
        service = self.service
        if service.is_public_block(path):
            self.run_job("Importing the public key", lambda ctx: (service.import_public(path), service.list_keys()),
                         self._after_change("Imported {key}; compare the fingerprint with its keyholder by phone "
                                            "before you seal for it."))
            return
        answer = passphrase_dialog.ask_passphrase(self, Path(path).name)
        if answer is None:
            return
        passphrase, label = answer
        service = self.service
        self.run_job("Opening the key file",
                     lambda ctx: (service.import_key(path, passphrase, label or None), service.list_keys()),
                     self._after_change("Imported the recovery key {key}."))

    def delete_key(self) -> None:
        info = self.selected_key()
        if info is None or not confirm_delete(self, info):
            return
        service = self.service
        self.run_job("Deleting the key",
                     lambda ctx: (service.delete_key(info.key_id, confirm=True), service.list_keys()),
                     self._after_change("Deleted the recovery key {key}."))
