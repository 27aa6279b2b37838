"""Lazy: one value per process, made once however many threads ask at the same moment."""

from __future__ import annotations

import threading
import time

import pytest

from editor.core.lazy import Lazy

THREADS = 32


class SlowFactory:
    """Counts its calls and takes long enough that every thread asks while the first call is still running."""

    def __init__(self) -> None:
        self.calls = 0
        self.started = threading.Event()

    def __call__(self) -> object:
        self.calls += 1
        self.started.set()
        time.sleep(0.2)
        return object()


def get_from_many_threads(lazy: Lazy) -> list:
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def ask(i: int) -> None:
        barrier.wait()
        results[i] = lazy.get()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return results


def test_many_threads_at_once_run_the_factory_once_and_share_its_value():
    factory = SlowFactory()
    lazy = Lazy(factory)
    results = get_from_many_threads(lazy)
    assert factory.calls == 1
    assert all(r is results[0] for r in results) and results[0] is not None
    assert lazy.get() is results[0] and factory.calls == 1


def test_nothing_is_made_before_the_first_get():
    factory = SlowFactory()
    Lazy(factory)
    assert factory.calls == 0


def test_reset_makes_a_fresh_value_on_the_next_get():
    factory = SlowFactory()
    lazy = Lazy(factory)
    first = lazy.get()
    lazy.reset()
    assert factory.calls == 1                      # reset itself makes nothing
    second = get_from_many_threads(lazy)
    assert factory.calls == 2 and second[0] is not first and all(r is second[0] for r in second)


def test_a_failing_factory_leaves_nothing_behind_and_is_tried_again():
    attempts = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("model file missing")
        return "loaded"

    lazy = Lazy(flaky)
    with pytest.raises(OSError, match="model file missing"):
        lazy.get()
    assert lazy.get() == "loaded" and lazy.get() == "loaded" and len(attempts) == 2


def test_reset_of_a_shipped_singleton_reads_the_file_again():
    from editor.anonymize import thresholds

    first = thresholds.shipped_thresholds()
    assert thresholds.shipped_thresholds() is first
    thresholds._shipped.reset()
    again = thresholds.shipped_thresholds()
    assert again is not first and again == first
