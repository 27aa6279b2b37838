"""The base of the dialogs that run work: keys, seal and recover, export anonymized, settings, folder batches.

Each such dialog runs its service calls one at a time in its own JobRunner, shows their progress below its form,
and stops them before it closes.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QDialog, QLabel, QProgressBar, QWidget

from editor.core.progress import JobContext

from .jobs import Job, JobRunner


class JobDialog(QDialog):
    """A dialog whose service calls run one at a time in its own JobRunner, with a progress bar.

    Errors of a job appear over this dialog (the runner's one-sentence dialog). Closing while a job runs
    cancels it and closes once the worker has stopped, so no worker outlives the dialog. The dialog deletes
    itself when closed (after exec() returns), and its runner with it: both are Qt-owned, so Python's garbage
    collector, which may run on a worker thread, never destroys them. Worker functions capture the service and
    arrays, never the dialog.
    """

    def __init__(self, parent: Optional[QWidget]) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.runner = JobRunner(self)
        self.runner.setParent(self)
        self.runner.started.connect(self._on_job_started)
        self.runner.finished.connect(self._on_job_finished)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.job: Optional[Job] = None
        self._job_text = ""                     # what the running job last wrote in `status`
        self._close_when_idle = False

    def run_job(self, label: str, fn: Callable[[JobContext], Any], on_done: Callable[[Any], None]) -> Job:
        self.job = self.runner.submit(label, fn, on_done)
        self.update_enabled()
        return self.job

    @property
    def busy(self) -> bool:
        return self.job is not None

    def update_enabled(self) -> None:
        """Enable the widgets that make sense now (subclasses: most are off while busy)."""

    @Slot(object)
    def _on_job_started(self, job: Job) -> None:
        job.progressed.connect(self._on_progress)
        self.progress.setRange(0, 0)            # busy animation until the first report
        self.progress.show()
        self._say(f"{job.label}…")

    @Slot(float, str)
    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(round(fraction * 1000)))
        if text:
            self._say(text)

    def _say(self, text: str) -> None:
        self._job_text = text
        self.status.setText(text)

    @Slot(object, str)
    def _on_job_finished(self, job: Job, outcome: str) -> None:
        self.job = None
        self.progress.hide()
        if self.status.text() == self._job_text:     # on_done did not replace the job's own progress text
            self.status.setText("Cancelled." if outcome == "cancelled" else "")
        if self._close_when_idle:
            super().reject()
        self.update_enabled()

    def reject(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self._close_when_idle = True
            self.status.setText("Stopping…")
            return
        super().reject()
