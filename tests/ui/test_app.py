"""run_app: the command line's entry point, and the one notifier for errors nobody caught."""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from editor.core.errors import ImageError
from editor.ui.app import run_app
from editor.ui.common.notifier import ErrorNotifier
from editor.ui.main_window import MainWindow


def _isolate_settings(tmp_path) -> None:
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "settings"))


def test_run_app_with_a_bad_file_shows_the_error_and_stays_usable(qtbot, dialog_log, tmp_path, sample_photo):
    _isolate_settings(tmp_path)
    bad = tmp_path / "empty.png"
    bad.write_bytes(b"")
    seen = {}

    def drive() -> None:
        win = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        qtbot.waitUntil(lambda: bool(dialog_log.errors), timeout=10_000)
        seen["visible_after_error"] = win.isVisible() and win.doc is None
        with qtbot.waitSignal(win.runner.finished, timeout=10_000):
            win.open(sample_photo)
        seen["opened"] = win.doc is not None and win.doc.path == sample_photo
        win.close()

    QTimer.singleShot(0, drive)
    assert run_app(str(bad)) == 0
    assert dialog_log.last_error == "empty.png is empty (0 bytes)."
    assert seen == {"visible_after_error": True, "opened": True}
    assert QCoreApplication.organizationName() == "Veil" and QCoreApplication.applicationName() == "Veil"


def test_errors_from_any_thread_reach_one_dialog(qtbot, dialog_log):
    notifier = ErrorNotifier()
    notifier.install()
    try:
        def fail_expected():
            raise ImageError("photo.tif uses the LAB colour mode, which Veil cannot open.")

        def fail_bug():
            raise ZeroDivisionError("division by zero")

        for target in (fail_expected, fail_bug):
            t = threading.Thread(target=target)
            t.start()
            t.join()
        qtbot.waitUntil(lambda: len(dialog_log.errors) == 2, timeout=5_000)
    finally:
        notifier.uninstall()
    assert dialog_log.errors[0] == ("photo.tif uses the LAB colour mode, which Veil cannot open.", None)
    message, details = dialog_log.errors[1]
    assert message.startswith("Something unexpected went wrong") and "ZeroDivisionError" in details
