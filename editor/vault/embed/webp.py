"""WebP: the payload is a `VEIL` RIFF chunk appended after the image data, with the RIFF size fixed up.

Only the extended format (VP8X) may carry unknown chunks, so a simple lossy (`VP8 `) or lossless (`VP8L`)
file is first given a VP8X header with its canvas size and alpha flag; the image data is not touched.
"""

from __future__ import annotations

import struct
from typing import Optional

from .errors import ContainerError

FOURCC = b"VEIL"
_ALPHA_FLAG = 0x10


def _chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(fourcc, start, end) of each chunk; `end` includes the pad byte of odd-sized chunks."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ContainerError("not a WebP file")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    limit = 8 + riff_size
    if limit > len(data) or riff_size < 4:
        raise ContainerError("RIFF size runs past the end of the file")
    pos, found = 12, []
    while pos + 8 <= limit:
        fourcc, size = struct.unpack_from("<4sI", data, pos)
        end = pos + 8 + size + (size & 1)
        if end > limit:
            raise ContainerError("WebP chunk runs past the end of the file")
        found.append((fourcc, pos, end))
        pos = end
    return found


def _vp8x_for(fourcc: bytes, chunk: bytes) -> bytes:
    """A VP8X chunk describing the canvas of a simple-format image chunk."""
    if fourcc == b"VP8L" and len(chunk) >= 13 and chunk[8] == 0x2F:
        (bits,) = struct.unpack_from("<I", chunk, 9)
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        flags = _ALPHA_FLAG if (bits >> 28) & 1 else 0
    elif fourcc == b"VP8 " and len(chunk) >= 18 and chunk[11:14] == b"\x9d\x01\x2a":
        width, height = (struct.unpack_from("<H", chunk, 14)[0] & 0x3FFF,
                         struct.unpack_from("<H", chunk, 16)[0] & 0x3FFF)
        flags = 0
    else:
        raise ContainerError("unrecognised WebP image chunk")
    body = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"VP8X" + struct.pack("<I", len(body)) + body


def embed(data: bytes, payload: bytes) -> bytes:
    chunks = [(f, data[s:e]) for f, s, e in _chunks(data) if f != FOURCC]
    if not chunks:
        raise ContainerError("WebP has no image chunk")
    if chunks[0][0] in (b"VP8 ", b"VP8L"):
        chunks.insert(0, (b"VP8X", _vp8x_for(*chunks[0])))
    elif chunks[0][0] != b"VP8X":
        raise ContainerError("unrecognised WebP layout")
    ours = FOURCC + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) & 1 else b"")
    body = b"WEBP" + b"".join(c for _, c in chunks) + ours
    if len(body) > 0xFFFFFFFF:
        raise ContainerError("payload too large for a RIFF file")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def extract(data: bytes) -> Optional[bytes]:
    for fourcc, start, end in _chunks(data):
        if fourcc == FOURCC:
            (size,) = struct.unpack_from("<I", data, start + 4)
            return data[start + 8 : start + 8 + size]
    return None
