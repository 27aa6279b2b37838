"""Reading a whole file that an outsider may have made huge: refused by size before it is read."""

from __future__ import annotations

import os
from pathlib import Path

from editor.vault.errors import VaultError


def read_bytes(path: Path, what: str, limit: int) -> bytes:
    """The whole file, refusing one larger than `limit` before reading it."""
    size = f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit >> 10} KB"
    too_large = VaultError(f"The {what} {path} is larger than Veil accepts ({size}).")
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > limit:
                raise too_large
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise VaultError(f"The {what} {path} does not exist.") from None
    except IsADirectoryError:
        raise VaultError(f"The {what} {path} is a folder, not a file.") from None
    except OSError as e:
        raise VaultError(f"The {what} {path} could not be read ({(e.strerror or str(e)).lower()}).") from None
    if len(data) > limit:
        raise too_large
    return data
