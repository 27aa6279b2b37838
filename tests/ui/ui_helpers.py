"""Test helpers: real input events (mouse, wheel, drop), waiting for the window's jobs, and what the UI thread did
while a job ran (timer ticks counted by the tests, gaps timed by the benchmark)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional, Sequence

import numpy as np
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from editor.ui.canvas.canvas import Canvas
from editor.ui.main_window import MainWindow

JOB_TIMEOUT_MS = 30_000
TICK_MS = 5


def _run_queue_wait_s() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (Linux schedstat; 0 elsewhere)."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def gil_heavy_job(steps: int, done: list) -> Callable[[Any], float]:
    """A job of `steps` steps of mixed numpy and pure-Python work (about 15 ms each), reporting progress between
    steps and appending each finished step's index to `done`."""
    start = np.random.default_rng(0).random(400_000)      # made here: the job measures work, not imports

    def run(ctx) -> float:
        data = start
        total = 0
        for i in range(steps):
            ctx.progress(i / steps, f"Crunching step {i + 1} of {steps}")
            data = np.sort(np.sin(data) + 0.5)
            for k in range(30_000):          # holds the GIL: the UI thread only gets it when the interpreter switches
                total += k * k
            done.append(i)
        ctx.progress(1.0, "Crunched")
        return float(data.sum()) + total

    return run


class TickCounter:
    """A 5 ms timer on the UI thread that records `probe()` at each of its ticks.

    A timer only ticks while the event loop runs, so ticks recorded while a job is busy show the loop kept running
    during the job: work done on the UI thread, or holding the GIL throughout, lets none through however long it
    takes. Counts, not milliseconds: how long the loop may pause is the benchmark's measure (bench/ui_latency.py).
    """

    def __init__(self, probe: Callable[[], Any]) -> None:
        self.probe = probe
        self.seen: list = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(lambda: self.seen.append(self.probe()))

    def __enter__(self) -> "TickCounter":
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.stop()


class GapMeter:
    """A 5 ms timer on the UI thread; the largest interval between its ticks is the event loop's latency (the
    benchmark's measure: bench/ui_latency.py).

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
        self._timer.setInterval(TICK_MS)
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
