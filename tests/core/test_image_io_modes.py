"""Loading every kind of source: EXIF orientation, 16/32-bit, grayscale, palette, CMYK, alpha, multi-page."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from core_helpers import block_image, noise_image, psnr
from editor.core import image_io

CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
GRAY_PROFILE = Path("/usr/share/color/icc/ghostscript/sgray.icc")

# Stored pixels for each EXIF orientation, written straight from the EXIF 2.3 table ("row 0 is the visual ...,
# column 0 is the visual ...") with numpy rotations and flips of the upright picture.
STORED_FROM_UPRIGHT = {
    1: lambda up: up,
    2: lambda up: np.fliplr(up),                    # row 0 top, column 0 right
    3: lambda up: np.rot90(up, 2),                  # row 0 bottom, column 0 right
    4: lambda up: np.flipud(up),                    # row 0 bottom, column 0 left
    5: lambda up: np.transpose(up, (1, 0, 2)),      # row 0 left, column 0 top
    6: lambda up: np.rot90(up, 1),                  # row 0 right, column 0 top
    7: lambda up: np.fliplr(np.rot90(up, 1)),       # row 0 right, column 0 bottom
    8: lambda up: np.rot90(up, -1),                 # row 0 left, column 0 bottom
}


def exif_with(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x013B] = "Ann Example"
    return exif


@pytest.mark.parametrize("ext", ["png", "tif", "webp"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_gives_upright_pixels_lossless(tmp_path, orientation, ext):
    upright = block_image(30, 50)
    stored = np.ascontiguousarray(STORED_FROM_UPRIGHT[orientation](upright))
    path = tmp_path / f"o{orientation}.{ext}"
    Image.fromarray(stored).save(path, exif=exif_with(orientation), dpi=(100, 200), lossless=True)

    loaded = image_io.load_image(path)
    assert np.array_equal(loaded.pixels, upright)
    with Image.open(path) as im:  # Pillow's own transpose agrees
        assert np.array_equal(np.asarray(ImageOps.exif_transpose(im).convert("RGB")), upright)
    kept = Image.Exif()
    kept.load(loaded.metadata.exif)
    assert kept.get(0x0112, 1) == 1 and kept[0x013B] == "Ann Example"
    if ext == "png":
        assert loaded.metadata.dpi == ((200.0, 100.0) if orientation >= 5 else (100.0, 200.0))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_gives_upright_pixels_jpeg_and_is_not_applied_twice(tmp_path, orientation):
    upright = block_image(48, 80)
    stored = np.ascontiguousarray(STORED_FROM_UPRIGHT[orientation](upright))
    path = tmp_path / f"o{orientation}.jpg"
    Image.fromarray(stored).save(path, exif=exif_with(orientation), quality=95, subsampling=0)

    loaded = image_io.load_image(path)
    assert loaded.pixels.shape == upright.shape
    assert psnr(loaded.pixels, upright) > 30.0
    resaved = image_io.load_image(image_io.save_image(tmp_path / "resaved.jpg", loaded.pixels, None, loaded.metadata))
    assert psnr(resaved.pixels, upright) > 30.0  # orientation 1 on disk: nobody rotates it again


def test_orientation_also_turns_alpha(tmp_path):
    upright = np.dstack([block_image(20, 30), noise_image(20, 30, channels=1)])
    path = tmp_path / "turned.png"
    Image.fromarray(np.ascontiguousarray(np.rot90(upright, 1))).save(path, exif=exif_with(6))
    loaded = image_io.load_image(path)
    assert np.array_equal(loaded.pixels, upright[..., :3])
    assert np.array_equal(loaded.alpha, upright[..., 3])


def test_xmp_orientation_is_reset_too(tmp_path):
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><tiff:Orientation>6</tiff:Orientation></x:xmpmeta>'
    path = tmp_path / "xmp.jpg"
    Image.fromarray(block_image(16, 16)).save(path, exif=exif_with(6), xmp=xmp)
    assert image_io.load_image(path).metadata.xmp == xmp.replace(b">6<", b">1<")


def round_257(values: np.ndarray) -> np.ndarray:
    return np.floor(values.astype(np.float64) / 257.0 + 0.5).astype(np.uint8)


def sixteen_bit(shape, seed=0) -> np.ndarray:
    values = np.random.default_rng(seed).integers(0, 65536, shape, dtype=np.uint16)
    values.flat[:4] = [0, 65535, 128 * 257 + 128, 128 * 257 + 129]  # the ends and both sides of a rounding step
    return values


@pytest.mark.parametrize("ext", ["png", "tif"])
def test_16bit_gray_is_scaled_by_1_over_257(tmp_path, ext):
    gray = sixteen_bit((20, 30))
    path = tmp_path / f"gray16.{ext}"
    assert cv2.imwrite(str(path), gray)
    loaded = image_io.load_image(path)
    assert loaded.metadata.mode.startswith("I;16")
    assert np.array_equal(loaded.pixels, np.repeat(round_257(gray)[..., None], 3, axis=2))


def test_16bit_big_endian_gray_tiff(tmp_path):
    gray = sixteen_bit((10, 12), seed=3)
    path = tmp_path / "gray16be.tif"
    Image.frombytes("I;16B", (12, 10), gray.astype(">u2").tobytes()).save(path)
    loaded = image_io.load_image(path)
    assert loaded.metadata.mode == "I;16B"
    assert np.array_equal(loaded.pixels[..., 1], round_257(gray))


@pytest.mark.parametrize("ext", ["png", "tif"])
def test_48bit_rgb_is_scaled_by_1_over_257(tmp_path, ext):
    rgb = sixteen_bit((20, 30, 3), seed=1)
    path = tmp_path / f"rgb48.{ext}"
    assert cv2.imwrite(str(path), rgb[..., ::-1])  # OpenCV writes BGR
    loaded = image_io.load_image(path)
    assert np.array_equal(loaded.pixels, round_257(rgb))
    assert loaded.alpha is None and loaded.metadata.extra["source_bits"] == 16


def png_with_exif_orientation(png: bytes, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    body = b"eXIf" + exif.tobytes()[6:]
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    return png[:33] + chunk + png[33:]  # right after IHDR


@pytest.mark.parametrize("orientation", [3, 6])
def test_48bit_png_with_exif_orientation(orientation):
    rgb = sixteen_bit((6, 10, 3), seed=4)
    ok, png = cv2.imencode(".png", rgb[..., ::-1])
    loaded = image_io.load_image_bytes(png_with_exif_orientation(png.tobytes(), orientation), "turned.png")
    upright = np.rot90(round_257(rgb), 2 if orientation == 3 else -1)
    assert np.array_equal(loaded.pixels, upright)


def test_64bit_rgba_png_keeps_16bit_alpha_scaled(tmp_path):
    rgba = sixteen_bit((12, 16, 4), seed=2)
    path = tmp_path / "rgba64.png"
    assert cv2.imwrite(str(path), rgba[..., [2, 1, 0, 3]])
    loaded = image_io.load_image(path)
    assert np.array_equal(loaded.pixels, round_257(rgba[..., :3]))
    assert np.array_equal(loaded.alpha, round_257(rgba[..., 3]))


def test_float_gray_tiff_in_unit_range_maps_to_0_255(tmp_path):
    values = np.linspace(0.0, 1.0, 12 * 10, dtype=np.float32).reshape(10, 12)
    path = tmp_path / "float.tif"
    Image.fromarray(values).save(path)
    loaded = image_io.load_image(path)
    assert loaded.metadata.mode == "F"
    assert np.array_equal(loaded.pixels[..., 0], np.round(values * 255).astype(np.uint8))


def test_32bit_int_gray_tiff_is_stretched_over_its_range(tmp_path):
    values = np.linspace(-50_000, 3_000_000, 10 * 12).astype(np.int32).reshape(10, 12)
    path = tmp_path / "int32.tif"
    Image.fromarray(values).save(path)
    gray = image_io.load_image(path).pixels[..., 0].astype(int)
    assert gray.min() == 0 and gray.max() == 255
    assert np.all(np.diff(gray.ravel()) >= 0)  # order kept
    expected = (values - values.min()) / (values.max() - values.min()) * 255
    assert np.abs(gray - expected).max() <= 1.0


@pytest.mark.parametrize("ext", ["png", "jpg", "bmp", "tif"])
def test_grayscale_becomes_equal_rgb_channels(tmp_path, ext):
    gray = block_image(32, 48)[..., 0]  # 8-pixel blocks: JPEG keeps them nearly exact
    path = tmp_path / f"gray.{ext}"
    Image.fromarray(gray).save(path, **({"quality": 95} if ext == "jpg" else {}))
    loaded = image_io.load_image(path)
    assert loaded.metadata.mode == "L"
    assert np.array_equal(loaded.pixels[..., 0], loaded.pixels[..., 2])
    assert psnr(loaded.pixels[..., 1], gray) > 40.0


def test_one_bit_image(tmp_path):
    bits = noise_image(16, 24, channels=1) > 127
    path = tmp_path / "bits.png"
    Image.fromarray(bits).save(path)
    loaded = image_io.load_image(path)
    assert np.array_equal(loaded.pixels[..., 0], np.where(bits, 255, 0).astype(np.uint8))


def palette_image(transparency) -> tuple[Image.Image, np.ndarray, np.ndarray]:
    palette = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]], np.uint8)
    index = (np.arange(8 * 12).reshape(8, 12) % 4).astype(np.uint8)
    im = Image.frombytes("P", (12, 8), index.tobytes())
    im.putpalette(palette.ravel().tolist())
    im.info["transparency"] = transparency
    return im, palette[index], index


def test_palette_with_one_transparent_index(tmp_path):
    im, rgb, index = palette_image(2)
    path = tmp_path / "pal.png"
    im.save(path, transparency=2)
    loaded = image_io.load_image(path)
    assert loaded.metadata.mode == "P"
    opaque = index != 2
    assert np.array_equal(loaded.pixels[opaque], rgb[opaque])
    assert np.array_equal(loaded.alpha, np.where(opaque, 255, 0).astype(np.uint8))


def test_palette_with_per_entry_alpha(tmp_path):
    im, rgb, index = palette_image(bytes([255, 128, 0, 64]))
    path = tmp_path / "pal_alpha.png"
    im.save(path, transparency=bytes([255, 128, 0, 64]))
    loaded = image_io.load_image(path)
    assert np.array_equal(loaded.alpha, np.array([255, 128, 0, 64], np.uint8)[index])


def test_opaque_palette_has_no_alpha(tmp_path):
    im, rgb, _ = palette_image(None)
    del im.info["transparency"]
    path = tmp_path / "pal.bmp"
    im.save(path)
    loaded = image_io.load_image(path)
    assert loaded.alpha is None and np.array_equal(loaded.pixels, rgb)


INKS = np.array([[0, 0, 0, 0], [255, 0, 0, 0], [0, 255, 0, 0], [0, 0, 255, 0], [0, 0, 0, 255]], np.uint8)
PLAIN_RGB = np.array([[255, 255, 255], [0, 255, 255], [255, 0, 255], [255, 255, 0], [0, 0, 0]], np.uint8)


def cmyk_patches() -> Image.Image:
    patches = np.repeat(np.repeat(INKS[None], 16, axis=0), 16, axis=1)  # 16 x 80, five 16-px patches
    return Image.frombytes("CMYK", (80, 16), np.ascontiguousarray(patches).tobytes())


def patch_colours(pixels: np.ndarray) -> np.ndarray:
    return pixels[8, 8::16].astype(int)


@pytest.mark.parametrize("ext,tolerance", [("tif", 0), ("jpg", 6)])
def test_cmyk_without_profile_converts_plainly(tmp_path, ext, tolerance):
    path = tmp_path / f"print.{ext}"
    cmyk_patches().save(path)
    loaded = image_io.load_image(path)
    assert loaded.metadata.mode == "CMYK" and loaded.metadata.icc_profile is None
    assert np.abs(patch_colours(loaded.pixels) - PLAIN_RGB).max() <= tolerance


@pytest.mark.skipif(not CMYK_PROFILE.exists(), reason="no CMYK ICC profile on this machine")
@pytest.mark.parametrize("ext", ["tif", "jpg"])
def test_cmyk_with_profile_converts_through_it_and_drops_it(tmp_path, ext):
    path = tmp_path / f"print.{ext}"
    cmyk_patches().save(path, icc_profile=CMYK_PROFILE.read_bytes())
    loaded = image_io.load_image(path)
    assert loaded.metadata.icc_profile is None  # a CMYK profile must not label RGB pixels
    colours = patch_colours(loaded.pixels)
    assert colours[0].min() >= 235  # paper is white
    assert colours[4].max() <= 70  # full black ink is dark
    cyan = colours[1]
    assert cyan[0] < 60 and cyan[2] > 180
    assert np.abs(colours - PLAIN_RGB).max() > 20  # the profile, not the plain formula, was used
    saved = image_io.load_image(image_io.save_image(tmp_path / "rgb.png", loaded.pixels, None, loaded.metadata))
    assert saved.metadata.icc_profile is None


@pytest.mark.skipif(not GRAY_PROFILE.exists(), reason="no gray ICC profile on this machine")
def test_gray_profile_is_applied_and_not_kept_on_rgb(tmp_path):
    gray = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (4, 1))
    path = tmp_path / "gray_icc.png"
    Image.fromarray(gray).save(path, icc_profile=GRAY_PROFILE.read_bytes())
    loaded = image_io.load_image(path)
    assert loaded.metadata.icc_profile is None
    assert loaded.pixels[0, 0].max() <= 2 and loaded.pixels[0, -1].min() >= 235
    assert np.all(np.diff(loaded.pixels[0, :, 1].astype(int)) >= 0)


def test_la_and_rgba_alpha(tmp_path):
    gray, alpha = block_image(12, 18)[..., 0], noise_image(12, 18, channels=1)
    Image.fromarray(np.dstack([gray, alpha])).save(tmp_path / "la.png")
    loaded = image_io.load_image(tmp_path / "la.png")
    assert loaded.metadata.mode == "LA"
    assert np.array_equal(loaded.alpha, alpha) and np.array_equal(loaded.pixels[..., 2], gray)

    rgba = np.dstack([block_image(12, 18), np.full((12, 18), 255, np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "opaque.png")
    opaque = image_io.load_image(tmp_path / "opaque.png")
    assert opaque.metadata.mode == "RGBA" and opaque.alpha is None  # fully opaque: no alpha


def test_multi_page_tiff_opens_the_first_page(tmp_path):
    first, second = block_image(10, 14, seed=1), block_image(10, 14, seed=2)
    path = tmp_path / "pages.tif"
    Image.fromarray(first).save(path, save_all=True, append_images=[Image.fromarray(second)])
    loaded = image_io.load_image(path)
    assert np.array_equal(loaded.pixels, first)
    assert loaded.metadata.extra["frames"] == 2


def test_animated_webp_opens_the_first_frame(tmp_path):
    frames = [Image.fromarray(block_image(10, 14, seed=s)) for s in range(3)]
    path = tmp_path / "anim.webp"
    frames[0].save(path, save_all=True, append_images=frames[1:], lossless=True, duration=100)
    loaded = image_io.load_image(path)
    assert np.array_equal(loaded.pixels, block_image(10, 14, seed=0))
    assert loaded.metadata.extra["frames"] == 3


def test_misnamed_file_is_opened_by_its_content(tmp_path):
    path = tmp_path / "really_a_png.jpg"
    Image.fromarray(block_image(8, 8)).save(path, format="PNG")
    loaded = image_io.load_image(path)
    assert loaded.metadata.format == "PNG" and np.array_equal(loaded.pixels, block_image(8, 8))


def test_load_from_bytes_matches_load_from_file(tmp_path):
    path = tmp_path / "a.webp"
    Image.fromarray(noise_image(9, 11)).save(path, lossless=True)
    from_file = image_io.load_image(path)
    from_bytes = image_io.load_image_bytes(path.read_bytes(), "a.webp")
    assert np.array_equal(from_file.pixels, from_bytes.pixels) and from_bytes.path is None
