"""Per-photo work that fails the way cluster workers fail: its process is killed (SIGKILL) while doing a photo.
Sent to Ray workers by value (the tests folder is not importable there)."""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

from editor.core.atomic import atomic_write_bytes
from editor.services.photo_batch import PhotoReport


def copy_photo(source: Path, output: Path, options: dict) -> PhotoReport:
    """Writes the photo's bytes to `output`, atomically. The worker doing a photo named in options["always"] is
    killed every time; one doing a photo named in options["once"] is killed the first time, right after its output
    was written (a marker file beside the output tells the second attempt)."""
    if source.name in options.get("always", ()):
        os.kill(os.getpid(), signal.SIGKILL)
    data = source.read_bytes()
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(output, data)
    marker = output.with_name(output.name + ".killed-once")
    if source.name in options.get("once", ()) and not marker.exists():
        marker.write_bytes(b"")
        os.kill(os.getpid(), signal.SIGKILL)
    return PhotoReport(str(source), str(output), "copied", output_sha256=hashlib.sha256(data).hexdigest())
