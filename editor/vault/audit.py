"""Append-only, hash-chained audit log of key and recovery operations (JSON lines in the user's data folder).

Each entry holds seq, time, action, file_sha256, key_id, faces, the hash of the previous entry (`prev`) and its
own hash over all of that (`hash`). Editing or removing an entry breaks the chain; removing entries from the end
is caught by `audit.head`, an atomically replaced file holding the count and hash of the last entry.
Entries never contain keys, passphrases or pixels: `append` accepts only the fields above.

Why append, not rewrite: a log is only ever extended, so each entry is written with one O_APPEND write under an
exclusive lock and fsynced; a torn last line after a crash is reported by `verify`, never silently accepted.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional, Sequence

from editor.core.atomic import atomic_write_bytes

from .data_dir import veil_data_dir
from .errors import AuditError

LOG_NAME = "audit.jsonl"
HEAD_NAME = "audit.head"
ACTIONS = ("key.create", "key.import", "key.export", "key.delete", "key.trust", "seal", "anonymize", "export",
           "recover")
GENESIS = "0" * 64
_FIELDS = ("seq", "time", "action", "file_sha256", "key_id", "faces", "prev")


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    time: str
    action: str
    file_sha256: Optional[str]
    key_id: Optional[str]
    faces: Optional[list[int]]
    prev: str
    hash: str


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    entries: int
    message: str


def _entry_hash(fields: dict) -> str:
    canonical = json.dumps({k: fields[k] for k in _FIELDS}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """An exclusive lock so two Veil processes never chain onto the same previous entry."""
    with open(lock_path, "a+b") as f:
        if sys.platform == "win32":
            import msvcrt

            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                f.seek(0)
                msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)


class AuditLog:
    def __init__(self, data_dir: Optional[Path] = None) -> None:
        self._data_dir = data_dir

    @property
    def path(self) -> Path:
        return (self._data_dir or veil_data_dir()) / LOG_NAME

    @property
    def head_path(self) -> Path:
        return self.path.with_name(HEAD_NAME)

    def _read_head(self) -> tuple[int, str]:
        if not self.head_path.exists():
            return 0, GENESIS
        try:
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
            return int(head["entries"]), str(head["last_hash"])
        except (ValueError, KeyError, TypeError) as e:
            raise AuditError(f"The audit log head {self.head_path} is damaged; run `veil audit verify`.") from e

    def append(self, action: str, *, file_sha256: Optional[str] = None, key_id: Optional[str] = None,
               faces: Optional[Sequence[int]] = None) -> AuditEntry:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            with _locked(self.path.with_name(LOG_NAME + ".lock")):
                count, last_hash = self._read_head()
                fields = {
                    "seq": count + 1,
                    "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                    "action": action,
                    "file_sha256": file_sha256,
                    "key_id": key_id,
                    "faces": None if faces is None else [int(f) for f in faces],
                    "prev": last_hash,
                }
                fields["hash"] = _entry_hash(fields)
                line = (json.dumps(fields, separators=(",", ":")) + "\n").encode("utf-8")
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                head = {"entries": fields["seq"], "last_hash": fields["hash"]}
                atomic_write_bytes(self.head_path, json.dumps(head).encode("utf-8"))
        except OSError as e:
            raise AuditError(f"The audit log {self.path} could not be written ({e.strerror or e}).") from e
        return AuditEntry(**fields)

    def entries(self) -> list[AuditEntry]:
        """All entries as written (no verification; see `verify`)."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(AuditEntry(**json.loads(line)))
            except (ValueError, TypeError) as e:
                raise AuditError("The audit log has a damaged line; run `veil audit verify`.") from e
        return out

    def verify(self) -> AuditReport:
        if not self.path.exists():
            count, _ = self._read_head()
            if count:
                return AuditReport(False, 0, f"The audit log is missing but its head records {count} entries.")
            return AuditReport(True, 0, "The audit log is empty.")
        prev, seq = GENESIS, 0
        with open(self.path, "rb") as f:
            for number, raw in enumerate(f, start=1):
                try:
                    fields = json.loads(raw.decode("utf-8"))
                    ok = (isinstance(fields, dict) and set(fields) == set(_FIELDS) | {"hash"}
                          and fields["seq"] == number and fields["prev"] == prev
                          and fields["hash"] == _entry_hash(fields))
                except (ValueError, UnicodeDecodeError):
                    ok = False
                if not ok or not raw.endswith(b"\n"):
                    return AuditReport(False, number - 1,
                                       f"Audit log line {number} was edited, removed or damaged; "
                                       f"the first {number - 1} entries are intact.")
                prev, seq = fields["hash"], number
        count, last_hash = self._read_head()
        if (count, last_hash) != (seq, prev):
            return AuditReport(False, seq, f"The audit log has {seq} entries but its head records {count}; "
                                           "entries were removed from the end or the head was altered.")
        return AuditReport(True, seq, f"The audit log is intact: {seq} entries, hash chain verified.")
