"""Edit > Settings: device, default recovery key, export profile, anonymize strength, and clearing Open Recent.

The recovery keys are read in a worker (the keyring sits behind D-Bus); a keyring Veil refuses (no secure
backend) shows its one sentence in place of the list, and the rest of the page still works.
"""

from __future__ import annotations

from typing import List, Optional

from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from editor.core.errors import VeilError
from editor.services.vault_service import VaultService
from editor.services.vault_types import SEALS, KeyInfo

from ..common import dialogs
from ..document.recent_files import RecentFiles
from ..vault.keys_dialog import VaultJobDialog, keys_or_error
from .preferences import DEVICE_LABELS, EXPORT_PROFILES, Preferences

STRONG_TIP = ("Strong also changes the face shape and the eyes: use it before publishing photos where being "
              "recognised would put someone at risk")

ASK_EACH_TIME = "Ask each time"


class SettingsDialog(VaultJobDialog):
    def __init__(self, parent: Optional[QWidget], preferences: Preferences, recent: RecentFiles,
                 service: VaultService, device_note: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.preferences = preferences
        self._recent = recent

        self.device_combo = QComboBox()
        for key, label in DEVICE_LABELS.items():
            self.device_combo.addItem(label, key)
        self.device_combo.setCurrentIndex(self.device_combo.findData(preferences.device))
        self.device_combo.setToolTip("Where the learned models run; Auto uses a CUDA GPU when one works")
        self.device_note = QLabel(device_note)
        self.device_note.setObjectName("settingsNote")
        self.device_note.setWordWrap(True)

        self.key_combo = QComboBox()
        self.key_combo.setMinimumContentsLength(28)
        self.key_combo.addItem(ASK_EACH_TIME, None)
        self.key_combo.setEnabled(False)            # until the keyring has been read
        self.key_combo.setToolTip("The recovery key an export with sealed originals offers first")
        self.keys_problem = QLabel()
        self.keys_problem.setObjectName("keyringProblem")
        self.keys_problem.setWordWrap(True)
        self.keys_problem.hide()

        self.profile_combo = QComboBox()
        for key, text in EXPORT_PROFILES:
            self.profile_combo.addItem(text, key)
        self.profile_combo.setCurrentIndex(self.profile_combo.findData(preferences.export_profile))

        self.strength_combo = dialogs.strength_combo(preferences.anonymize_strength, STRONG_TIP)

        self.clear_recent_button = QPushButton("Clear Open Recent")
        self.clear_recent_button.setEnabled(bool(recent.paths()))
        self.clear_recent_button.clicked.connect(self._clear_recent)

        form = QFormLayout()
        form.addRow("Run models on:", self.device_combo)
        form.addRow("", self.device_note)
        form.addRow("Default recovery key:", self.key_combo)
        form.addRow("", self.keys_problem)
        form.addRow("Export metadata:", self.profile_combo)
        form.addRow("Anonymize strength:", self.strength_combo)
        form.addRow("Recent photos:", self.clear_recent_button)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self.run_job("Reading the recovery keys", lambda ctx: keys_or_error(service), self.show_keys)

    def show_keys(self, keys: List[KeyInfo] | VeilError) -> None:
        if isinstance(keys, VeilError):
            self.keys_problem.setText(str(keys))
            self.keys_problem.show()
            self.adjustSize()               # room for the wrapped sentence
            keys = []
        current = self.preferences.default_key
        for info in (k for k in keys if k.kind in SEALS):     # keyholders a photo can be sealed for
            self.key_combo.addItem(f"{info.label}  ({info.key_id[:8]}…)", info.key_id)
            if info.key_id == current:
                self.key_combo.setCurrentIndex(self.key_combo.count() - 1)
        self.key_combo.setEnabled(bool(keys))

    def _clear_recent(self) -> None:
        self._recent.clear()
        self.clear_recent_button.setEnabled(False)
        self.status.setText("Open Recent is empty now.")

    def accept(self) -> None:
        """Store the choices; a key list still being read leaves the default key as it was."""
        prefs = self.preferences
        prefs.device = self.device_combo.currentData()
        prefs.export_profile = self.profile_combo.currentData()
        prefs.anonymize_strength = self.strength_combo.currentData()
        if self.key_combo.isEnabled():
            prefs.default_key = self.key_combo.currentData()
        if self.busy:
            self.reject()           # stops the keyring read, then closes
        else:
            super().accept()
