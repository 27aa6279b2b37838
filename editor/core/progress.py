"""Progress reporting and cooperative cancellation for long jobs, free of Qt.

Engines and services take a `JobContext` and call `ctx.progress(fraction, text)` between steps; the call
raises `Cancelled` once the user asked to stop, so cancellation needs no extra checks in the caller.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

from .errors import Cancelled

ProgressCallback = Callable[[float, str], None]


@dataclass
class JobContext:
    on_progress: Optional[ProgressCallback] = None
    _cancel: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def progress(self, fraction: float, text: str = "") -> None:
        self.check()
        if self.on_progress is not None:
            self.on_progress(max(0.0, min(1.0, float(fraction))), text)

    def sub(self, start: float, end: float) -> "JobContext":
        """A context whose 0..1 progress maps onto [start, end] of this one and shares its cancel flag."""
        parent = self

        def forward(fraction: float, text: str) -> None:
            if parent.on_progress is not None:
                parent.on_progress(start + (end - start) * fraction, text)

        return JobContext(on_progress=forward, _cancel=self._cancel)


NULL_CONTEXT_FACTORY = JobContext
