"""What the batch commands (`veil anonymize`, `veil unmask` on folders) print: a progress bar on stderr, the run's
share of the work and the photos to look at on stdout."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable

MAX_LISTED = 50           # photos to review printed by name; a big archive's full list is in the report


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


def print_this_run(summary: dict) -> None:
    print(f"This run: {summary['done_this_run']} photo(s) done, {summary['skipped_finished']} already done in an "
          "earlier run.")


def print_review(batch) -> None:
    """The report entries a person must look at, at most MAX_LISTED by name."""
    review = batch.needs_review()
    if review:
        print("To review:")
    for entry in review[:MAX_LISTED]:
        print(f"  {entry.get('source')}: {entry.get('status')}: {entry.get('message')}")
    if len(review) > MAX_LISTED:
        print(f"  ... and {len(review) - MAX_LISTED} more, listed in the report.")
