"""One place where errors nobody caught (UI thread or any other thread) become a dialog, not a silent crash."""

from __future__ import annotations

import sys
import threading
import traceback
from types import TracebackType
from typing import Callable, Optional, Type

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from editor.core.errors import VeilError

from . import dialogs


class ErrorNotifier(QObject):
    """Installs sys.excepthook and threading.excepthook; shows each error on the UI thread."""

    _report = Signal(str, str)

    def __init__(self, parent_widget: Callable[[], Optional[QWidget]] = lambda: None) -> None:
        super().__init__()
        self._parent_widget = parent_widget
        self._report.connect(self._show)
        self._previous: Optional[tuple] = None

    def install(self) -> None:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._on_exception
        threading.excepthook = lambda args: self._on_exception(args.exc_type, args.exc_value, args.exc_traceback)

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def _on_exception(self, exc_type: Type[BaseException], exc: Optional[BaseException],
                      tb: Optional[TracebackType]) -> None:
        if exc_type is KeyboardInterrupt or exc_type is SystemExit:
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(details)
        if isinstance(exc, VeilError):
            self._report.emit(str(exc), "")
        else:
            self._report.emit("Something unexpected went wrong in Veil; the details help to report it.", details)

    @Slot(str, str)
    def _show(self, message: str, details: str) -> None:
        dialogs.show_error(self._parent_widget(), message, details or None)
