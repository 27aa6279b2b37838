"""Every bad input gets an ImageError whose message is one sentence naming the file."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from core_helpers import assert_one_sentence, noise_image
from editor.core import image_io
from editor.core.errors import ImageError


def refused(path, **kwargs) -> str:
    with pytest.raises(ImageError) as err:
        image_io.load_image(path, **kwargs)
    assert_one_sentence(str(err.value), os.path.basename(path))
    return str(err.value)


def encoded(fmt: str, size=(96, 128), **params) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(noise_image(*size)).save(buf, format=fmt, **params)
    return buf.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of width x height, all black: a few kilobytes that decode to width * height pixels."""
    row = b"\x00" + bytes((width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    rows_per_chunk = max(1, 4_000_000 // len(row))
    compressed = [packer.compress(row * min(rows_per_chunk, height - y)) for y in range(0, height, rows_per_chunk)]
    idat = b"".join(compressed) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def test_empty_file(tmp_path):
    path = tmp_path / "x.jpg"
    path.write_bytes(b"")
    assert refused(path) == "x.jpg is empty (0 bytes)."


def test_empty_bytes():
    with pytest.raises(ImageError, match=r"^upload\.png is empty \(0 bytes\)\.$"):
        image_io.load_image_bytes(b"", "upload.png")


@pytest.mark.parametrize("fmt,ext,keep", [("JPEG", "jpg", 0.5), ("PNG", "png", 0.5), ("WEBP", "webp", 0.6),
                                          ("BMP", "bmp", 0.7), ("JPEG", "jpg", 3 / 1000)])
def test_truncated_file_is_refused_not_shown_half_grey(tmp_path, fmt, ext, keep):
    data = encoded(fmt)
    path = tmp_path / f"cut.{ext}"
    path.write_bytes(data[: max(3, int(len(data) * keep))])
    assert refused(path) == f"cut.{ext} is truncated or corrupt and cannot be opened."


def test_truncated_tiff(tmp_path):
    data = encoded("TIFF")
    path = tmp_path / "cut.tif"
    path.write_bytes(data[: len(data) // 2])
    assert "cut.tif is damaged" in refused(path)


def test_corrupt_bytes_in_the_middle_of_a_png(tmp_path):
    data = bytearray(encoded("PNG"))
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)
    path = tmp_path / "damaged.png"
    path.write_bytes(bytes(data))
    assert "truncated or corrupt" in refused(path)


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.png"
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert refused(path) == "noise.png is not a supported image (JPEG, PNG, WebP, TIFF or BMP)."


def test_text_file_named_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("shopping list: milk, eggs\n")
    assert "is not a supported image" in refused(path)


def test_unsupported_format_gif(tmp_path):
    path = tmp_path / "anim.gif"
    Image.fromarray(noise_image(8, 8)).convert("P").save(path)
    assert "is not a supported image" in refused(path)


def test_saving_with_an_unsupported_extension_writes_nothing(tmp_path):
    with pytest.raises(ImageError) as err:
        image_io.save_image(tmp_path / "out.gif", noise_image(8, 8))
    assert_one_sentence(str(err.value), "out.gif")
    assert list(tmp_path.iterdir()) == []


def test_missing_file(tmp_path):
    assert refused(tmp_path / "gone.jpg") == "gone.jpg does not exist."


def test_directory(tmp_path):
    folder = tmp_path / "holiday.jpg"
    folder.mkdir()
    assert refused(folder) == "holiday.jpg is a folder, not an image file."


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.png"
    path.write_bytes(encoded("PNG"))
    path.chmod(0)
    try:
        assert refused(path) == "You do not have permission to read secret.png."
    finally:
        path.chmod(0o644)


def test_decompression_bomb_is_refused_from_the_header(tmp_path):
    data = bomb_png(20_000, 20_000)
    assert len(data) < 200_000  # tiny on disk, 400 megapixels when decoded
    path = tmp_path / "huge.png"
    path.write_bytes(data)
    start = time.perf_counter()
    assert refused(path) == "huge.png is 400 megapixels; Veil opens photos up to 200 megapixels."
    assert time.perf_counter() - start < 1.0  # nothing was decoded
    with pytest.raises(ImageError, match="400 megapixels"):
        image_io.load_image_bytes(data, "huge.png")


def test_max_pixels_parameter(tmp_path):
    path = tmp_path / "six.png"
    path.write_bytes(bomb_png(3000, 2000))
    assert refused(path, max_pixels=5_000_000) == "six.png is 6 megapixels; Veil opens photos up to 5 megapixels."
    assert image_io.load_image(path, max_pixels=6_000_000).pixels.shape == (2000, 3000, 3)


def test_pillows_own_bomb_error_becomes_an_image_error(tmp_path, monkeypatch):
    path = tmp_path / "strips.tif"
    path.write_bytes(encoded("TIFF", size=(100, 100)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow checks TIFF strips itself while decoding
    assert refused(path) == "strips.tif is 0.01 megapixels; Veil opens photos up to 0.002 megapixels."


def test_zero_sized_header_is_corrupt(tmp_path):
    header = struct.pack(">IIBBBBB", 0, 10, 8, 2, 0, 0, 0)
    path = tmp_path / "zero.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b""))
    assert "truncated or corrupt" in refused(path)
