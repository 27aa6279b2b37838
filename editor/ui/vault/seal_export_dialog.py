"""Export with sealed originals: the edited regions are hidden in the exported copy, and their original pixels are
sealed inside it for a recovery key.

The regions are wherever the document differs from the photo as opened (`seal_regions.edited_regions`), so this
works after any edit: a fill, an anonymized face, a brush of the inpainting engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QVBoxLayout, QWidget)

from editor.core import image_io
from editor.core.document import Document
from editor.core.errors import VeilError
from editor.services.documents import metadata_for_export
from editor.services.seal_regions import describe_regions, edited_regions
from editor.services.vault_service import FILLS, KEEP, SealRegion, SealResult, VaultService
from editor.services.vault_types import SEALS, KeyInfo

from ..common import dialogs
from . import keys_dialog
from .key_picker import key_text
from .keys_dialog import VaultJobDialog, keys_or_error

PROFILE_CHOICES = (
    ("privacy", "Privacy: strip GPS, maker notes, thumbnails and personal fields"),
    ("retouch", "Retouch: keep all metadata"),
)
FILL_LABELS = {
    KEEP: "Keep the edited pixels (what you see)",
    "inpaint": "Inpaint from the surroundings",
    "solid": "Solid black",
    "blur": "Blur (weak: keeps coarse shapes and colours)",
    "pixelate": "Pixelate (weak: keeps coarse shapes and colours)",
}
DEFAULT_FILL = KEEP
_SEALED_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "TIFF": ".tif"}


def suggested_path(doc: Document, tag: str = "sealed") -> Path:
    """`<name>-<tag>.<ext>` beside the photo, in a format that can carry the sealed originals."""
    if doc.path is None:
        return Path.home() / f"photo-{tag}.png"
    suffix = _SEALED_SUFFIX.get(image_io.SAVE_EXTENSIONS.get(doc.path.suffix.lower(), ""), ".png")
    return doc.path.with_name(f"{doc.path.stem}-{tag}{suffix}")


class SealExportDialog(VaultJobDialog):
    """File, key, metadata profile, fill and sidecar for an export whose edited regions are sealed."""

    sealed = Signal(object)         # SealResult

    def __init__(self, parent: Optional[QWidget], service: VaultService, doc: Document,
                 default_key: Optional[str] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export with sealed originals")
        self.service = service
        self.doc = doc
        self.regions: Optional[List[SealRegion]] = None
        self._default_key = default_key

        self.path_edit = QLineEdit(str(suggested_path(doc)))
        self.path_edit.setMinimumWidth(380)
        self.path_edit.setToolTip("The format follows the extension: .jpg, .png, .webp or .tif carry the sealed "
                                  "originals inside the file")
        path_layout, _ = dialogs.path_row(self.path_edit, self._browse)
        self.key_combo = QComboBox()
        self.key_combo.setMinimumContentsLength(24)
        self.new_key_button = QPushButton("New key…")
        self.new_key_button.clicked.connect(self._new_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_combo, 1)
        key_row.addWidget(self.new_key_button)
        self.profile_combo = QComboBox()
        for key, text in PROFILE_CHOICES:
            self.profile_combo.addItem(text, key)
        self.fill_combo = QComboBox()
        for fill in (KEEP,) + FILLS:
            self.fill_combo.addItem(FILL_LABELS.get(fill, fill), fill)
        self.fill_combo.setCurrentIndex(max(0, self.fill_combo.findData(DEFAULT_FILL)))
        self.fill_combo.setToolTip("What recipients see in the edited regions; the sealed originals do not "
                                   "depend on it")
        self.sidecar_check = QCheckBox("Also write a .veil sidecar (for channels that strip metadata)")
        self.regions_label = QLabel("Finding the edited regions…")
        self.regions_label.setWordWrap(True)
        self.keys_problem = QLabel()
        self.keys_problem.setWordWrap(True)
        self.keys_problem.hide()

        form = QFormLayout()
        form.addRow("File:", path_layout)
        form.addRow("Recovery key:", key_row)
        form.addRow("Metadata:", self.profile_combo)
        form.addRow("Hide regions with:", self.fill_combo)
        form.addRow("", self.sidecar_check)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_button.setText("Export")
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.regions_label)
        layout.addLayout(form)
        layout.addWidget(self.keys_problem)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        # Both reads can be slow (a keyring on D-Bus, a whole-photo comparison): one worker job.
        self.run_job("Finding the edited regions", lambda ctx: (keys_or_error(service), edited_regions(doc)),
                     self._loaded)

    # -- state -------------------------------------------------------------------------------------------------------
    @property
    def key_id(self) -> Optional[str]:
        return self.key_combo.currentData()

    def update_enabled(self) -> None:
        free = not self.busy
        self.new_key_button.setEnabled(free and self.keys_problem.isHidden())
        self.export_button.setEnabled(free and bool(self.regions) and self.key_id is not None)

    def _loaded(self, result) -> None:
        keys, regions = result
        self.regions = regions
        if regions:
            self.regions_label.setText(f"The originals of {describe_regions(regions)} you edited will be sealed "
                                       "for the recovery key; the exported copy shows them hidden.")
        else:
            self.regions_label.setText("Nothing to seal: this photo has no edits yet (anonymize a face or fill "
                                       "an area first).")
        self._show_keys(keys, self._default_key)

    def _show_keys(self, keys: List[KeyInfo] | VeilError, select: Optional[str]) -> None:
        if isinstance(keys, VeilError):
            self.keys_problem.setText(str(keys))
            self.keys_problem.show()
            keys = []
        self.key_combo.clear()
        for info in (k for k in keys if k.kind in SEALS):     # not sealers' or your signing keys
            self.key_combo.addItem(key_text(info), info.key_id)
            if select in (info.key_id, info.label):
                self.key_combo.setCurrentIndex(self.key_combo.count() - 1)
        if not keys and self.keys_problem.isHidden():
            self.key_combo.setPlaceholderText("No recovery key yet: create one with New key…")
        self.update_enabled()

    # -- commands --------------------------------------------------------------------------------------------------
    def _browse(self) -> None:
        path = dialogs.ask_save_path(self, self.path_edit.text(), "Export with sealed originals to")
        if path:
            self.path_edit.setText(path)

    def _new_key(self) -> None:
        label = keys_dialog.ask_key_label(self)
        if not label:
            return
        service = self.service

        def created(result) -> None:
            info, keys = result
            self._show_keys(keys, info.key_id)
            self.status.setText(f"Created the recovery key {info.describe()}.")

        self.run_job("Creating the key pair", lambda ctx: (service.create_key_pair(label), service.list_keys()),
                     created)

    def export(self) -> None:
        """Check the choices, then hide, seal and write in a worker; `sealed` is emitted and the dialog closes."""
        text = self.path_edit.text().strip()
        if not text or not self.regions or self.key_id is None:
            return
        path = dialogs.export_path(self, text, self.doc.path)
        if path is None:
            return
        service, doc, regions, key = self.service, self.doc, self.regions, self.key_id
        fill, profile = self.fill_combo.currentData(), self.profile_combo.currentData()
        sidecar = self.sidecar_check.isChecked()
        # Published as edited (keep): the file states what the edits invented; a redaction fill invents no face.
        metadata = metadata_for_export(doc) if fill == KEEP else doc.metadata

        def done(result: SealResult) -> None:
            self.sealed.emit(result)
            self.accept()

        self.run_job(f"Sealing {path.name}",
                     lambda ctx: service.seal_image(doc.original, doc.alpha, metadata, regions, key=key,
                                                    out_path=path, fill=fill, sidecar=sidecar, profile=profile,
                                                    published=doc.image if fill == KEEP else None, ctx=ctx),
                     done)
