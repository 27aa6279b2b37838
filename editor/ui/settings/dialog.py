"""Edit > Settings: device, default recovery key, export profile, anonymize strength, and clearing Open Recent.

The recovery keys are read in a worker (the keyring sits behind D-Bus); a keyring Veil refuses (no secure
backend) shows its one sentence in place of the list, and the rest of the page still works.
"""

from __future__ import annotations

from typing import List, Optional

from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from editor.core.errors import VeilError
from editor.services.vault_service import VaultService
from editor.services.vault_types import KeyInfo

from ..common import dialogs
from ..common.job_dialog import JobDialog
from ..document.recent_files import RecentFiles
from ..vault.key_picker import KeyPicker
from ..vault.keys_dialog import keys_or_error
from .preferences import DEVICE_LABELS, EXPORT_PROFILES, Preferences

STRONG_TIP = ("Strong also changes the face shape and the eyes: use it before publishing photos where being "
              "recognised would put someone at risk")

ASK_EACH_TIME = "Ask each time"


class SettingsDialog(JobDialog):
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

        self.keys = KeyPicker(more_keyholders=False, new_key=False, none_text=ASK_EACH_TIME)
        self.keys.combo.setMinimumContentsLength(28)
        self.keys.combo.setToolTip("The recovery key an export with sealed originals offers first")

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
        form.addRow("Default recovery key:", self.keys)
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
        """The keyring's keys (or why it cannot be read), the stored default key selected."""
        self.keys.show_keys(keys, self.preferences.default_key)

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
        if self.keys.combo.isEnabled():
            prefs.default_key = self.keys.key_id
        if self.busy:
            self.reject()           # stops the keyring read, then closes
        else:
            super().accept()
