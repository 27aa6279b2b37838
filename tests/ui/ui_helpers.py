"""Test helpers: real input events (mouse, wheel, drop) and waiting for the window's jobs."""

from __future__ import annotations

import threading
import time
from typing import Optional, Sequence

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from editor.ui.canvas.canvas import Canvas
from editor.ui.main_window import MainWindow

JOB_TIMEOUT_MS = 30_000
MAX_UI_GAP_S = 0.050           # DESIGN.md: the UI thread never blocks for more than ~50 ms while a job runs


def _run_queue_wait_s() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (Linux schedstat; 0 elsewhere)."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class GapMeter:
    """A 5 ms timer on the UI thread; the largest interval between its ticks is the event loop's latency.

    `max_gap` is the wall-clock gap minus the time the OS kept the UI thread waiting for a CPU that other
    processes had (on a loaded 2-core test machine that alone can reach 100 ms); time spent waiting for the
    GIL or doing UI work still counts. `max_wall_gap` is the raw figure.
    """

    def __init__(self) -> None:
        self.max_gap = 0.0
        self.max_wall_gap = 0.0
        self.ticks = 0
        self._last: Optional[tuple[float, float]] = None
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now, waited = time.perf_counter(), _run_queue_wait_s()
        if self._last is not None:
            wall = now - self._last[0]
            self.max_wall_gap = max(self.max_wall_gap, wall)
            self.max_gap = max(self.max_gap, wall - (waited - self._last[1]))
        self._last = (now, waited)
        self.ticks += 1

    def __enter__(self) -> "GapMeter":
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.stop()

    def report(self) -> str:
        return f"UI thread blocked for {self.max_gap * 1000:.0f} ms (wall-clock gap {self.max_wall_gap * 1000:.0f} ms)"


def open_and_wait(qtbot, win: MainWindow, path) -> None:
    with qtbot.waitSignal(win.runner.finished, timeout=JOB_TIMEOUT_MS):
        win.open(path)


def wait_idle(qtbot, win: MainWindow) -> None:
    qtbot.waitUntil(lambda: not win.runner.busy, timeout=JOB_TIMEOUT_MS)


def widget_point(canvas: Canvas, x: float, y: float) -> QPoint:
    """The canvas pixel showing image pixel (x, y)."""
    return canvas.view.to_widget(QPointF(x, y)).toPoint()


def drag(widget: QWidget, points: Sequence[QPoint], button: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    """Press at the first point, move through the rest with the button held, release at the last."""
    QTest.mousePress(widget, button, Qt.KeyboardModifier.NoModifier, points[0])
    for p in points[1:]:
        move = QMouseEvent(QEvent.Type.MouseMove, QPointF(p), QPointF(widget.mapToGlobal(p)), Qt.MouseButton.NoButton,
                           button, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, move)
    QTest.mouseRelease(widget, button, Qt.KeyboardModifier.NoModifier, points[-1])


def line(a: QPoint, b: QPoint, steps: int = 12) -> list[QPoint]:
    return [QPoint(round(a.x() + (b.x() - a.x()) * i / steps), round(a.y() + (b.y() - a.y()) * i / steps))
            for i in range(steps + 1)]


def wheel(widget: QWidget, pos: QPoint, notches: float) -> None:
    event = QWheelEvent(QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, int(120 * notches)),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def file_drop(widget: QWidget, paths: Sequence[str]) -> tuple[bool, QDropEvent]:
    """Drag `paths` over `widget` and drop them; returns (drag accepted, the drop event)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPoint(widget.width() // 2, widget.height() // 2)
    enter = QDragEnterEvent(QPoint(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(QPoint(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    if enter.isAccepted():
        QApplication.sendEvent(widget, drop)
    return enter.isAccepted(), drop
