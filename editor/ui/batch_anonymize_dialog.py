"""File > Anonymize Folder: the batch of `veil anonymize` with a window.

Photos and folders in, an output folder (the tree is kept), a recovery key from the OS keyring, a seed, a sidecar
option and parallel jobs. The run is resumable like the CLI: the JSON report in the output folder records every
finished photo, and running again with the same key and seed skips them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox,
                               QVBoxLayout, QWidget)

from editor.anonymize.engine import STANDARD, AnonymizeOptions
from editor.services.anonymize_batch import REPORT_NAME, BatchReport, anonymize_paths
from editor.services.vault_service import VaultService

from . import dialogs
from .anonymize_key_picker import KeyPicker, new_key
from .keys_dialog import VaultJobDialog, keys_or_error
from .photo_inputs import PhotoInputs, ask_folder

MAX_SEED = 2 ** 31 - 1


def summary_text(report: BatchReport, report_path: Path) -> str:
    """The whole output folder (earlier runs included), then what this run did."""
    s = report.summary()
    text = (f"{s['files']} photo{'s' if s['files'] != 1 else ''} · {s['faces_found']} faces found · "
            f"{s['anonymized']} anonymized · {s['flagged']} flagged for review")
    if s["no_face"]:
        text += f" · {s['no_face']} with no face found (check them)"
    if s["errors"]:
        text += f" · {s['errors']} could not be read or written"
    text += f"\nThis run: {s['done_this_run']} done"
    if s["skipped_finished"]:
        text += f" · {s['skipped_finished']} done in an earlier run"
    return text + f"\nReport: {report_path}"


class BatchAnonymizeDialog(VaultJobDialog):
    finished_batch = Signal(object)         # BatchReport

    def __init__(self, parent: Optional[QWidget], service: VaultService, default_key: Optional[str] = None,
                 strength: str = STANDARD) -> None:
        super().__init__(parent)
        self.setWindowTitle("Anonymize photos in a folder")
        self.service = service
        self.report: Optional[BatchReport] = None

        self.inputs = PhotoInputs("to anonymize")
        self.inputs.changed.connect(self.update_enabled)

        self.output_edit = QLineEdit()
        self.output_edit.setPlaceholderText("Where the anonymized copies and the report go")
        self.output_edit.textChanged.connect(self.update_enabled)
        output_row, self.browse_button = dialogs.path_row(self.output_edit, self._browse_output)
        self.keys = KeyPicker()
        self.keys.changed.connect(self.update_enabled)
        self.keys.new_key_requested.connect(lambda: new_key(self, self.keys))
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setToolTip("The same seed gives the same new faces; a run is resumed only with the same seed")
        self.jobs_spin = QSpinBox()
        self.jobs_spin.setRange(1, max(1, os.cpu_count() or 1))
        self.jobs_spin.setToolTip("Photos anonymized at the same time (each in its own process)")
        self.strength_combo = dialogs.strength_combo(strength, "A run is resumed only with the same strength")
        for spin in (self.seed_spin, self.jobs_spin):
            spin.setMaximumWidth(140)
        self.sidecar_check = QCheckBox("Also write .veil sidecars (for channels that strip metadata)")
        form = QFormLayout()
        form.addRow("Photos and folders:", self.inputs)
        form.addRow("Output folder:", output_row)
        form.addRow("Recovery key:", self.keys)
        form.addRow("Strength:", self.strength_combo)
        form.addRow("Seed:", self.seed_spin)
        form.addRow("Parallel jobs:", self.jobs_spin)
        form.addRow("", self.sidecar_check)

        note = QLabel("Every face gets a new identity and is verified; faces that cannot be verified are pixelated "
                      "and flagged in the report. Originals are sealed in each file for the recovery key, personal "
                      "metadata is stripped, and a file with new faces says they were invented (IPTC digital "
                      "source type). A stopped run continues where it stopped.")
        note.setWordWrap(True)
        note.setObjectName("settingsNote")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close)
        self.run_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.run_button.setText("Anonymize")
        self.stop_button = self.buttons.addButton("Stop", QDialogButtonBox.ButtonRole.ActionRole)
        self.stop_button.hide()
        self.stop_button.clicked.connect(self.stop)
        self.buttons.accepted.connect(self.run)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.resize(640, 0)
        self.runner.finished.connect(self._on_finished)
        self.run_job("Reading the recovery keys", lambda ctx: keys_or_error(service),
                     lambda keys: self.keys.show_keys(keys, default_key))

    # -- inputs ------------------------------------------------------------------------------------------------------
    def input_paths(self) -> List[str]:
        return self.inputs.paths()

    def add_inputs(self, paths: List[str]) -> None:
        self.inputs.add(paths)

    def _browse_output(self) -> None:
        folder = ask_folder(self, "Output folder")
        if folder:
            self.output_edit.setText(folder)

    def update_enabled(self) -> None:
        free = not self.busy
        self.inputs.set_free(free)
        for widget in (self.output_edit, self.browse_button, self.seed_spin, self.strength_combo, self.jobs_spin,
                       self.sidecar_check):
            widget.setEnabled(free)
        self.keys.new_button.setEnabled(free and self.keys.usable)
        self.keys.combo.setEnabled(free)
        ready = bool(self.input_paths()) and bool(self.output_edit.text().strip()) and self.keys.key_id is not None
        self.run_button.setEnabled(free and ready)
        running = self.busy and self.job is not None and self.job.label.startswith("Anonymizing")
        self.stop_button.setVisible(running)

    # -- run -----------------------------------------------------------------------------------------------------------
    def run(self) -> None:
        outdir = Path(self.output_edit.text().strip()).expanduser()
        inputs, key, extra = self.input_paths(), self.keys.key_id, tuple(self.keys.extra_ids)
        if not inputs or key is None or not self.output_edit.text().strip() or self.busy:
            return
        seed, jobs, sidecar = self.seed_spin.value(), self.jobs_spin.value(), self.sidecar_check.isChecked()
        options = AnonymizeOptions.for_strength(self.strength_combo.currentData())
        service = self.service
        self.summary.hide()

        def done(report: BatchReport) -> None:
            self.report = report
            self.summary.setText(summary_text(report, outdir / REPORT_NAME))
            self.summary.show()
            self.status.setText("Done: look at the photos listed in the report as flagged, without a face or "
                                "failed." if report.needs_review() else "Done.")
            self.finished_batch.emit(report)

        self.run_job("Anonymizing photos",
                     lambda ctx: anonymize_paths(inputs, outdir, key, seed=seed, sidecar=sidecar, jobs=jobs,
                                                 options=options, vault=service, ctx=ctx, recipients=extra),
                     done)

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Stopping after the photo in progress…")

    def _on_finished(self, job, outcome: str) -> None:
        if outcome == "cancelled" and job.label.startswith("Anonymizing"):
            self.summary.setText("Stopped. The photos already done are recorded in the report: Anonymize again "
                                 "with the same key and seed to continue.")
            self.summary.show()
