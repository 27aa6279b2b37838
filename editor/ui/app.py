"""Start the editor: `run_app(path)` builds the application, the error notifier and the window, then runs Qt."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from editor import __version__
from editor.services.faces import isolate_face_models
from editor.services.runtime_setup import resource_path

from .common.notifier import ErrorNotifier
from .common.theme import apply_theme
from .main_window import MainWindow
from .smoke_test import ENV as SMOKE_TEST_ENV
from .smoke_test import run_smoke_test


def create_app(argv: Optional[list[str]] = None) -> QApplication:
    """The QApplication with Veil's names (they locate QSettings) and theme; reuses one that exists."""
    QCoreApplication.setOrganizationName("Veil")
    QCoreApplication.setApplicationName("Veil")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationDisplayName("Veil")
    app.setDesktopFileName("veil")       # resources/veil.desktop: Wayland compositors find the icon through it
    app.setWindowIcon(app_icon())
    apply_theme(app)
    return app


def app_icon() -> QIcon:
    """Veil's icon at every size shipped in resources/icons (empty when they are not installed)."""
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        path = resource_path(f"icons/veil-{size}.png")
        if path.is_file():
            icon.addFile(str(path))
    return icon


def run_app(image_path: Optional[str | Path] = None) -> int:
    """Open the editor (on `image_path` if given) and return the exit code when the window closes.

    With VEIL_SMOKE_TEST=1 the window opens the photo (or the sample), detects faces and exits by itself.
    """
    isolate_face_models()                # dlib loads in a child process: the window never freezes on it
    if os.environ.get(SMOKE_TEST_ENV) == "1":
        return run_smoke_test(image_path, create_app)
    app = create_app()
    window = MainWindow()
    notifier = ErrorNotifier(lambda: window)
    notifier.install()
    window.show()
    window.setup.start_checks()          # models and device, in a worker: problems are shown once
    if image_path:
        window.open(image_path)          # a bad file shows a dialog; the window stays open and usable
    try:
        return app.exec()
    finally:
        notifier.uninstall()
