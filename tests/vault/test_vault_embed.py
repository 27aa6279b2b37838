"""Embedding payloads in PNG, JPEG, WebP and TIFF: exact extraction, and pixels that decode exactly as before."""

from __future__ import annotations

import io
import os
import struct

import numpy as np
import pytest
from PIL import Image

from editor.core import image_io
from editor.core.image_types import ImageMetadata
from editor.vault.embed import (container_format, embed_payload, extract_payload, sidecar_path,
                                without_stale_payload)
from editor.vault.embed import jpeg as jpeg_container
from editor.vault.errors import PayloadError, VaultError

FORMATS = ["PNG", "JPEG", "WEBP", "TIFF"]


def payload(size: int) -> bytes:
    return b"VEIL\x01" + os.urandom(size)


def decoded(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGBA"))


@pytest.fixture(scope="module")
def picture():
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (48, 64), dtype=np.uint8)
    return pixels, alpha


def _metadata() -> ImageMetadata:
    exif = Image.Exif()
    exif[0x010F] = "VeilCam"
    return ImageMetadata(exif=exif.tobytes(), icc_profile=None, xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>",
                         dpi=(300.0, 300.0))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("with_alpha", [False, True])
def test_embedding_keeps_pixels_and_round_trips(picture, fmt, with_alpha):
    pixels, alpha = picture
    plain = image_io.encode_image(pixels, alpha if with_alpha else None, _metadata(), format=fmt)
    data = payload(3000)
    carried = embed_payload(plain, data)
    assert container_format(carried) == fmt
    assert extract_payload(carried) == data
    assert extract_payload(plain) is None
    np.testing.assert_array_equal(decoded(carried), decoded(plain))
    again = image_io.load_image_bytes(carried, "x")
    before = image_io.load_image_bytes(plain, "x")
    np.testing.assert_array_equal(again.pixels, before.pixels)
    assert (again.alpha is None) == (before.alpha is None)
    assert again.metadata.dpi == before.metadata.dpi
    # A TIFF's IFD0 tags read as EXIF include the payload tag; everything else is as before.
    assert without_stale_payload(again.metadata.exif) == before.metadata.exif


@pytest.mark.parametrize("fmt", FORMATS)
def test_embedding_again_replaces_the_payload(picture, fmt):
    plain = image_io.encode_image(picture[0], None, format=fmt)
    second = payload(500)
    carried = embed_payload(embed_payload(plain, payload(700)), second)
    assert extract_payload(carried) == second


def test_jpeg_payload_over_64k_is_split_across_segments(picture):
    plain = image_io.encode_image(picture[0], None, _metadata(), format="JPEG")
    data = payload(200_000)
    carried = embed_payload(plain, data)
    segments, _ = jpeg_container._segments(carried)
    ours = [s for s in segments if s.ours(carried)]
    assert len(ours) == 4 and all(s.end - s.start <= 65537 for s in ours)
    # Ours come after SOI and the leading APPn segments (JFIF, EXIF, XMP), before the tables.
    markers = [s.marker for s in segments]
    first = markers.index(jpeg_container.APP15)
    assert all(0xE0 <= m <= 0xEF for m in markers[:first]) and 0xE1 in markers[:first]
    assert extract_payload(carried) == data
    np.testing.assert_array_equal(decoded(carried), decoded(plain))


def test_jpeg_missing_segment_is_reported(picture):
    carried = embed_payload(image_io.encode_image(picture[0], None, format="JPEG"), payload(150_000))
    segments, _ = jpeg_container._segments(carried)
    second = [s for s in segments if s.ours(carried)][1]
    broken = carried[: second.start] + carried[second.end:]
    with pytest.raises(PayloadError, match="segments missing"):
        extract_payload(broken)


@pytest.mark.parametrize("params", [{"quality": 80}, {"lossless": True}])
def test_simple_webp_becomes_extended_and_still_decodes(picture, params):
    buf = io.BytesIO()
    Image.fromarray(picture[0]).save(buf, "WEBP", **params)
    plain = buf.getvalue()
    assert plain[12:16] in (b"VP8 ", b"VP8L")
    carried = embed_payload(plain, payload(1001))    # odd size: RIFF pad byte
    assert carried[12:16] == b"VP8X"
    width = int.from_bytes(carried[24:27], "little") + 1
    height = int.from_bytes(carried[27:30], "little") + 1
    assert (width, height) == (64, 48)
    assert struct.unpack_from("<I", carried, 4)[0] == len(carried) - 8
    np.testing.assert_array_equal(decoded(carried), decoded(plain))
    assert len(extract_payload(carried)) == 1006


def _big_endian_tiff(pixels: np.ndarray) -> bytes:
    """An uncompressed RGB TIFF in Motorola byte order (Pillow writes Intel order only)."""
    h, w, _ = pixels.shape
    entries = [(256, 3, 1, w), (257, 3, 1, h), (258, 3, 3, None), (259, 3, 1, 1), (262, 3, 1, 2),
               (273, 4, 1, None), (277, 3, 1, 3), (278, 3, 1, h), (279, 4, 1, h * w * 3)]
    ifd_size = 2 + 12 * len(entries) + 4
    bits_at = 8 + ifd_size
    strip_at = bits_at + 6
    out = bytearray(b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", len(entries)))
    for tag, typ, count, value in entries:
        value = {258: bits_at, 273: strip_at}.get(tag, value)
        field = struct.pack(">HH", value, 0) if typ == 3 and count == 1 else struct.pack(">I", value)
        out += struct.pack(">HHI", tag, typ, count) + field
    out += struct.pack(">I", 0) + struct.pack(">HHH", 8, 8, 8) + pixels.tobytes()
    return bytes(out)


def test_big_endian_tiff(picture):
    plain = _big_endian_tiff(picture[0])
    np.testing.assert_array_equal(decoded(plain)[..., :3], picture[0])
    data = payload(999)
    carried = embed_payload(plain, data)
    assert extract_payload(carried) == data
    np.testing.assert_array_equal(decoded(carried), decoded(plain))


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_or_garbled_containers_fail_cleanly(picture, fmt):
    carried = embed_payload(image_io.encode_image(picture[0], None, format=fmt), payload(2000))
    rng = np.random.default_rng(1)
    for n in list(range(0, 64)) + list(rng.integers(64, len(carried), 200)):
        try:
            extract_payload(carried[:n])
        except PayloadError:
            pass
    for pos in rng.integers(0, len(carried), 300):
        bad = bytearray(carried)
        bad[pos] ^= 0xFF
        try:
            extract_payload(bytes(bad))
        except PayloadError:
            pass


def test_unsupported_container_is_refused():
    bmp = io.BytesIO()
    Image.new("RGB", (4, 4)).save(bmp, "BMP")
    with pytest.raises(VaultError, match="sidecar"):
        embed_payload(bmp.getvalue(), payload(10))
    assert extract_payload(bmp.getvalue()) is None


def test_sidecar_name(tmp_path):
    assert sidecar_path(tmp_path / "photo.jpg") == tmp_path / "photo.jpg.veil"
