"""What a stage read, as sha256 digests: files, folders and the stage's own code, remembered between runs.

A stage's stamp is the sha256 of its parameters and of the digest of every input it names. Digests are memoised
by (size, modification time) in the work folder, so a second run reads a 1 GB face cache's metadata, not its
bytes. A folder's digest covers the relative path and digest of every file in it (symbolic links followed).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from editor.core.atomic import atomic_write_bytes
from editor.core.files import file_sha256


class RecipeError(Exception):
    """A recipe step cannot go on; the message is one sentence for the user."""


def digest(value: object) -> str:
    """sha256 of a JSON-able value (keys sorted), e.g. a stage's parameters with its inputs' digests."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


class FileDigests:
    """sha256 of files and folders, memoised in `memo` (JSON) by path, size and modification time."""

    def __init__(self, memo: Path) -> None:
        self.memo = memo
        self._known: dict[str, list] = json.loads(memo.read_text()) if memo.is_file() else {}
        self._dirty = False

    def of(self, path: Path) -> str:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            return digest([[str(p.relative_to(path)), self._file(p)] for p in files])
        if path.is_file():
            return self._file(path)
        raise RecipeError(f"{path} is missing.")

    def _file(self, path: Path) -> str:
        key = str(path.resolve())
        info = os.stat(path)
        seen = self._known.get(key)
        if seen is not None and seen[0] == info.st_size and seen[1] == info.st_mtime_ns:
            return seen[2]
        sha = file_sha256(path)
        self._known[key] = [info.st_size, info.st_mtime_ns, sha]
        self._dirty = True
        return sha

    def save(self) -> None:
        if self._dirty:
            self.memo.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.memo, json.dumps(self._known, indent=0, sort_keys=True).encode())
            self._dirty = False
