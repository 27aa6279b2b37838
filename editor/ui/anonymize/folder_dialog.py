"""File > Anonymize Folder: the batch of `veil anonymize` with a window.

Photos and folders in, an output folder (the tree is kept), a recovery key from the OS keyring, a seed, a sidecar
option and parallel jobs. The run is resumable like the CLI: the JSON report in the output folder records every
finished photo, and running again with the same key and seed skips them.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtWidgets import QCheckBox, QSpinBox, QWidget

from editor.services.anonymize_batch import anonymize_paths
from editor.services.anonymize_types import STANDARD, AnonymizeOptions
from editor.services.vault_service import VaultService

from ..common import dialogs
from ..common.batch_dialog import BatchDialog
from ..vault.key_picker import KeyPicker, new_key
from ..vault.keys_dialog import keys_or_error

MAX_SEED = 2 ** 31 - 1
JOB_LABEL = "Anonymizing photos"


class BatchAnonymizeDialog(BatchDialog):
    def __init__(self, parent: Optional[QWidget], service: VaultService, default_key: Optional[str] = None,
                 strength: str = STANDARD) -> None:
        super().__init__(parent, title="Anonymize photos in a folder", what="to anonymize",
                         output_placeholder="Where the anonymized copies and the report go", run_text="Anonymize",
                         job_label=JOB_LABEL,
                         jobs_tooltip="Photos anonymized at the same time (each in its own process)",
                         stopped_text="Stopped. The photos already done are recorded in the report: Anonymize again "
                                      "with the same key and seed to continue.",
                         review_text="Done: look at the photos listed in the report as flagged, without a face or "
                                     "failed.")
        self.service = service
        self.keys = KeyPicker()
        self.keys.changed.connect(self.update_enabled)
        self.keys.new_key_requested.connect(lambda: new_key(self, self.keys))
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setMaximumWidth(140)
        self.seed_spin.setToolTip("The same seed gives the same new faces; a run is resumed only with the same seed")
        self.strength_combo = dialogs.strength_combo(strength, "A run is resumed only with the same strength")
        self.sidecar_check = QCheckBox("Also write .veil sidecars (for channels that strip metadata)")
        self.form.addRow("Recovery key:", self.keys)
        self.form.addRow("Strength:", self.strength_combo)
        self.form.addRow("Seed:", self.seed_spin)
        self.form.addRow("Parallel jobs:", self.jobs_spin)
        self.form.addRow("", self.sidecar_check)
        self.finish_layout("Every face gets a new identity and is verified; faces that cannot be verified are "
                           "pixelated and flagged in the report. Originals are sealed in each file for the recovery "
                           "key, personal metadata is stripped, and a file with new faces says they were invented "
                           "(IPTC digital source type). A stopped run continues where it stopped.")
        self.run_job("Reading the recovery keys", lambda ctx: keys_or_error(service),
                     lambda keys: self.keys.show_keys(keys, default_key))

    def ready(self) -> bool:
        return self.keys.key_id is not None

    def update_enabled(self) -> None:
        super().update_enabled()
        free = not self.busy
        for widget in (self.seed_spin, self.strength_combo, self.sidecar_check):
            widget.setEnabled(free)
        self.keys.new_button.setEnabled(free and self.keys.usable)
        self.keys.combo.setEnabled(free)

    def summary_text(self, s: dict) -> str:
        text = (f"{s['files']} photo{'s' if s['files'] != 1 else ''} · {s['faces_found']} faces found · "
                f"{s['anonymized']} anonymized · {s['flagged']} flagged for review")
        if s["no_face"]:
            text += f" · {s['no_face']} with no face found (check them)"
        if s["errors"]:
            text += f" · {s['errors']} could not be read or written"
        return text

    def run(self) -> None:
        inputs, key, extra = self.input_paths(), self.keys.key_id, tuple(self.keys.extra_ids)
        if key is None:
            return
        seed, jobs, sidecar = self.seed_spin.value(), self.jobs_spin.value(), self.sidecar_check.isChecked()
        options = AnonymizeOptions.for_strength(self.strength_combo.currentData())
        service = self.service
        self.run_batch(lambda outdir, ctx: anonymize_paths(inputs, outdir, key, seed=seed, sidecar=sidecar,
                                                           jobs=jobs, options=options, vault=service, ctx=ctx,
                                                           recipients=extra))
