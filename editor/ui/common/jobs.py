"""The one way the window runs work off the UI thread: `JobRunner.submit(label, fn, on_done, on_error)`.

`fn(ctx)` runs in a QThreadPool with a JobContext; progress, results and errors come back as queued signals, so
`on_done` / `on_error` and every widget update run on the UI thread. Workers get arrays, never widgets; while a
job runs the window blocks document edits (`busy_changed`), so a worker may read document arrays without a copy.
Expected failures (VeilError) show their one sentence; a cancel is only a status message; anything else shows a
short sentence with the traceback as details.
"""

from __future__ import annotations

import threading
import time
import traceback
from typing import Any, Callable, Optional

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QWidget

from editor.core.errors import Cancelled, VeilError
from editor.core.progress import JobContext

from . import dialogs

PROGRESS_INTERVAL_S = 0.03      # at most ~30 progress signals a second reach the UI


class Job(QObject):
    """One submitted job. It lives on the UI thread, so its worker's signals are queued to the UI thread."""

    progressed = Signal(float, str)
    _succeeded = Signal(object)
    _failed = Signal(object, str)

    def __init__(self, label: str, ctx: JobContext, runner: "JobRunner", on_done: Callable[[Any], None],
                 on_error: Optional[Callable[[BaseException], None]]) -> None:
        super().__init__(runner)   # owned by the runner: never destroyed on the worker thread that drops it
        self.label = label
        self.ctx = ctx
        self._runner = runner
        self._on_done = on_done
        self._on_error = on_error
        self._succeeded.connect(self._deliver_result)
        self._failed.connect(self._deliver_error)

    def cancel(self) -> None:
        self.ctx.cancel()

    @Slot(object)
    def _deliver_result(self, result: Any) -> None:
        self._runner._finish(self, "done", lambda: self._on_done(result))

    @Slot(object, str)
    def _deliver_error(self, exc: BaseException, details: str) -> None:
        outcome = "cancelled" if isinstance(exc, Cancelled) else "failed"
        self._runner._finish(self, outcome, lambda: self._runner._report(self, exc, details, self._on_error))


class _Worker(QRunnable):
    def __init__(self, job: Job, fn: Callable[[JobContext], Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._job = job
        self._fn = fn

    def run(self) -> None:  # worker thread
        try:
            result = self._fn(self._job.ctx)
        except BaseException as exc:  # every failure must reach the UI, never die silently in the pool
            self._job._failed.emit(exc, traceback.format_exc())
        else:
            self._job._succeeded.emit(result)


class JobRunner(QObject):
    started = Signal(object)            # Job
    finished = Signal(object, str)      # Job, outcome: "done" | "cancelled" | "failed"
    busy_changed = Signal(bool)
    status_message = Signal(str)

    def __init__(self, parent_widget: Optional[QWidget] = None) -> None:
        super().__init__()
        self._parent_widget = parent_widget
        self._pool = QThreadPool()      # our own pool: closing waits only for our jobs
        self._pool.setMaxThreadCount(2)
        self._jobs: list[Job] = []

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    @property
    def jobs(self) -> list[Job]:
        return list(self._jobs)

    def submit(self, label: str, fn: Callable[[JobContext], Any], on_done: Callable[[Any], None],
               on_error: Optional[Callable[[BaseException], None]] = None) -> Job:
        """Run `fn(ctx)` in a worker; `on_done(result)` or `on_error(exc)` then runs on the UI thread."""
        ctx = JobContext()
        job = Job(label, ctx, self, on_done, on_error)
        ctx.on_progress = _throttled(job.progressed.emit)
        was_busy = self.busy
        self._jobs.append(job)
        self.started.emit(job)
        if not was_busy:
            self.busy_changed.emit(True)
        self._pool.start(_Worker(job, fn))
        return job

    def cancel_all(self) -> None:
        for job in self._jobs:
            job.cancel()

    def shutdown(self, timeout_ms: int = -1) -> bool:
        """Cancel every job and wait for the workers to stop (never terminates a thread)."""
        self.cancel_all()
        return self._pool.waitForDone(timeout_ms)

    def _finish(self, job: Job, outcome: str, then: Callable[[], None]) -> None:
        if job not in self._jobs:
            return
        self._jobs.remove(job)
        try:
            then()
        finally:
            self.finished.emit(job, outcome)
            if not self._jobs:
                self.busy_changed.emit(False)
            job.deleteLater()          # on the UI thread, once every slot of `finished` has run

    def _report(self, job: Job, exc: BaseException, details: str,
                on_error: Optional[Callable[[BaseException], None]]) -> None:
        if on_error is not None:
            on_error(exc)
        if isinstance(exc, Cancelled):
            self.status_message.emit(f"{job.label}: cancelled.")
        elif isinstance(exc, VeilError):
            dialogs.show_error(self._parent_widget, str(exc))
        else:
            dialogs.show_error(self._parent_widget, f"{job.label} failed because of an internal error.",
                               details=details)


def _throttled(emit: Callable[[float, str], None]) -> Callable[[float, str], None]:
    """Forward progress at most every PROGRESS_INTERVAL_S, but always the first, the last and text changes."""
    state = {"t": 0.0, "text": None}
    lock = threading.Lock()

    def forward(fraction: float, text: str) -> None:
        now = time.monotonic()
        with lock:
            if fraction < 1.0 and text == state["text"] and now - state["t"] < PROGRESS_INTERVAL_S:
                return
            state["t"], state["text"] = now, text
        emit(fraction, text)

    return forward
