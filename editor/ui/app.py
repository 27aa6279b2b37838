"""Start the editor: `run_app(path)` builds the application, the error notifier and the window, then runs Qt."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from editor import __version__

from .main_window import MainWindow
from .notifier import ErrorNotifier
from .theme import apply_theme


def create_app(argv: Optional[list[str]] = None) -> QApplication:
    """The QApplication with Veil's names (they locate QSettings) and theme; reuses one that exists."""
    QCoreApplication.setOrganizationName("Veil")
    QCoreApplication.setApplicationName("Veil")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationDisplayName("Veil")
    apply_theme(app)
    return app


def run_app(image_path: Optional[str | Path] = None) -> int:
    """Open the editor (on `image_path` if given) and return the exit code when the window closes."""
    app = create_app()
    window = MainWindow()
    notifier = ErrorNotifier(lambda: window)
    notifier.install()
    window.show()
    if image_path:
        window.open(image_path)          # a bad file shows a dialog; the window stays open and usable
    try:
        return app.exec()
    finally:
        notifier.uninstall()
