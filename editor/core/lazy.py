"""A process-wide value made on first use, once, however many threads ask for it at the same time.

Models take seconds to load and hundreds of megabytes to hold, so each is loaded once per process and only
when a job first needs it. Jobs run on worker threads, so two of them may ask at the same moment: the lock
makes the second wait for the first load instead of starting another.
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, Optional, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    """`factory()` runs on the first `get()`; every later `get()` returns that same value until `reset()`.

    A factory that raises leaves nothing behind: the next `get()` tries again (a model file repaired or a
    models folder set after a failed load is picked up without a restart).
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._value: Optional[T] = None
        self._made = False

    def get(self) -> T:
        if self._made:                  # the common case takes no lock
            return self._value          # type: ignore[return-value]
        with self._lock:
            if not self._made:
                self._value = self._factory()
                self._made = True
            return self._value          # type: ignore[return-value]

    def reset(self) -> None:
        """Forget the value: the next `get()` makes a fresh one (a new models folder, a test's clean start)."""
        with self._lock:
            self._value, self._made = None, False
