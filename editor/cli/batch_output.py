"""What the batch commands (`veil anonymize`, `veil unmask` on folders) print: a progress bar on stderr, the run's
share of the work and the photos to look at on stdout."""

from __future__ import annotations

import sys
from pathlib import Path

MAX_LISTED = 50           # photos to review printed by name; a big archive's full list is in the report


class ProgressBar:
    """One redrawn line on a terminal; one line per photo otherwise (logs)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, report, done: int, total: int) -> None:
        name = Path(report.source).name
        if self.tty:
            filled = int(30 * done / max(total, 1))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {name:<30.30}")
            if done == total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(f"{done}/{total} {report.source}: {report.status}"
                             + (f" ({report.message})" if report.message else "") + "\n")
        sys.stderr.flush()


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
