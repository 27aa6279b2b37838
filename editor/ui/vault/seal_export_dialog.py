"""Export with sealed originals: the edited regions are hidden in the exported copy, and their original pixels are
sealed inside it for a recovery key.

The regions are wherever the document differs from the photo as opened (`seal_regions.edited_regions`), so this
works after any edit: a fill, an anonymized face, a brush of the inpainting engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout,
                               QWidget)

from editor.core import image_io
from editor.core.document import Document
from editor.services.documents import metadata_for_export
from editor.services.seal_regions import describe_regions, edited_regions
from editor.services.vault_service import FILLS, KEEP, SealRegion, SealResult, VaultService
from editor.services.vault_types import PAYLOAD_FORMATS

from ..common import dialogs
from ..common.job_dialog import JobDialog
from .key_picker import KeyPicker, new_key
from .keys_dialog import keys_or_error

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


def suggested_path(doc: Document, tag: str = "sealed") -> Path:
    """`<name>-<tag>.<ext>` beside the photo, in its format when that can carry the sealed originals (with the
    format's usual extension: .jpg, .png, .webp, .tif), else PNG."""
    if doc.path is None:
        return Path.home() / f"photo-{tag}.png"
    fmt = image_io.SAVE_EXTENSIONS.get(doc.path.suffix.lower())
    suffix = next(ext for ext, f in image_io.SAVE_EXTENSIONS.items() if f == fmt) if fmt in PAYLOAD_FORMATS else ".png"
    return doc.path.with_name(f"{doc.path.stem}-{tag}{suffix}")


class SealExportDialog(JobDialog):
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
        self.keys = KeyPicker(more_keyholders=False)
        self.keys.changed.connect(self.update_enabled)
        self.keys.new_key_requested.connect(lambda: new_key(self, self.keys))
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

        form = QFormLayout()
        form.addRow("File:", path_layout)
        form.addRow("Recovery key:", self.keys)
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
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        # Both reads can be slow (a keyring on D-Bus, a whole-photo comparison): one worker job.
        self.run_job("Finding the edited regions", lambda ctx: (keys_or_error(service), edited_regions(doc)),
                     self._loaded)

    # -- state -------------------------------------------------------------------------------------------------------
    @property
    def key_id(self) -> Optional[str]:
        return self.keys.key_id

    def update_enabled(self) -> None:
        free = not self.busy
        self.keys.new_button.setEnabled(free and self.keys.usable)
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
        self.keys.show_keys(keys, self._default_key)

    # -- commands --------------------------------------------------------------------------------------------------
    def _browse(self) -> None:
        path = dialogs.ask_save_path(self, self.path_edit.text(), "Export with sealed originals to")
        if path:
            self.path_edit.setText(path)

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
