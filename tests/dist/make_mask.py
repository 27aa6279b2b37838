"""Write a fill mask for `veil inpaint` from `veil detect --json` output: the lower half of the first face box.

Standard library only (the smoke test checks the bundle, so the harness must not depend on the build venv).
Usage: make_mask.py FACES_JSON OUT_PNG  -> prints the number of faces found.
"""

from __future__ import annotations

import json
import struct
import sys
import zlib


def write_grey_png(path: str, width: int, height: int, rows: list[bytes]) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rows)           # filter type 0 on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)   # 8-bit greyscale
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                + chunk(b"IEND", b""))


def main(faces_json: str, out_png: str) -> int:
    report = json.load(open(faces_json, encoding="utf-8"))
    width, height, faces = report["width"], report["height"], report["faces"]
    if not faces:
        print(0)
        return 1
    x, y, w, h = (float(v) for v in faces[0]["box"])
    x0, x1 = max(0, int(x)), min(width, int(x + w))
    y0, y1 = max(0, int(y + h / 2)), min(height, int(y + h))
    empty, band = bytes(width), bytes(x0) + b"\xff" * (x1 - x0) + bytes(width - x1)
    write_grey_png(out_png, width, height, [band if y0 <= r < y1 else empty for r in range(height)])
    print(len(faces))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
