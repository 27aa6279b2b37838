"""Export metadata profiles: privacy drops GPS, maker notes, thumbnails and personal fields; retouch keeps all."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms

from editor.core import image_io
from editor.core.image_types import ImageMetadata
from editor.core.metadata_profiles import privacy_metadata, retouch_metadata

THUMB_MARK = b"THUMBNAIL-OF-THE-ORIGINAL-FACE"
SECRETS = [b"Jane Doe", b"SN-778899", b"MAKERNOTE-OWNER", b"secret comment", b"LENS-SN-42", THUMB_MARK]


def _thumbnail() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 150, 120)).save(buf, "JPEG", comment=THUMB_MARK)
    return buf.getvalue()


def exif_with_everything() -> bytes:
    """Camera-like EXIF: personal IFD0 fields, GPS, maker note, serials, a comment and an IFD1 JPEG thumbnail."""
    exif = Image.Exif()
    exif[0x010F] = "VeilCam"                         # Make (kept)
    exif[0x0110] = "Model 1"                         # Model (kept)
    exif[0x0112] = 6                                 # Orientation (reset to 1)
    exif[0x013B] = "Jane Doe"                        # Artist
    exif[0x8298] = "Jane Doe 2024"                   # Copyright
    exif[0x010E] = "Jane Doe at home"                # ImageDescription
    exif[ExifTags.IFD.Exif] = {
        0x829A: 0.01,                                # ExposureTime (kept)
        0x927C: b"MAKERNOTE-OWNER\x00\x01\x02",      # MakerNote
        0x9286: b"ASCII\x00\x00\x00secret comment",  # UserComment
        0xA431: "SN-778899",                         # BodySerialNumber
        0xA435: "LENS-SN-42",                        # LensSerialNumber
        0xA434: "Kit lens 18-55",                    # LensModel (kept)
    }
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    data = bytearray(exif.tobytes())
    tiff = 6                                         # after b"Exif\0\0"
    order = "<" if data[tiff:tiff + 2] == b"II" else ">"
    ifd0 = tiff + struct.unpack_from(order + "I", data, tiff + 4)[0]
    count = struct.unpack_from(order + "H", data, ifd0)[0]
    next_at = ifd0 + 2 + 12 * count
    thumb = _thumbnail()
    ifd1 = len(data) - tiff
    thumb_at = ifd1 + 2 + 2 * 12 + 4
    struct.pack_into(order + "I", data, next_at, ifd1)
    data += struct.pack(order + "H", 2)
    data += struct.pack(order + "HHII", 0x0201, 4, 1, thumb_at) + struct.pack(order + "HHII", 0x0202, 4, 1, len(thumb))
    data += struct.pack(order + "I", 0) + thumb
    return bytes(data)


def camera_metadata() -> ImageMetadata:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Jane Doe</dc:creator></x:xmpmeta>'
    return ImageMetadata(format="JPEG", exif=exif_with_everything(), icc_profile=icc, xmp=xmp, dpi=(300.0, 300.0),
                         extra={"png:Author": "Jane Doe", "source_bits": 16})


def load_exif(raw: bytes) -> Image.Exif:
    exif = Image.Exif()
    exif.load(raw)
    return exif


def test_the_fixture_really_has_gps_makernote_and_thumbnail():
    exif = load_exif(exif_with_everything())
    assert exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert 0x927C in exif.get_ifd(ExifTags.IFD.Exif)
    assert exif.get_ifd(ExifTags.IFD.IFD1).get(0x0202) == len(_thumbnail())


def test_privacy_profile_keeps_only_harmless_fields():
    meta = camera_metadata()
    clean = privacy_metadata(meta)
    exif = load_exif(clean.exif)
    assert ExifTags.IFD.GPSInfo not in exif and not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert not exif.get_ifd(ExifTags.IFD.IFD1)
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    assert not {0x927C, 0x9286, 0xA431, 0xA435} & set(sub)
    assert not {0x013B, 0x8298, 0x010E} & set(exif)
    assert exif[0x010F] == "VeilCam" and exif[0x0112] == 1 and sub[0xA434] == "Kit lens 18-55"
    assert clean.xmp is None and clean.icc_profile == meta.icc_profile and clean.dpi == meta.dpi
    assert clean.extra == {"source_bits": 16}
    for secret in SECRETS:
        assert secret not in clean.exif
    assert meta.exif == exif_with_everything()          # the input is not modified


def test_retouch_profile_keeps_everything():
    meta = camera_metadata()
    kept = retouch_metadata(meta)
    assert kept == meta and kept is not meta and kept.extra is not meta.extra


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
def test_privacy_export_file_has_no_gps_thumbnail_or_personal_data(fmt):
    pixels = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    data = image_io.encode_image(pixels, None, privacy_metadata(camera_metadata()), format=fmt)
    for secret in SECRETS:
        assert secret not in data, secret
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert 0x927C not in exif.get_ifd(ExifTags.IFD.Exif)
        assert "xmp" not in im.info or b"Jane" not in bytes(im.info.get("xmp", b""))


def test_broken_exif_is_dropped_not_leaked():
    for raw in (b"Exif\x00\x00MM\x00*\xff\xff\xff\xffJane Doe", b"Jane Doe", b"Exif\x00\x00II*\x00\x08"):
        clean = privacy_metadata(ImageMetadata(exif=raw)).exif
        assert clean is None or (b"Jane" not in clean and dict(load_exif(clean)) == {0x0112: 1})
