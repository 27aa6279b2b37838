"""The job runner keeps the UI responsive, reports progress, cancels, and reports errors in one place."""

from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtTest import QTest
from ui_helpers import TickCounter, gil_heavy_job

from editor.core.errors import ImageError

STEPS = 60


def test_event_loop_keeps_running_between_the_steps_of_a_long_job(qtbot, window):
    """A job that holds the GIL in pure Python for most of each step runs in a worker, and the UI thread's timer
    keeps ticking between its steps: the ticks see the job at many different steps, not only before and after."""
    done: list = []
    results = []
    threads = []

    def job(ctx):
        threads.append(threading.current_thread())
        return gil_heavy_job(STEPS, done)(ctx)

    with TickCounter(lambda: len(done)) as ticks:
        with qtbot.waitSignal(window.runner.finished, timeout=60_000):
            window.runner.submit("Crunching", job, results.append)
            assert window.job_bar.isVisible() and window.job_bar.cancel_button.isEnabled()
    assert threads[0] is not threading.main_thread()
    assert len(done) == STEPS and len(results) == 1 and np.isfinite(results[0])      # the result applied once
    steps_seen = {n for n in ticks.seen if 0 < n < STEPS}
    assert len(steps_seen) >= STEPS // 6, f"the UI thread ticked at only {len(steps_seen)} of the {STEPS} steps"
    assert not window.job_bar.isVisible()


def test_progress_reaches_the_bar_and_cancel_stops_the_job(qtbot, window, dialog_log):
    done: list = []
    window.runner.submit("Crunching", gil_heavy_job(2000, done), lambda r: None)
    bar = window.job_bar
    qtbot.waitUntil(lambda: bar.value >= 0.01, timeout=30_000)
    assert bar.label.text().startswith("Crunching step")
    with qtbot.waitSignal(window.runner.finished, timeout=10_000) as blocker:
        QTest.mouseClick(bar.cancel_button, Qt.MouseButton.LeftButton)      # a click handled while the job runs
    assert blocker.args[1] == "cancelled"
    stopped_at = len(done)
    assert stopped_at < 2000
    assert "cancelled" in window.statusBar().currentMessage()
    assert dialog_log.errors == []                       # a cancel is not an error
    assert not bar.isVisible() and not window.canvas.read_only


def test_results_and_errors_arrive_on_the_ui_thread(qtbot, window, dialog_log):
    seen = []
    with qtbot.waitSignal(window.runner.finished, timeout=10_000):
        window.runner.submit("Answer", lambda ctx: threading.current_thread(),
                             lambda worker: seen.append((worker, threading.current_thread())))
    worker, receiver = seen[0]
    assert worker is not threading.main_thread() and receiver is threading.main_thread()

    def fail(ctx):
        raise ImageError("holiday.jpg is not a supported image (JPEG, PNG, WebP, TIFF or BMP).")

    errors = []
    with qtbot.waitSignal(window.runner.finished, timeout=10_000) as blocker:
        window.runner.submit("Opening holiday.jpg", fail, lambda r: None, errors.append)
    assert blocker.args[1] == "failed" and isinstance(errors[0], ImageError)
    assert dialog_log.errors[-1] == ("holiday.jpg is not a supported image (JPEG, PNG, WebP, TIFF or BMP).", None)


def test_an_unexpected_exception_shows_a_sentence_and_details(qtbot, window, dialog_log):
    def crash(ctx):
        return {}["missing"]

    with qtbot.waitSignal(window.runner.finished, timeout=10_000):
        window.runner.submit("Filling the masked area", crash, lambda r: None)
    message, details = dialog_log.errors[-1]
    assert message == "Filling the masked area failed because of an internal error."
    assert "KeyError: 'missing'" in details


def test_shutdown_cancels_and_waits_for_workers(window):
    finished = threading.Event()

    def endless(ctx):
        try:
            while True:
                ctx.progress(0.5, "looping")
                time.sleep(0.001)
        finally:
            finished.set()

    window.runner.submit("Endless", endless, lambda r: None)
    assert window.runner.shutdown(10_000)
    assert finished.is_set()


def test_document_events_from_a_worker_reach_widgets_on_the_ui_thread(qtbot, opened):
    """Save marks the document clean from the worker; widgets (QObjects) must still update on the UI thread."""

    class Recorder(QObject):
        def __init__(self):
            super().__init__()
            self.seen = []

        def record(self, event, rect):
            self.seen.append((event, threading.current_thread()))

    recorder = Recorder()
    opened.bridge.changed.connect(recorder.record)
    with qtbot.waitSignal(opened.runner.finished, timeout=10_000):
        opened.runner.submit("Mark saved", lambda ctx: opened.doc.mark_saved(opened.doc.path), lambda r: None)
    qtbot.waitUntil(lambda: len(recorder.seen) == 2)
    assert recorder.seen == [("path", threading.main_thread()), ("history", threading.main_thread())]
