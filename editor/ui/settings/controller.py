"""Preferences in the running window: restores and keeps the brush, applies the device choice to the runtime,
runs the start-up checks, and opens Settings, About and the sample photo.

The checks run in their own JobRunner, so they never make the window busy: a photo opened at start (the command
line, the smoke test) opens while the models are still being verified.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

from editor.services.runtime_setup import resource_path, set_preference
from editor.services.vault_service import VaultService

from ..canvas.tools import BrushSettings
from ..common import dialogs
from ..common.jobs import JobRunner
from ..document.recent_files import RecentFiles
from .about_dialog import AboutDialog
from .dialog import SettingsDialog
from .preferences import DEVICE, DEVICE_LABELS, Preferences
from .startup_checks import StartupReport, device_report, run_startup_checks

SAMPLE_NAME = "sample.jpg"
NOT_CHECKED = "not checked yet"


def sample_photo() -> Optional[Path]:
    """A private copy of the shipped sample photo (so Save never writes into the app), or None if not shipped."""
    source = resource_path(SAMPLE_NAME)
    if not source.is_file():
        return None
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation))
    target = folder / SAMPLE_NAME
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)        # a 60 kB file: fine on the UI thread
    return target


class SettingsController(QObject):
    checks_done = Signal(object)            # StartupReport

    def __init__(self, window: QWidget, settings: QSettings, brush: BrushSettings, recent: RecentFiles,
                 status_bar: QStatusBar) -> None:
        super().__init__()
        self._window = window
        self._recent = recent
        self.preferences = Preferences(settings, parent=window)
        self.checks = JobRunner(window)
        self.device: Optional[str] = None               # where models run, once checked
        self.report: Optional[StartupReport] = None
        self._about: Optional[AboutDialog] = None

        prefs = self.preferences
        brush.set_size(prefs.brush_size)
        brush.set_hardness(prefs.brush_hardness)
        brush.changed.connect(lambda: self._store_brush(brush))
        set_preference(prefs.device)
        prefs.changed.connect(self._on_changed)

        self.device_warning = QLabel()
        self.device_warning.setObjectName("deviceWarning")
        self.device_warning.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.device_warning.hide()
        status_bar.addPermanentWidget(self.device_warning, 1)

    # -- start-up ---------------------------------------------------------------------------------------------------
    def start_checks(self) -> None:
        """Verify the models and find the device in a worker; problems are shown once, the window stays usable."""
        self.checks.submit("Checking the models", run_startup_checks, self._on_report)

    def _on_report(self, report: StartupReport) -> None:
        self.report = report
        problems = report.model_problems
        if problems:
            dialogs.show_error(self._window, problems[0], details="\n".join(problems) if len(problems) > 1 else None)
        self._show_device((report.device, report.device_problem))
        self.checks_done.emit(report)

    def _check_device(self) -> None:
        self.device = None
        self.checks.submit("Checking the device", lambda ctx: device_report(), self._show_device)

    def _show_device(self, result: tuple[str, Optional[str]]) -> None:
        self.device, problem = result
        self.device_warning.setText(problem or "")
        self.device_warning.setToolTip(problem or "")
        self.device_warning.setVisible(bool(problem))       # stays until the device or the setting changes
        if self._about is not None:
            self._about.set_device(self.device_text())

    def device_text(self) -> str:
        """E.g. "CPU (setting: Auto (GPU when available))"."""
        return f"{self.device or NOT_CHECKED} (setting: {DEVICE_LABELS[self.preferences.device]})"

    # -- changes ----------------------------------------------------------------------------------------------------
    def _store_brush(self, brush: BrushSettings) -> None:
        self.preferences.brush_size = brush.size
        self.preferences.brush_hardness = brush.hardness

    def _on_changed(self, key: str) -> None:
        if key == DEVICE:
            set_preference(self.preferences.device)
            self._check_device()

    # -- commands ---------------------------------------------------------------------------------------------------
    def open_settings(self, vault: VaultService) -> None:
        note = f"Models run on {self.device}." if self.device else ""
        SettingsDialog(self._window, self.preferences, self._recent, vault, note).exec()

    def open_about(self) -> None:
        self._about = AboutDialog(self._window, self.device_text())
        if self.device is None and not self.checks.busy:
            self._check_device()
        try:
            self._about.exec()
        finally:
            self._about.deleteLater()
            self._about = None

    def shutdown(self) -> None:
        self.checks.shutdown()
        self.preferences.sync()
