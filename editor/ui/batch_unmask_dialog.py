"""File › Remove Face Masks in Folder: the batch of `veil unmask` with a window.

Photos and folders in, an output folder (the tree is kept), the engine and parallel jobs. Resumable like the CLI:
the JSON report in the output folder records every finished photo, and running again skips them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox,
                               QVBoxLayout, QWidget)

from editor.services.inpainting import available_engines
from editor.services.photo_batch import BatchReport
from editor.services.unmask_batch import REPORT_NAME, unmask_paths
from editor.services.unmask_service import DEFAULT_UNMASK_ENGINE, ESTIMATE_NOTICE

from . import dialogs
from .keys_dialog import VaultJobDialog
from .photo_inputs import PhotoInputs, ask_folder

JOB_LABEL = "Removing face masks"


def summary_text(report: BatchReport, report_path: Path) -> str:
    """The whole output folder (earlier runs included), then what this run did."""
    s = report.summary()
    text = (f"{s['files']} photo{'s' if s['files'] != 1 else ''} · {s['masks_removed']} face masks removed in "
            f"{s['unmasked']} photos")
    if s["no_mask"] or s["no_face"]:
        text += f" · {s['no_mask'] + s['no_face']} without a mask found, copied unchanged (check them)"
    if s["errors"]:
        text += f" · {s['errors']} could not be read or written"
    text += f"\nThis run: {s['done_this_run']} done"
    if s["skipped_finished"]:
        text += f" · {s['skipped_finished']} done in an earlier run"
    return text + f"\nReport: {report_path}"


class BatchUnmaskDialog(VaultJobDialog):
    finished_batch = Signal(object)         # BatchReport

    def __init__(self, parent: Optional[QWidget]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Remove face masks in a folder")
        self.report: Optional[BatchReport] = None

        self.inputs = PhotoInputs("to remove face masks from")
        self.inputs.changed.connect(self.update_enabled)
        self.output_edit = QLineEdit()
        self.output_edit.setPlaceholderText("Where the unmasked copies and the report go")
        self.output_edit.textChanged.connect(self.update_enabled)
        output_row, self.browse_button = dialogs.path_row(self.output_edit, self._browse_output)
        self.engine_combo = QComboBox()
        for name, label in available_engines():
            self.engine_combo.addItem(label, name)
        self.engine_combo.setCurrentIndex(self.engine_combo.findData(DEFAULT_UNMASK_ENGINE))
        self.engine_combo.setToolTip("A run is resumed only with the same engine")
        self.jobs_spin = QSpinBox()
        self.jobs_spin.setRange(1, max(1, os.cpu_count() or 1))
        self.jobs_spin.setMaximumWidth(140)
        self.jobs_spin.setToolTip("Photos done at the same time (each in its own process)")
        form = QFormLayout()
        form.addRow("Photos and folders:", self.inputs)
        form.addRow("Output folder:", output_row)
        form.addRow("Engine:", self.engine_combo)
        form.addRow("Parallel jobs:", self.jobs_spin)

        note = QLabel("Every photo is written to the output folder, its EXIF and colour profile kept; photos where no "
                      "face mask is found are copied unchanged and listed in the report. " + ESTIMATE_NOTICE
                      + " A stopped run continues where it stopped.")
        note.setWordWrap(True)
        note.setObjectName("settingsNote")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close)
        self.run_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.run_button.setText("Remove Face Masks")
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
        self.update_enabled()

    def _browse_output(self) -> None:
        folder = ask_folder(self, "Output folder")
        if folder:
            self.output_edit.setText(folder)

    def update_enabled(self) -> None:
        free = not self.busy
        self.inputs.set_free(free)
        for widget in (self.output_edit, self.browse_button, self.engine_combo, self.jobs_spin):
            widget.setEnabled(free)
        self.run_button.setEnabled(free and bool(self.inputs.paths()) and bool(self.output_edit.text().strip()))
        self.stop_button.setVisible(self.busy and self.job is not None and self.job.label == JOB_LABEL)

    # -- run -----------------------------------------------------------------------------------------------------------
    def run(self) -> None:
        inputs, text = self.inputs.paths(), self.output_edit.text().strip()
        if not inputs or not text or self.busy:
            return
        outdir = Path(text).expanduser()
        engine, jobs = self.engine_combo.currentData(), self.jobs_spin.value()
        self.summary.hide()

        def done(report: BatchReport) -> None:
            self.report = report
            self.summary.setText(summary_text(report, outdir / REPORT_NAME))
            self.summary.show()
            self.status.setText("Done: look at the photos listed in the report without a mask found or failed."
                                if report.needs_review() else "Done.")
            self.finished_batch.emit(report)

        self.run_job(JOB_LABEL, lambda ctx: unmask_paths(inputs, outdir, engine=engine, jobs=jobs, ctx=ctx), done)

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Stopping after the photo in progress…")

    def _on_finished(self, job, outcome: str) -> None:
        if outcome == "cancelled" and job.label == JOB_LABEL:
            self.summary.setText("Stopped. The photos already done are recorded in the report: run again with the "
                                 "same output folder to continue.")
            self.summary.show()
