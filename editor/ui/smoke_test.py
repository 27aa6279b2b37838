"""`VEIL_SMOKE_TEST=1 veil [IMG]`: start the real window, open a photo, detect faces, and exit on its own.

Used by `make dist-test` to prove a built bundle starts (Qt plugins, models, dlib, ONNX Runtime all load).
Nothing waits on a person: error dialogs are printed instead of shown, the user's settings are not touched
(a throw-away settings folder), and the run fails after TIMEOUT_S. Exit 0 only when the photo opened, at least
one face was found, the start-up checks found no model problem, and no error was reported.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import List, Optional

from PySide6.QtCore import QSettings, QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

from .common import dialogs
from .main_window import MainWindow
from .settings.controller import sample_photo
from .settings.startup_checks import StartupReport

ENV = "VEIL_SMOKE_TEST"
SETTLE_MS = 1000            # keep the event loop running this long after the last step (paints, queued events)
TIMEOUT_S = 120


class SmokeTest:
    def __init__(self, app: QApplication, window: MainWindow, photo: Path) -> None:
        self.app = app
        self.window = window
        self.photo = photo
        self.errors: List[str] = []
        self.report: Optional[StartupReport] = None
        self.faces: Optional[int] = None
        self._step = "open"
        dialogs.show_error = self._record_error         # a modal box would wait forever in an unattended run
        window.setup.checks_done.connect(self._on_checks)
        window.runner.finished.connect(self._on_job_finished)
        QTimer.singleShot(TIMEOUT_S * 1000, lambda: self._finish(f"timed out after {TIMEOUT_S} s"))

    def start(self) -> None:
        self.window.setup.start_checks()
        self.window.open(self.photo)

    def _record_error(self, parent, message: str, details: Optional[str] = None) -> None:
        self.errors.append(message)
        print(f"smoke test: error shown: {message}", file=sys.stderr)
        if details:
            print(details, file=sys.stderr)

    def _on_checks(self, report: StartupReport) -> None:
        self.report = report
        self._maybe_done()

    def _on_job_finished(self, job, outcome: str) -> None:
        if outcome != "done":
            self._finish(f"{job.label} {outcome}")
        elif self._step == "open" and job.label.startswith("Opening"):
            self._step = "detect"
            self.window.commands.detect_faces.trigger()
        elif self._step == "detect" and job.label == "Detecting faces":
            self._step = "settle"
            self.faces = len(self.window.doc.faces)
            self._maybe_done()

    def _maybe_done(self) -> None:
        if self._step == "settle" and self.report is not None:
            self._step = "done"
            QTimer.singleShot(SETTLE_MS, lambda: self._finish(None))

    def _finish(self, failure: Optional[str]) -> None:
        doc = self.window.doc
        problems = ([failure] if failure else []) + self.errors
        if self.report is not None:
            problems += self.report.model_problems
        if doc is None:
            problems.append("no photo is open")
        elif not self.faces:
            problems.append("no face was found")
        if self.report is not None:     # tests/dist/smoke_test.sh checks every manifest model is in this line
            print(f"smoke test: models present: {', '.join(self.report.models_present) or 'none'}")
        size = f"{doc.width}x{doc.height}" if doc is not None else "-"
        device = self.report.device if self.report is not None else "-"
        print(f"smoke test: opened {self.photo.name} ({size}), faces {self.faces}, models on {device}, "
              f"{'OK' if not problems else 'FAILED: ' + '; '.join(problems)}")
        self.app.exit(0 if not problems else 1)


def run_smoke_test(photo: Optional[str | Path], create_app) -> int:
    """Run the window unattended on `photo` (the shipped sample when None); returns the exit code."""
    with tempfile.TemporaryDirectory(prefix="veil-smoke-") as tmp:
        for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(fmt, QSettings.Scope.UserScope, tmp)
        QStandardPaths.setTestModeEnabled(True)
        app = create_app()
        window = MainWindow()
        if photo is None:
            photo = sample_photo()
            if photo is None:
                print("smoke test: FAILED: the sample photo is not shipped", file=sys.stderr)
                return 1
        window.show()
        test = SmokeTest(app, window, Path(photo))
        QTimer.singleShot(0, test.start)
        code = app.exec()
        window.runner.shutdown()
        window.setup.shutdown()
        return code
