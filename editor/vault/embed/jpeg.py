"""JPEG: the payload is split across APP15 segments, each `VEIL\\0` + sequence number + total + a slice.

A marker segment holds at most 65533 bytes of data, so payloads over 64 KB take several segments. They are
inserted right after SOI and the leading APPn segments (JFIF, EXIF, ICC, XMP), before the tables and the scan.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Optional

from .errors import ContainerError

APP15 = 0xEF
SIGNATURE = b"VEIL\x00"
_SEQ = struct.Struct(">HH")
MAX_SLICE = 0xFFFF - 2 - len(SIGNATURE) - _SEQ.size     # 65524 bytes of payload per segment
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


@dataclass(frozen=True)
class _Segment:
    marker: int
    start: int      # first byte (0xFF) of the marker
    body: int       # first byte after the length field
    end: int

    def ours(self, data: bytes) -> bool:
        return self.marker == APP15 and data[self.body : self.body + len(SIGNATURE)] == SIGNATURE


def _segments(data: bytes) -> tuple[list[_Segment], int]:
    """Marker segments after SOI up to the first SOS or EOI, and the offset of that SOS/EOI marker."""
    if data[:2] != b"\xff\xd8":
        raise ContainerError("not a JPEG")
    pos, found = 2, []
    while True:
        if pos >= len(data) or data[pos] != 0xFF:
            raise ContainerError("JPEG marker expected")
        start = pos
        while pos < len(data) and data[pos] == 0xFF:     # fill bytes
            pos += 1
        if pos >= len(data):
            raise ContainerError("JPEG ends inside a marker")
        marker = data[pos]
        pos += 1
        if marker in (0xDA, 0xD9):
            return found, start
        if marker in _STANDALONE:
            found.append(_Segment(marker, start, pos, pos))
            continue
        if pos + 2 > len(data):
            raise ContainerError("JPEG segment length missing")
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > len(data):
            raise ContainerError("JPEG segment runs past the end of the file")
        found.append(_Segment(marker, start, pos + 2, pos + length))
        pos += length


def embed(data: bytes, payload: bytes) -> bytes:
    slices = [payload[i : i + MAX_SLICE] for i in range(0, len(payload), MAX_SLICE)] or [b""]
    if len(slices) > 0xFFFF:
        raise ContainerError("payload too large for JPEG segments")
    ours = [
        b"\xff" + bytes([APP15]) + struct.pack(">H", 2 + len(SIGNATURE) + _SEQ.size + len(s))
        + SIGNATURE + _SEQ.pack(i, len(slices)) + s
        for i, s in enumerate(slices)
    ]
    segments, scan = _segments(data)
    kept = [s for s in segments if not s.ours(data)]
    lead = 0
    while lead < len(kept) and 0xE0 <= kept[lead].marker <= 0xEF:
        lead += 1
    pieces = [data[:2]] + [data[s.start : s.end] for s in kept[:lead]] + ours
    pieces += [data[s.start : s.end] for s in kept[lead:]] + [data[scan:]]
    return b"".join(pieces)


def extract(data: bytes) -> Optional[bytes]:
    parts: dict[int, bytes] = {}
    total = None
    for seg in _segments(data)[0]:
        if not seg.ours(data):
            continue
        head = seg.body + len(SIGNATURE)
        if head + _SEQ.size > seg.end:
            raise ContainerError("short VEIL segment")
        seq, count = _SEQ.unpack_from(data, head)
        if (total is not None and count != total) or seq >= count or seq in parts:
            raise ContainerError("inconsistent VEIL segment numbering")
        total = count
        parts[seq] = data[head + _SEQ.size : seg.end]
    if total is None:
        return None
    if len(parts) != total:
        raise ContainerError("VEIL segments missing")
    return b"".join(parts[i] for i in range(total))
