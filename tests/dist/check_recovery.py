"""Check an anonymize + recover round trip on PNG files: the anonymized photo changed, the recovered one equals the
original pixel for pixel.

Standard library only (the smoke test checks the bundle, so the harness must not depend on the build venv): a small
PNG decoder for 8-bit, non-interlaced images, which is what Veil writes and what the test photo is.
Usage: check_recovery.py ORIGINAL.png ANONYMIZED.png RECOVERED.png  -> exit 0 and one line, or exit 1 and why.
"""

from __future__ import annotations

import struct
import sys
import zlib

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}          # PNG colour type -> samples per pixel (8-bit only)
MIN_CHANGED = 0.01                           # a face is far more than 1% of the test photo


def decode_png(path: str) -> tuple[int, int, int, bytes]:
    """(width, height, channels, raw samples row after row) of an 8-bit, non-interlaced PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"{path}: only 8-bit non-interlaced PNGs are read here (depth {depth}, colour {colour})")
    bpp = CHANNELS[colour]
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 0xFF
        elif kind == 2:
            row = bytearray((a + b) & 0xFF for a, b in zip(row, prev))
        elif kind == 3:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = row[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif kind != 0:
            raise ValueError(f"{path}: unknown PNG filter {kind}")
        out[y * stride:(y + 1) * stride] = row
        prev = row
    return width, height, bpp, bytes(out)


def changed_pixels(a: tuple, b: tuple) -> int:
    width, height, bpp, pa = a
    pb = b[3]
    return sum(pa[i:i + bpp] != pb[i:i + bpp] for i in range(0, width * height * bpp, bpp))


def main(original: str, anonymized: str, recovered: str) -> int:
    images = [decode_png(p) for p in (original, anonymized, recovered)]
    shapes = {img[:3] for img in images}
    if len(shapes) != 1:
        print(f"sizes or channels differ: {[img[:3] for img in images]}")
        return 1
    width, height, _, _ = images[0]
    changed = changed_pixels(images[0], images[1])
    if changed < MIN_CHANGED * width * height:
        print(f"the anonymized photo changed only {changed} pixels")
        return 1
    if images[2][3] != images[0][3]:
        print(f"the recovered photo differs from the original in {changed_pixels(images[0], images[2])} pixels")
        return 1
    print(f"anonymized changed {changed} of {width * height} pixels; recovered equals the original exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
