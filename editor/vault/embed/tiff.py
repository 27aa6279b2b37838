"""TIFF: the payload is the value of a private tag (UNDEFINED bytes) in the first IFD.

The payload and a copy of IFD0 with the extra entry are appended to the file and the header is pointed at the
new IFD; strips, tiles and every other tag stay where they are, so the pixels cannot change.
Only classic TIFF (not BigTIFF) is handled: Veil's exports stay below 4 GB.
"""

from __future__ import annotations

import struct
from typing import Optional

from .errors import ContainerError

TAG = 0xF11E                # private-range tag; the payload's own magic (b"VEIL") guards against collisions
_UNDEFINED = 7
_MAX_ENTRIES = 4096


def _layout(data: bytes) -> tuple[str, int]:
    if data[:4] == b"II*\x00":
        order = "<"
    elif data[:4] == b"MM\x00*":
        order = ">"
    elif data[:2] in (b"II", b"MM"):
        raise ContainerError("BigTIFF is not supported")
    else:
        raise ContainerError("not a TIFF file")
    if len(data) < 8:
        raise ContainerError("TIFF header truncated")
    return order, struct.unpack_from(order + "I", data, 4)[0]


def _ifd0(data: bytes) -> tuple[str, list[bytes], bytes]:
    """Byte order, the raw 12-byte entries of IFD0, and its raw next-IFD offset."""
    order, offset = _layout(data)
    if offset < 8 or offset + 2 > len(data):
        raise ContainerError("IFD0 offset out of range")
    (count,) = struct.unpack_from(order + "H", data, offset)
    end = offset + 2 + 12 * count + 4
    if count > _MAX_ENTRIES or end > len(data):
        raise ContainerError("IFD0 runs past the end of the file")
    entries = [data[offset + 2 + 12 * i : offset + 14 + 12 * i] for i in range(count)]
    return order, entries, data[end - 4 : end]


def _tag(order: str, entry: bytes) -> int:
    return struct.unpack_from(order + "H", entry)[0]


def embed(data: bytes, payload: bytes) -> bytes:
    order, entries, next_ifd = _ifd0(data)
    out = bytearray(data)
    if len(out) & 1:
        out.append(0)
    payload_at = len(out)
    out += payload
    if len(out) & 1:
        out.append(0)
    ifd_at = len(out)
    ours = struct.pack(order + "HHII", TAG, _UNDEFINED, len(payload), payload_at)
    kept = [e for e in entries if _tag(order, e) != TAG] + [ours]
    kept.sort(key=lambda e: _tag(order, e))            # TIFF requires ascending tag order
    out += struct.pack(order + "H", len(kept)) + b"".join(kept) + next_ifd
    if len(out) > 0xFFFFFFFF:
        raise ContainerError("payload too large for a classic TIFF file")
    struct.pack_into(order + "I", out, 4, ifd_at)
    return bytes(out)


def extract(data: bytes) -> Optional[bytes]:
    order, entries, _ = _ifd0(data)
    for entry in entries:
        tag, typ, count, offset = struct.unpack(order + "HHII", entry)
        if tag != TAG:
            continue
        if typ != _UNDEFINED:
            raise ContainerError("payload tag has the wrong type")
        if count <= 4:
            return entry[8 : 8 + count]
        if offset + count > len(data):
            raise ContainerError("payload tag runs past the end of the file")
        return data[offset : offset + count]
    return None


def without_payload_tag(exif: bytes) -> bytes:
    """EXIF bytes without our tag: a TIFF's IFD0 tags read as EXIF would otherwise carry a stale payload along."""
    from PIL import Image

    parsed = Image.Exif()
    parsed.load(exif)
    if TAG not in parsed:
        return exif
    del parsed[TAG]
    data = parsed.tobytes()
    return data if exif.startswith(b"Exif\x00\x00") else data[6:]
