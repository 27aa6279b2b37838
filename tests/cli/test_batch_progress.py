"""What the commands print while they work: one photo's percentage line (a terminal only), and the batch commands'
progress line: photos done of the total, faces found, rate, time left and failures, the same for a local run and a
Ray cluster."""

from __future__ import annotations

import os
import select

from editor.cli.progress import ProgressBar, percent_printer
from editor.services.anonymize_batch import FileReport


def test_progress_counts_faces_and_failures_and_estimates_the_time_left(capsys):
    now = [100.0]
    bar = ProgressBar(clock=lambda: now[0])
    reports = [FileReport("/a/1.jpg", "/o/1.jpg", "anonymized", faces=3, anonymized=3),
               FileReport("/a/2.jpg", None, "error", message="not an image"),
               FileReport("/a/3.jpg", "/o/3.jpg", "flagged", faces=2, anonymized=1, flagged=1)]
    for done, report in enumerate(reports, 1):
        now[0] += 4.0                          # one photo every 4 s: 0.25 photos/s
        bar(report, done, 10)
    bar.note("a Ray worker was lost")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "1/10 /a/1.jpg: anonymized | 3 face(s), 0.25 photos/s, 36 s left, 0 failed"
    assert lines[1] == "2/10 /a/2.jpg: error (not an image) | 3 face(s), 0.25 photos/s, 32 s left, 1 failed"
    assert lines[2] == "3/10 /a/3.jpg: flagged | 5 face(s), 0.25 photos/s, 28 s left, 1 failed"
    assert lines[3] == "note: a Ray worker was lost"


def test_long_runs_show_minutes_and_hours(capsys):
    now = [0.0]
    bar = ProgressBar(clock=lambda: now[0])
    now[0] = 10.0
    bar(FileReport("/a/1.jpg", "/o/1.jpg", "no-face"), 1, 1000)
    now[0] = 20.0
    bar(FileReport("/a/2.jpg", "/o/2.jpg", "no-face"), 2, 50)
    lines = capsys.readouterr().err.splitlines()
    assert "0.10 photos/s, 2 h 46 min left" in lines[0]       # 999 photos at 10 s each
    assert "0.10 photos/s, 8 min 00 s left" in lines[1]


def _read_terminal(master: int) -> str:
    data = b""
    while select.select([master], [], [], 1.0)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:         # Linux: EIO once the other side is closed and everything was read
            break
        if not chunk:
            break
        data += chunk
    return data.decode().replace("\r\n", "\n")       # the terminal turns a newline into CR LF


def test_one_photo_progress_redraws_one_terminal_line_and_stays_out_of_a_log(tmp_path):
    master, slave = os.openpty()
    try:
        with open(slave, "w") as terminal:
            show = percent_printer(terminal)
            show(0.5, "Filling the masked area")
            show(1.0, "Done")
        assert _read_terminal(master) == f"\r 50% {'Filling the masked area':<40}\r100% {'Done':<40}\n"
    finally:
        os.close(master)
    with open(tmp_path / "log.txt", "w") as log:
        show = percent_printer(log)
        show(0.5, "Filling the masked area")
        show(1.0, "Done")
    assert (tmp_path / "log.txt").read_text() == ""
