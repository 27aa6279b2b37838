"""What the commands print on stderr while they work: a percentage line for one photo's job (`percent_printer`)
and a bar of photos done for a folder batch (`ProgressBar`).

Both redraw one line on a terminal. Written to a log instead, the percentage line would only add noise, so it is
left out; the batch bar writes one line per photo there.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, Optional, TextIO


def percent_printer(stream: Optional[TextIO] = None) -> Callable[[float, str], None]:
    """A JobContext progress callback: `" 42% what it does"`, redrawn in place on `stream` (stderr) when it is a
    terminal; it prints nothing otherwise."""
    out = stream if stream is not None else sys.stderr
    tty = out.isatty()

    def show(fraction: float, text: str) -> None:
        if tty:
            out.write(f"\r{int(fraction * 100):3d}% {text:<40.40}" + ("\n" if fraction >= 1.0 else ""))
            out.flush()
    return show


class ProgressBar:
    """Photos done of the total, faces found, rate, time left and failures (the same for a local run and a Ray
    cluster): one redrawn line on a terminal; one line per photo otherwise (logs)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.tty = sys.stderr.isatty()
        self.clock = clock
        self.started = clock()
        self.faces = 0
        self.failed = 0

    def __call__(self, report, done: int, total: int) -> None:
        self.faces += int(getattr(report, "faces", 0) or 0)
        self.failed += report.status == "error"
        name = Path(report.source).name
        elapsed = max(self.clock() - self.started, 1e-6)
        rate = done / elapsed
        left = _duration((total - done) / rate) if rate > 0 else "?"
        numbers = f"{self.faces} face(s), {rate:.2f} photos/s, {left} left, {self.failed} failed"
        if self.tty:
            filled = int(30 * done / max(total, 1))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {numbers} {name:<24.24}")
            if done == total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(f"{done}/{total} {report.source}: {report.status}"
                             + (f" ({report.message})" if report.message else "") + f" | {numbers}\n")
        sys.stderr.flush()

    def note(self, text: str) -> None:
        """A line about the run itself (a lost Ray worker, a retry), below the bar."""
        sys.stderr.write(("\n" if self.tty else "") + f"note: {text}\n")
        sys.stderr.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
