"""Keys that act while held (space = pan, backslash = before/after), wherever the focus is in the window.

A QAction shortcut only sees the press; holding needs the release too, and must work even when a spin box in
the tool bar has the focus. Text fields keep their keys.
"""

from __future__ import annotations

from typing import Callable, Dict

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

HoldHandler = Callable[[bool], None]
_TEXT_INPUTS = (QLineEdit, QTextEdit, QPlainTextEdit)


class KeyHoldFilter(QObject):
    """Application event filter calling `handler(True)` on press and `handler(False)` on release of a key."""

    def __init__(self, window: QWidget, handlers: Dict[Qt.Key, HoldHandler]) -> None:
        super().__init__(window)
        self._window = window
        self._handlers = handlers
        self._held: set[int] = set()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            if kind == QEvent.Type.ApplicationDeactivate and self._held:
                self._release_all()            # a release we will never see (alt-tab while holding)
            return False
        key = event.key()
        handler = self._handlers.get(Qt.Key(key))
        if handler is None or not isinstance(obj, QWidget) or obj.window() is not self._window:
            return False
        if kind == QEvent.Type.KeyPress and self._is_typing(obj):
            return False
        if event.isAutoRepeat():
            return True
        pressed = kind == QEvent.Type.KeyPress
        if pressed == (key in self._held):
            return True                         # duplicate delivery while the event propagates
        (self._held.add if pressed else self._held.discard)(key)
        handler(pressed)
        return True

    @staticmethod
    def _is_typing(widget: QWidget) -> bool:
        focus = QApplication.focusWidget() or widget
        if isinstance(focus, QComboBox):
            return focus.isEditable()
        return isinstance(focus, _TEXT_INPUTS)

    def _release_all(self) -> None:
        for key in list(self._held):
            self._held.discard(key)
            self._handlers[Qt.Key(key)](False)
