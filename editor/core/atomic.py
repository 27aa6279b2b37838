"""Atomic file writes: a temp file in the target's folder, fsync, then os.replace() onto the target.

Whatever fails (an encoder, a full disk, a crash), the target holds either its old bytes or the new ones, never a
half-written file, and the temp file is removed. Only a hard kill can leave a hidden `.name.<random>.tmp` behind.
Every OSError becomes a WriteError whose message is one sentence naming the file.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Union

from .errors import WriteError

PathLike = Union[str, "os.PathLike[str]"]
_NAME_KEPT = 200          # of the target's name in its temp file's name (file names have a length limit)

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the disk is read-only",
    errno.ENAMETOOLONG: "the file name is too long",
}
if hasattr(errno, "EDQUOT"):
    _REASONS[errno.EDQUOT] = "your disk quota is used up"


def _write_error(name: str, folder: Path, exc: OSError) -> WriteError:
    if exc.errno in _REASONS:
        reason = _REASONS[exc.errno]
    elif isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        reason = f"you do not have permission to write to {folder}"
    elif exc.errno == errno.ENOENT and not folder.is_dir():
        reason = f"the folder {folder} does not exist"
    else:
        text = (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")
        reason = text[:1].lower() + text[1:]
    return WriteError(f"Could not save {name}: {reason}.")


def _check_target(target: Path, name: str) -> None:
    folder = target.parent
    if not folder.exists():
        raise WriteError(f"Could not save {name}: the folder {folder} does not exist.")
    if not folder.is_dir():
        raise WriteError(f"Could not save {name}: {folder} is a file, not a folder.")
    if target.is_dir():
        raise WriteError(f"Could not save {name}: a folder with that name already exists.")
    # os.replace would silently replace a read-only file on POSIX; respect the user's read-only flag instead.
    if target.exists() and not os.access(target, os.W_OK):
        raise WriteError(f"Could not save {name}: the file is read-only.")


_TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.[0-9a-f]{8}\.tmp$")


def _temp_name(target: Path) -> str:
    return f".{target.name[:_NAME_KEPT]}.{secrets.token_hex(4)}.tmp"


def leftover_temps(folder: Path, names: Iterable[str]) -> list[Path]:
    """The temp files in `folder` that a hard kill left behind while writing one of the files `names`."""
    wanted = {name[:_NAME_KEPT] for name in names}
    found = []
    for temp in folder.glob(".*.tmp"):
        match = _TEMP_NAME.match(temp.name)
        if match and match.group("target") in wanted:
            found.append(temp)
    return found


def _create_temp(target: Path) -> Path:
    """An empty, new file next to `target`, created with the default permissions (mode 0o666 minus the umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = target.with_name(_temp_name(target))
        try:
            os.close(os.open(tmp, flags, 0o666))
            return tmp
        except FileExistsError:
            continue


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX only; some filesystems refuse, which is harmless)."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temp path next to `path`; write it, and on normal exit it replaces `path` atomically.

    On an exception the temp file is removed and an existing `path` is left untouched; an OSError (raised by this
    function or by the caller's writing) is re-raised as a WriteError with one sentence.
    """
    target = Path(path)
    name = target.name or str(target)
    if target.is_symlink():  # write through the link: replace the file it points to, not the link
        target = Path(os.path.realpath(target))
    _check_target(target, name)
    try:
        tmp = _create_temp(target)
    except OSError as exc:
        raise _write_error(name, target.parent, exc) from exc
    try:
        yield tmp
        _fsync_file(tmp)
        if target.exists():  # keep the permissions of the file we replace
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _write_error(name, target.parent, exc) from exc
        raise
    _fsync_folder(target.parent)


def atomic_write_bytes(path: PathLike, data: bytes) -> Path:
    """Write `data` to `path` atomically; returns `path` as a Path."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    return Path(path)
