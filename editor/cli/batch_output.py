"""What the batch commands (`veil anonymize`, `veil unmask` on folders) print on stdout: the run's share of the work
and the photos to look at (their progress bar is progress.ProgressBar, on stderr)."""

from __future__ import annotations

MAX_LISTED = 50           # photos to review printed by name; a big archive's full list is in the report


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
