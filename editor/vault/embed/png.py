"""PNG: the payload travels in one private ancillary chunk `veIL`, placed just before IEND.

`veIL`: lower-case first letter = ancillary (decoders skip it), lower-case second = private, upper-case last =
not safe to copy, so editors that change the pixels drop it instead of carrying stale recovery data along.
"""

from __future__ import annotations

import struct
import zlib
from typing import Iterator, Optional

from .errors import ContainerError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHUNK_TYPE = b"veIL"


def _chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(type, start, end) of each chunk, `end` exclusive, up to and including IEND."""
    pos = len(SIGNATURE)
    while pos + 12 <= len(data):
        length, ctype = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            raise ContainerError("PNG chunk runs past the end of the file")
        yield ctype, pos, end
        if ctype == b"IEND":
            return
        pos = end
    raise ContainerError("PNG has no IEND chunk")


def embed(data: bytes, payload: bytes) -> bytes:
    parts, iend = [data[: len(SIGNATURE)]], None
    for ctype, start, end in _chunks(data):
        if ctype == b"IEND":
            iend = data[start:end]
        elif ctype != CHUNK_TYPE:
            parts.append(data[start:end])
    body = CHUNK_TYPE + payload
    parts.append(struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body)))
    parts.append(iend)
    return b"".join(parts)


def extract(data: bytes) -> Optional[bytes]:
    # The CRC is not checked: the payload's own AES-GCM tag is the authority on integrity.
    for ctype, start, end in _chunks(data):
        if ctype == CHUNK_TYPE:
            return data[start + 8 : end - 4]
    return None
