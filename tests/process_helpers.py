"""Batches killed mid-run: `python -m editor` started and caught once its report lists a finished photo, and the
processes it leaves (read from /proc, so Linux only)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parents[1]


def start_until_recorded(args: Iterable[str], report: Path, timeout: float) -> subprocess.Popen:
    """`python -m editor ARGS`, returned while it still runs and once `report` lists a finished photo (or after
    `timeout` seconds), for a test to kill it there."""
    proc = subprocess.Popen([sys.executable, "-m", "editor", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (report.exists() and json.loads(report.read_text())["files"]):
        assert proc.poll() is None, "the batch ended before it could be killed"
        time.sleep(0.05)
    return proc


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def still_alive_after(pids: Iterable[int], timeout: float) -> list[int]:
    """The processes of `pids` still alive once they all ended, or `timeout` seconds passed."""
    pids = list(pids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(map(alive, pids)):
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def children_by_parent() -> dict[int, list[int]]:
    """Every process's children, by parent pid."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children
