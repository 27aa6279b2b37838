"""Status bar: running job (label, progress, Cancel) on the left; cursor, image size, zoom and device on the right."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QPointF, Qt, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from editor.core.document import Document

from .jobs import Job, JobRunner


class JobBar(QWidget):
    """Label + progress bar + Cancel for the job the runner started last; hidden when idle."""

    def __init__(self, runner: JobRunner, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFixedWidth(180)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setObjectName("cancelJob")
        self.cancel_button.clicked.connect(runner.cancel_all)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 8, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self._runner = runner
        runner.started.connect(self._on_started)
        runner.finished.connect(self._on_finished)
        self.hide()

    @Slot(object)
    def _on_started(self, job: Job) -> None:
        job.progressed.connect(self._on_progress)
        self.label.setText(f"{job.label}…")
        self.bar.setRange(0, 0)               # busy animation until the first progress report
        self.cancel_button.setEnabled(True)
        self.show()

    @Slot(float, str)
    def _on_progress(self, fraction: float, text: str) -> None:
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(round(fraction * 1000)))
        if text:
            self.label.setText(text)

    @Slot(object, str)
    def _on_finished(self, job: Job, outcome: str) -> None:
        if not self._runner.busy:
            self.hide()

    @property
    def value(self) -> float:
        """Progress shown, 0..1 (for tests and accessibility)."""
        return self.bar.value() / 1000.0 if self.bar.maximum() else 0.0


class StatusPanel:
    """Permanent labels on the right of the status bar."""

    def __init__(self, status_bar: QStatusBar) -> None:
        self.cursor = QLabel()
        self.size = QLabel()
        self.zoom = QLabel()
        self.device = QLabel()
        for label, tip in ((self.cursor, "Pointer position in photo pixels"), (self.size, "Photo size"),
                           (self.zoom, "Zoom"), (self.device, "Device that ran the last job")):
            label.setToolTip(tip)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            status_bar.addPermanentWidget(label)
        self.cursor.setMinimumWidth(90)
        self.zoom.setMinimumWidth(56)
        self.show_document(None)

    def show_document(self, doc: Optional[Document]) -> None:
        if doc is None:
            self.size.setText("No photo")
            self.zoom.setText("")
            self.cursor.setText("")
        else:
            mp = doc.width * doc.height / 1e6
            self.size.setText(f"{doc.width} × {doc.height} px · {mp:.1f} MP")
        self.show_device(doc.last_device if doc else None)

    def show_zoom(self, scale: float) -> None:
        self.zoom.setText(f"{scale * 100:.0f}%" if scale >= 0.1 else f"{scale * 100:.1f}%")

    def show_device(self, device: Optional[str]) -> None:
        self.device.setText(f"Device: {device or '—'}")

    def show_cursor(self, pos: Optional[QPointF]) -> None:
        self.cursor.setText(f"{int(pos.x())}, {int(pos.y())}" if pos is not None else "")
