"""Window fixtures: a MainWindow with private settings and recorded dialogs, plus helpers to wait on jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from editor.ui.common import dialogs
from editor.ui.main_window import MainWindow
from ui_helpers import open_and_wait


@dataclass
class DialogLog:
    """What the user would have been shown or asked; answers are set by the test."""

    errors: List[Tuple[str, Optional[str]]] = field(default_factory=list)
    save_changes_asked: List[str] = field(default_factory=list)
    save_changes_answer: str = "discard"
    open_path: Optional[str] = None
    save_path: Optional[str] = None
    export_choice: Optional[Tuple[str, str]] = None

    @property
    def last_error(self) -> Optional[str]:
        return self.errors[-1][0] if self.errors else None


@pytest.fixture
def dialog_log(monkeypatch) -> DialogLog:
    log = DialogLog()
    monkeypatch.setattr(dialogs, "show_error", lambda parent, message, details=None: log.errors.append(
        (message, details)))

    def ask_save_changes(parent, name):
        log.save_changes_asked.append(name)
        return log.save_changes_answer

    monkeypatch.setattr(dialogs, "ask_save_changes", ask_save_changes)
    monkeypatch.setattr(dialogs, "ask_open_path", lambda parent, start_dir="", title="": log.open_path)
    monkeypatch.setattr(dialogs, "ask_save_path", lambda parent, suggested, title="": log.save_path)
    monkeypatch.setattr(dialogs, "ask_export", lambda parent, suggested: log.export_choice)
    return log


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "veil-test.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings, dialog_log) -> MainWindow:
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.resize(1100, 760)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    yield win
    dialog_log.save_changes_answer = "discard"      # close now, while the dialogs are still recorded
    win.close()
    win.runner.shutdown()


@pytest.fixture
def opened(qtbot, window, sample_photo) -> MainWindow:
    """The window with the sample photo open."""
    open_and_wait(qtbot, window, sample_photo)
    assert window.doc is not None
    return window
