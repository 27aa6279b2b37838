"""Run GIL-holding model code (dlib) in a child process, so the editor's UI thread never stalls.

dlib keeps Python's GIL for the whole of a model load (2.0 s for the 68-point predictor, 0.7 s for the
recognizer, measured) and for every call. In the GUI that froze the window however the work was threaded.
A spawned child owns those models; the parent sends small crops over a pipe (a few ms) and only waits.
The CLI and batch jobs keep calling dlib in-process: they have no UI thread to protect.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import multiprocessing as mp
import threading
from typing import Any, Optional

from editor.core.errors import ModelError

log = logging.getLogger(__name__)


def _serve(conn, warm: tuple[str, ...]) -> None:  # runs in the child
    for target in warm:
        try:
            _resolve(target)()
        except Exception as exc:  # noqa: BLE001 - reported on the first real call instead
            log.warning("Warm-up %s failed: %s", target, exc)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        target, args = request
        try:
            conn.send(("ok", _resolve(target)(*args)))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the caller
            try:
                conn.send(("error", exc))
            except Exception:  # noqa: BLE001 - an exception that cannot be pickled
                conn.send(("error", RuntimeError(str(exc))))


def _resolve(target: str):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


class ModelHost:
    """One child process answering `call("package.module:function", *args)`, one request at a time."""

    def __init__(self, warm: tuple[str, ...] = ()) -> None:
        self._warm = warm
        self._lock = threading.Lock()
        self._proc: Optional[mp.process.BaseProcess] = None
        self._conn = None

    def start(self) -> None:
        """Start the child now (returns at once; it loads its models in the background)."""
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, self._warm), name="veil-models", daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

    def call(self, target: str, *args: Any) -> Any:
        with self._lock:
            for attempt in (1, 2):
                self._ensure_started()
                try:
                    self._conn.send((target, args))
                    status, value = self._conn.recv()
                    break
                except (EOFError, OSError, BrokenPipeError) as exc:
                    log.warning("The model process stopped (%s); restarting it.", exc)
                    self._kill()
                    if attempt == 2:
                        raise ModelError("The face model process stopped unexpectedly; try again.") from exc
        if status == "error":
            raise value
        return value

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(timeout=5)
        self._proc, self._conn = None, None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.send(None)
                except (OSError, BrokenPipeError):
                    pass
            if self._proc is not None:
                self._proc.join(timeout=5)
                if self._proc.is_alive():
                    self._proc.kill()
            self._proc, self._conn = None, None

    @property
    def pid(self) -> Optional[int]:
        return self._proc.pid if self._proc is not None and self._proc.is_alive() else None


_host: Optional[ModelHost] = None
_host_lock = threading.Lock()
WARM_UP = ("editor.vision.landmarks:default_predictor",)


def isolated_host() -> Optional[ModelHost]:
    """The process-wide host when isolation is on (the GUI), else None (CLI, tests, batch)."""
    return _host


def enable_isolation(extra_warm: tuple[str, ...] = ()) -> ModelHost:
    """Move dlib work of this process into a child process and start loading its models now."""
    global _host
    with _host_lock:
        if _host is None:
            _host = ModelHost(WARM_UP + extra_warm)
            atexit.register(_host.close)
        _host.start()
        return _host


def disable_isolation() -> None:
    global _host
    with _host_lock:
        if _host is not None:
            _host.close()
            _host = None
