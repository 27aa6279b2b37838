"""Export anonymized: the photo as it stands, every anonymized face's original sealed for a recovery key, and the
privacy metadata profile (no GPS, maker notes, thumbnails or owner fields).

A flagged face (pixelated fallback, or not verified as a new identity) or a face left as it is never goes out
silently: the dialog lists them and Export stays off until the user confirms them.
"""

from __future__ import annotations

from typing import List, Optional

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QDialogButtonBox, QFormLayout, QFrame, QLabel, QLineEdit, QVBoxLayout,
                               QWidget)

from editor.services.anonymize_service import AnonymizeResult
from editor.services.anonymize_session import AnonymizeSession
from editor.services.vault_service import SealResult, VaultService

from ..common import dialogs
from ..common.job_dialog import JobDialog
from ..vault.key_picker import KeyPicker, new_key
from ..vault.keys_dialog import keys_or_error
from ..vault.seal_export_dialog import suggested_path

def review_notes(result: AnonymizeResult, untouched: List[int]) -> List[str]:
    """One sentence per face a person must confirm before export: flagged ones, and faces left as they are."""
    notes = []
    for o in result.flagged:
        why = o.reasons[-1] if o.reasons else "not verified as a new identity"
        notes.append(f"Face {o.index + 1} is flagged ({why}).")
    for i in untouched:
        notes.append(f"Face {i + 1} was not anonymized and will be exported as it is.")
    return notes


class AnonymizeExportDialog(JobDialog):
    exported = Signal(object)           # SealResult

    def __init__(self, parent: Optional[QWidget], service: VaultService, session: AnonymizeSession,
                 result: AnonymizeResult, default_key: Optional[str] = None) -> None:
        """`result`: the session's anonymized faces in the photo now (export_result()), what the dialog lists."""
        super().__init__(parent)
        self.setWindowTitle("Export anonymized")
        self.service = service
        self.session = session
        self.doc = doc = session.doc
        self.result = result
        faces = ", ".join(str(o.index + 1) for o in result.outcomes)
        intro = QLabel(f"The anonymized face{'s' if len(result.outcomes) != 1 else ''} ({faces}) "
                       "go out as shown; their originals are sealed inside the file for the recovery key. "
                       "Personal metadata (GPS, maker notes, thumbnails, owner fields) is stripped.")
        intro.setWordWrap(True)

        self.path_edit = QLineEdit(str(suggested_path(doc, "anonymized")))
        self.path_edit.setMinimumWidth(380)
        self.path_edit.setToolTip("A .jpg, .png, .webp or .tif file carries the sealed originals inside it")
        path_layout, _ = dialogs.path_row(self.path_edit, self._browse)
        self.keys = KeyPicker()
        self.keys.changed.connect(self.update_enabled)
        self.keys.new_key_requested.connect(lambda: new_key(self, self.keys))
        self.sidecar_check = QCheckBox("Also write a .veil sidecar (for channels that strip metadata)")
        form = QFormLayout()
        form.addRow("File:", path_layout)
        form.addRow("Recovery key:", self.keys)
        form.addRow("Metadata:", QLabel("Privacy profile"))
        form.addRow("", self.sidecar_check)

        self.notes = review_notes(result, session.faces_left_as_they_are(result))
        self.review_box = QFrame()
        self.review_box.setObjectName("reviewBox")
        self.review_box.setStyleSheet("QFrame#reviewBox { background: #3a3122; border: 1px solid #8a6a33; "
                                      "border-radius: 6px; }")
        notes_label = QLabel("\n".join(self.notes))
        notes_label.setWordWrap(True)
        notes_label.setStyleSheet("color: #f0c27a;")
        self.confirm_check = QCheckBox("I have looked at these faces and want to export them as shown")
        self.confirm_check.toggled.connect(self.update_enabled)
        review_layout = QVBoxLayout(self.review_box)
        review_layout.addWidget(notes_label)
        review_layout.addWidget(self.confirm_check)
        self.review_box.setVisible(bool(self.notes))

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_button.setText("Export")
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.review_box)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.run_job("Reading the recovery keys", lambda ctx: keys_or_error(service),
                     lambda keys: self.keys.show_keys(keys, default_key))

    @property
    def key_id(self) -> Optional[str]:
        return self.keys.key_id

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.notes) and not self.confirm_check.isChecked()

    def update_enabled(self) -> None:
        free = not self.busy
        self.keys.new_button.setEnabled(free and self.keys.usable)
        self.export_button.setEnabled(free and self.key_id is not None and not self.needs_confirmation)

    def _browse(self) -> None:
        path = dialogs.ask_save_path(self, self.path_edit.text(), "Export anonymized to")
        if path:
            self.path_edit.setText(path)

    def export(self) -> None:
        """Seal and write in a worker; `exported` is emitted and the dialog closes."""
        text = self.path_edit.text().strip()
        if not text or self.key_id is None or self.busy:
            return
        if self.needs_confirmation:
            dialogs.show_error(self, "Some faces are flagged or not anonymized: look at them and confirm, or "
                                     "give them a new identity, before exporting.")
            return
        path = dialogs.export_path(self, text, self.doc.path)
        if path is None:
            return
        service, session, result, key = self.service, self.session, self.result, self.key_id
        others = self.keys.extra_ids
        sidecar, accept = self.sidecar_check.isChecked(), bool(self.notes)

        def done(sealed: SealResult) -> None:
            self.exported.emit(sealed)
            self.accept()

        self.run_job(f"Exporting {path.name}",
                     lambda ctx: session.export(path, key, recipients=others, sidecar=sidecar, accept_flagged=accept,
                                                vault=service, result=result, ctx=ctx),
                     done)
