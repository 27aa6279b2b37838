"""Write an .npz whose bytes depend only on its arrays and their order, so a rebuilt model file has the sha256 that
models/manifest.json records (the recipe's report compares the two).

Beyond its arrays an .npz holds zip entries' dates and the writing system's attributes, and np.savez_compressed
leaves both to how it calls zipfile: an entry written by name with ZipFile.writestr or ZipFile.write is stamped
with the time of the write, one opened by name for writing gets zipfile's default date. Here every entry is given
a fixed date, Unix attributes, deflate compression and the order the arrays come in, the layout numpy 2's
np.savez_compressed writes on Linux: the shipped bank, written that way, is reproduced byte for byte (with the same
zlib). `np.load` reads the file like any other .npz.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from editor.core.atomic import atomic_path

FIXED_DATE = (1980, 1, 1, 0, 0, 0)        # the earliest date a zip entry can hold
ENTRY_MODE = 0o600 << 16                  # rw-------, in the entry's Unix attribute bits (what numpy writes)


def save_npz_reproducible(path: Path, **arrays: np.ndarray) -> Path:
    """Write `arrays` to `path` as a compressed .npz (name.npy entries, as np.savez_compressed names them),
    atomically: the target holds its old bytes or the new ones, never a half-written file. Returns `path`."""
    path = Path(path)
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in arrays:
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3                 # Unix, whatever system writes it: the attributes mean the same
            entry.external_attr = ENTRY_MODE
            with archive.open(entry, "w", force_zip64=True) as f:      # as numpy writes it: no size limit
                np.lib.format.write_array(f, np.asanyarray(arrays[name]), allow_pickle=False)
    return path
