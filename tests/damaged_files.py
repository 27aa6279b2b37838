"""Damaged photos made on the spot, for the tests of every area that must refuse or tolerate them."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image

# Byte patterns that libtiff's fax decoders read as a bad code word (found by trying; see the stock-Pillow test).
_FAX_DAMAGE = {"group4": b"\xff\x00", "group3": b"\x00\x10"}


def damaged_fax_tiff(compression: str = "group4") -> bytes:
    """A 1-bit fax-compressed TIFF whose strip is overwritten in the middle: libtiff reports "Bad code word" and
    still returns pixels, so stock Pillow opens it without an error."""
    rng = np.random.default_rng(1)
    picture = Image.fromarray(rng.random((64, 96)) > 0.5).convert("1")
    buf = io.BytesIO()
    picture.save(buf, format="TIFF", compression=compression)
    data = bytearray(buf.getvalue())
    with Image.open(io.BytesIO(bytes(data))) as tiff:
        start, length = _first(tiff.tag_v2[273]), _first(tiff.tag_v2[279])   # StripOffsets, StripByteCounts
    pattern = _FAX_DAMAGE[compression]
    for i in range(start + length // 4, start + length // 2):
        data[i] = pattern[i % len(pattern)]
    return bytes(data)


def _first(value) -> int:
    return int(value[0] if isinstance(value, tuple) else value)


def corrupt_exif_jpeg(photo: Path) -> bytes:
    """The photo as a JPEG whose EXIF claims more tag data than it holds: Pillow warns "Tag data larger than
    file" (a Python warning) when it reads that EXIF, and opens the photo."""
    exif = Image.Exif()
    exif[0x010F] = "A camera maker"      # Make: an ASCII value too long to sit inside its IFD entry
    raw = bytearray(exif.tobytes())
    entry = raw.find(struct.pack(">HH", 0x010F, 2))    # Pillow writes big-endian EXIF: tag, type ASCII
    struct.pack_into(">I", raw, entry + 4, 5000)       # the entry's count: 5000 bytes
    buf = io.BytesIO()
    with Image.open(photo) as im:
        im.save(buf, format="JPEG", exif=bytes(raw), quality=90)
    return buf.getvalue()
