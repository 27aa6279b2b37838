"""What two paths are, on disk: the same file (through links), inside a folder, and a file's sha256.

An output must never be one of its command's inputs. Writes go through links to the file they name (atomic.py), so
two paths are compared after every link is followed; a path that cannot be resolved is never "the same".
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]


def real_path(path: PathLike) -> Path:
    """The absolute path with every link followed (the file a write to `path` would change)."""
    return Path(os.path.realpath(path))


def same_file(a: PathLike, b: PathLike) -> bool:
    try:
        return real_path(a) == real_path(b)
    except OSError:
        return False


def inside(path: Path, folder: Path) -> bool:
    """True when `path` is `folder` or lies anywhere under it (both already real paths)."""
    return path == folder or folder in path.parents


def file_sha256(path: PathLike) -> str:
    """The sha256 of a file's bytes, read in 1 MiB blocks (a model or a photo need not fit in memory twice)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
