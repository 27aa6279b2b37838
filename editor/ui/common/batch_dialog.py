"""The frame of a folder batch dialog (File › Anonymize Folder, File › Remove Face Masks in Folder): photos and
folders in, an output folder, the batch's own settings and parallel jobs, a note, then the run and stop buttons, the
progress and a summary of the whole output folder. A stopped run keeps the photos already done (the report in the
output folder records them) and running again continues.

A subclass adds its settings' rows to `form` between the output folder and its own jobs row, then calls
`finish_layout`; `run_batch` starts the batch with a function of (output folder, JobContext)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, List, Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from editor.core.progress import JobContext
from editor.services.photo_batch import BatchReport

from . import dialogs
from .job_dialog import JobDialog
from .photo_inputs import PhotoInputs, ask_folder


def this_run_text(summary: dict, report_path: Path) -> str:
    """What the run did, below the whole folder's numbers, and where the report is."""
    text = f"\nThis run: {summary['done_this_run']} done"
    if summary["skipped_finished"]:
        text += f" · {summary['skipped_finished']} done in an earlier run"
    return text + f"\nReport: {report_path}"


class BatchDialog(JobDialog):
    finished_batch = Signal(object)         # BatchReport

    def __init__(self, parent: Optional[QWidget], *, title: str, what: str, output_placeholder: str,
                 run_text: str, job_label: str, jobs_tooltip: str, stopped_text: str, review_text: str) -> None:
        """`what` ends the photo prompts' titles ("to anonymize"); `job_label` names the batch's job; `stopped_text`
        says how to continue a stopped run; `review_text` ends a run that left photos to look at."""
        super().__init__(parent)
        self.setWindowTitle(title)
        self.job_label = job_label
        self.stopped_text = stopped_text
        self.review_text = review_text
        self.report: Optional[BatchReport] = None

        self.inputs = PhotoInputs(what)
        self.inputs.changed.connect(self.update_enabled)
        self.output_edit = QLineEdit()
        self.output_edit.setPlaceholderText(output_placeholder)
        self.output_edit.textChanged.connect(self.update_enabled)
        output_row, self.browse_button = dialogs.path_row(self.output_edit, self._browse_output)
        self.jobs_spin = QSpinBox()
        self.jobs_spin.setRange(1, max(1, os.cpu_count() or 1))
        self.jobs_spin.setMaximumWidth(140)
        self.jobs_spin.setToolTip(jobs_tooltip)
        self.form = QFormLayout()
        self.form.addRow("Photos and folders:", self.inputs)
        self.form.addRow("Output folder:", output_row)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close)
        self.run_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.run_button.setText(run_text)
        self.stop_button = self.buttons.addButton("Stop", QDialogButtonBox.ButtonRole.ActionRole)
        self.stop_button.hide()
        self.stop_button.clicked.connect(self.stop)
        self.buttons.accepted.connect(self.run)
        self.buttons.rejected.connect(self.reject)
        self.runner.finished.connect(self._on_finished)

    def finish_layout(self, note_text: str) -> None:
        note = QLabel(note_text)
        note.setWordWrap(True)
        note.setObjectName("settingsNote")
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(note)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.resize(640, 0)

    # -- subclasses ----------------------------------------------------------------------------------------------------
    def run(self) -> None:
        """Read the settings and call run_batch."""

    def ready(self) -> bool:
        """The batch's own settings allow a run (e.g. a key is chosen)."""
        return True

    def summary_text(self, summary: dict) -> str:
        """The whole output folder's numbers (earlier runs included)."""
        return ""

    # -- inputs ------------------------------------------------------------------------------------------------------
    def input_paths(self) -> List[str]:
        return self.inputs.paths()

    def add_inputs(self, paths: List[str]) -> None:
        self.inputs.add(paths)

    def output_folder(self) -> Optional[Path]:
        text = self.output_edit.text().strip()
        return Path(text).expanduser() if text else None

    def _browse_output(self) -> None:
        folder = ask_folder(self, "Output folder")
        if folder:
            self.output_edit.setText(folder)

    def update_enabled(self) -> None:
        free = not self.busy
        self.inputs.set_free(free)
        for widget in (self.output_edit, self.browse_button, self.jobs_spin):
            widget.setEnabled(free)
        self.run_button.setEnabled(free and bool(self.input_paths()) and self.output_folder() is not None
                                   and self.ready())
        self.stop_button.setVisible(self.busy and self.job is not None and self.job.label == self.job_label)

    # -- run -----------------------------------------------------------------------------------------------------------
    def run_batch(self, batch: Callable[[Path, JobContext], BatchReport]) -> None:
        """Run `batch(output folder, ctx)` in a job, then show its summary."""
        outdir = self.output_folder()
        if not self.input_paths() or outdir is None or self.busy:
            return
        self.summary.hide()

        def done(report: BatchReport) -> None:
            self.report = report
            numbers = report.summary()
            self.summary.setText(self.summary_text(numbers) + this_run_text(numbers, outdir / report.kind.report_name))
            self.summary.show()
            self.status.setText(self.review_text if report.needs_review() else "Done.")
            self.finished_batch.emit(report)

        self.run_job(self.job_label, lambda ctx: batch(outdir, ctx), done)

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Stopping after the photo in progress…")

    def _on_finished(self, job, outcome: str) -> None:
        if outcome == "cancelled" and job.label == self.job_label:
            self.summary.setText(self.stopped_text)
            self.summary.show()
