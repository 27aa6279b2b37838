"""Save -> load round trips for every format, with alpha and metadata (EXIF, ICC, XMP, DPI)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms, JpegImagePlugin

from core_helpers import assert_one_sentence, block_image, noise_image, psnr
from editor.core import image_io
from editor.core.document import Document
from editor.core.errors import ImageError
from editor.core.geometry import Rect
from editor.core.image_types import ImageMetadata

SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6" '
       b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/jpeg"/></rdf:RDF></x:xmpmeta>')
LOSSLESS = [("png", "PNG"), ("tif", "TIFF"), ("webp", "WEBP"), ("bmp", "BMP")]
ALL = LOSSLESS + [("jpg", "JPEG")]


def camera_exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Acme"                         # Make
    exif[0x013B] = "Ann Example"                  # Artist
    exif.get_ifd(0x8769)[0x9003] = "2024:05:06 07:08:09"  # DateTimeOriginal, in the Exif sub-IFD
    return exif.tobytes()


def read_exif(data: bytes) -> Image.Exif:
    exif = Image.Exif()
    exif.load(data)
    return exif


@pytest.mark.parametrize("ext,fmt", LOSSLESS)
def test_lossless_formats_round_trip_exactly(tmp_path, ext, fmt):
    pixels = noise_image(37, 53)
    path = image_io.save_image(tmp_path / f"photo.{ext}", pixels)
    loaded = image_io.load_image(path)
    assert loaded.metadata.format == fmt
    assert loaded.pixels.dtype == np.uint8 and loaded.pixels.shape == (37, 53, 3)
    assert np.array_equal(loaded.pixels, pixels)
    assert loaded.alpha is None
    assert loaded.path == path


def test_jpeg_round_trip_is_close_and_uses_full_chroma(tmp_path):
    pixels = block_image(120, 160)
    path = image_io.save_image(tmp_path / "photo.jpg", pixels)
    loaded = image_io.load_image(path)
    assert psnr(loaded.pixels, pixels) > 38.0
    with Image.open(path) as im:
        assert JpegImagePlugin.get_sampling(im) == 0  # 4:4:4 at the default quality 95


def test_jpeg_quality_changes_size_and_subsampling(tmp_path):
    pixels = noise_image(64, 64)
    high = image_io.encode_image(pixels, format="JPEG")
    low = image_io.encode_image(pixels, format="JPEG", quality=50)
    assert len(low) < len(high) / 2
    with Image.open(io.BytesIO(low)) as im:
        assert JpegImagePlugin.get_sampling(im) == 2  # 4:2:0 below quality 90
    assert psnr(image_io.load_image_bytes(low).pixels, pixels) < psnr(image_io.load_image_bytes(high).pixels, pixels)


@pytest.mark.parametrize("ext", ["png", "tif", "webp"])
def test_alpha_round_trips_where_the_format_has_it(tmp_path, ext):
    pixels, alpha = noise_image(30, 40, seed=1), noise_image(30, 40, channels=1, seed=2)
    loaded = image_io.load_image(image_io.save_image(tmp_path / f"cut.{ext}", pixels, alpha))
    assert np.array_equal(loaded.alpha, alpha)
    assert np.array_equal(loaded.pixels, pixels)  # WebP lossless keeps colour under transparent pixels too


@pytest.mark.parametrize("ext", ["jpg", "bmp"])
def test_alpha_is_dropped_where_the_format_has_none(tmp_path, ext):
    pixels, alpha = block_image(30, 40), noise_image(30, 40, channels=1)
    loaded = image_io.load_image(image_io.save_image(tmp_path / f"flat.{ext}", pixels, alpha))
    assert loaded.alpha is None
    assert psnr(loaded.pixels, pixels) > 38.0


def test_webp_with_quality_is_lossy_and_smaller(tmp_path):
    pixels = noise_image(64, 64)
    lossless = image_io.encode_image(pixels, format="WEBP")
    lossy = image_io.encode_image(pixels, format="WEBP", quality=60)
    assert len(lossy) < len(lossless)
    assert not np.array_equal(image_io.load_image_bytes(lossy).pixels, pixels)


@pytest.mark.parametrize("ext,fmt", [("jpg", "JPEG"), ("png", "PNG"), ("webp", "WEBP"), ("tif", "TIFF")])
def test_icc_exif_xmp_and_dpi_survive_load_save_load(tmp_path, ext, fmt):
    pixels = block_image(24, 32)
    source = tmp_path / "source.png"
    Image.fromarray(pixels).save(source, exif=camera_exif(), icc_profile=SRGB_ICC, dpi=(300, 300))
    first = image_io.load_image(source)
    first.metadata.xmp = XMP
    assert first.metadata.icc_profile == SRGB_ICC

    saved = image_io.save_image(tmp_path / f"retouched.{ext}", first.pixels, None, first.metadata)
    again = image_io.load_image(saved)
    meta = again.metadata
    assert meta.format == fmt
    assert meta.icc_profile == SRGB_ICC
    exif = read_exif(meta.exif)
    assert exif[0x010F] == "Acme" and exif[0x013B] == "Ann Example"
    assert exif.get_ifd(0x8769)[0x9003] == "2024:05:06 07:08:09"
    assert exif.get(0x0112, 1) == 1
    assert b'dc:format="image/jpeg"' in meta.xmp and b'tiff:Orientation="1"' in meta.xmp
    if fmt != "WEBP":  # WebP has no DPI field
        assert meta.dpi == pytest.approx((300.0, 300.0), abs=0.1)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF", "BMP"])
def test_keep_metadata_false_writes_none(fmt):
    meta = ImageMetadata(exif=camera_exif(), icc_profile=SRGB_ICC, xmp=XMP, dpi=(300.0, 300.0))
    data = image_io.encode_image(block_image(16, 16), None, meta, format=fmt, keep_metadata=False)
    loaded = image_io.load_image_bytes(data, f"clean.{fmt.lower()}")
    assert loaded.metadata.icc_profile is None and loaded.metadata.xmp is None
    assert loaded.metadata.dpi in (None, (96.0, 96.0))  # BMP always stores a resolution; Pillow writes 96
    exif = read_exif(loaded.metadata.exif) if loaded.metadata.exif else {}
    assert 0x010F not in exif and 0x013B not in exif


def test_saving_forces_orientation_one_and_drops_a_non_rgb_profile():
    gray_icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()  # not an RGB profile
    meta = ImageMetadata(exif=camera_exif(orientation=8), icc_profile=gray_icc)
    loaded = image_io.load_image_bytes(image_io.encode_image(block_image(16, 24), None, meta, format="JPEG"))
    assert read_exif(loaded.metadata.exif)[0x0112] == 1
    assert loaded.metadata.icc_profile is None
    assert loaded.pixels.shape == (16, 24, 3)  # not rotated by anyone


def test_oversized_jpeg_exif_loses_the_makernote_not_the_save():
    exif = read_exif(camera_exif())
    exif.get_ifd(0x8769)[0x927C] = bytes(70_000)  # a camera MakerNote too big for one JPEG APP1 segment
    meta = ImageMetadata(exif=exif.tobytes())
    loaded = image_io.load_image_bytes(image_io.encode_image(block_image(16, 16), None, meta, format="JPEG"))
    kept = read_exif(loaded.metadata.exif)
    assert kept[0x010F] == "Acme"
    assert 0x927C not in kept.get_ifd(0x8769)


def test_encode_matches_what_save_writes(tmp_path):
    pixels, alpha = noise_image(20, 20), noise_image(20, 20, channels=1)
    path = image_io.save_image(tmp_path / "a.png", pixels, alpha)
    assert path.read_bytes() == image_io.encode_image(pixels, alpha, format="PNG")


def test_explicit_format_overrides_the_extension(tmp_path):
    path = image_io.save_image(tmp_path / "photo.dat", block_image(8, 8), format="png")
    assert path.read_bytes().startswith(b"\x89PNG")


def test_formats_and_extensions():
    assert set(image_io.SUPPORTED_FORMATS) == {"JPEG", "PNG", "WEBP", "TIFF", "BMP"}
    assert set(image_io.SAVE_EXTENSIONS.values()) == set(image_io.SUPPORTED_FORMATS)
    assert image_io.format_for_path("a/B.JPG") == "JPEG"
    assert image_io.format_for_path("x.tiff") == "TIFF"
    assert image_io.format_for_path("x.webp") == "WEBP"
    assert image_io.is_supported_path("x.Png") and not image_io.is_supported_path("x.gif")
    assert not image_io.is_supported_path("README")


@pytest.mark.parametrize("name", ["anim.gif", "noext"])
def test_format_for_unknown_extension_is_one_sentence(name):
    with pytest.raises(ImageError) as err:
        image_io.format_for_path(name)
    assert_one_sentence(str(err.value), name)
    assert "JPEG, PNG, WebP, TIFF or BMP" in str(err.value)


def test_webp_refuses_pictures_beyond_its_limit_with_a_sentence():
    with pytest.raises(ImageError, match="WebP cannot store a picture of 16384 x 2 pixels"):
        image_io.encode_image(np.zeros((2, 16384, 3), np.uint8), format="WEBP")


def test_bad_quality_and_bad_arrays_are_refused():
    with pytest.raises(ImageError, match="between 1 and 100"):
        image_io.encode_image(block_image(8, 8), format="JPEG", quality=0)
    with pytest.raises(ValueError):
        image_io.encode_image(np.zeros((8, 8), np.uint8), format="PNG")
    with pytest.raises(ValueError):
        image_io.encode_image(block_image(8, 8), np.zeros((4, 4), np.uint8), format="PNG")


@pytest.mark.parametrize("ext", ["jpg", "png", "webp", "tif", "bmp"])
def test_loaded_arrays_are_writable_so_the_document_can_edit_them(tmp_path, ext):
    alpha = noise_image(16, 16, channels=1) if ext in ("png", "webp", "tif") else None
    loaded = image_io.load_image(image_io.save_image(tmp_path / f"e.{ext}", block_image(16, 16), alpha))
    for arr in (loaded.pixels, loaded.alpha) if alpha is not None else (loaded.pixels,):
        assert arr.flags.writeable and arr.flags.c_contiguous
    doc = Document.from_loaded(loaded)
    doc.apply_pixels(Rect(0, 0, 4, 4), np.zeros((4, 4, 3), np.uint8), "Fill")
    assert not doc.image[:4, :4].any()


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_broken_exif_bytes_are_dropped_not_fatal():
    meta = ImageMetadata(exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f garbage")
    loaded = image_io.load_image_bytes(image_io.encode_image(block_image(8, 8), None, meta, format="JPEG"))
    assert loaded.metadata.exif is None
