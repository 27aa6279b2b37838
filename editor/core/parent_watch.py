"""Worker processes that die with their parent.

A batch's worker processes write outputs and the parent records them in the report. If the parent is killed
(SIGKILL, a closed terminal), orphaned workers would go on writing outputs that no report lists, and hold the CPU
for minutes. Each worker calls `die_with_parent(pid)` first: on Linux the kernel sends it SIGKILL the moment its
parent dies (PR_SET_PDEATHSIG); everywhere a watcher thread also checks the parent every WATCH_SECONDS, for systems
without prctl and for the moment before prctl took effect.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading

WATCH_SECONDS = 0.25
_PR_SET_PDEATHSIG = 1


def _kernel_kills_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the watcher thread below still ends the worker


def _parent_alive(parent_pid: int) -> bool:
    # An orphan is re-parented (to init or a subreaper), so its parent id changes. Windows keeps the old id (and
    # os.kill there terminates instead of probing): its workers end when the broken pipe to the parent is read.
    return os.name == "nt" or os.getppid() == parent_pid


def die_with_parent(parent_pid: int) -> None:
    """End this process (without cleanup: its parent, which would record its work, is gone) when `parent_pid` dies."""
    _kernel_kills_with_parent()
    if not _parent_alive(parent_pid):
        os._exit(1)

    def watch() -> None:
        stop = threading.Event()
        while not stop.wait(WATCH_SECONDS):
            if not _parent_alive(parent_pid):
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
