"""Images in and out: JPEG, PNG, WebP, TIFF and BMP <-> upright RGB uint8 pixels (+ alpha), keeping EXIF and ICC.

Loading reads the header first and refuses images over `max_pixels` before decoding anything (decompression
bombs), then forces a full decode so that a truncated file is refused instead of shown half grey. Every way a
file can be bad becomes one ImageError sentence that names the file. Saving encodes in memory (`encode_image`,
which the vault uses to embed payloads) and writes atomically.
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Optional, Union

import cv2
import numpy as np
from PIL import (BmpImagePlugin, Image, ImageCms, JpegImagePlugin, PngImagePlugin, TiffImagePlugin,
                 WebPImagePlugin)

from . import libtiff_messages
from .atomic import atomic_write_bytes
from .digital_source import source_type_only
from .errors import ImageError
from .image_types import ImageMetadata, LoadedImage

log = logging.getLogger(__name__)

PathLike = Union[str, "os.PathLike[str]"]

MAX_PIXELS = 200_000_000
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP")
SAVE_EXTENSIONS = {
    ".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".jfif": "JPEG",
    ".png": "PNG",
    ".webp": "WEBP",
    ".tif": "TIFF", ".tiff": "TIFF",
    ".bmp": "BMP",
}
_SUPPORTED_TEXT = "JPEG, PNG, WebP, TIFF or BMP"
_DISPLAY_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "TIFF": "TIFF", "BMP": "BMP"}
_ALPHA_FORMATS = {"PNG", "WEBP", "TIFF"}
_MAX_SIDE = {"JPEG": 65500, "WEBP": 16383, "PNG": 2**31 - 1, "TIFF": 2**32 - 1, "BMP": 2**31 - 1}
JPEG_DEFAULT_QUALITY = 95

# Pillow itself refuses images over 2 * MAX_IMAGE_PIXELS while decoding (TIFF) and warns above it. Our own limit
# is checked first, from the header, so Pillow's must not sit below ours.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# libtiff (Pillow's TIFF codec) writes its errors straight to the terminal; from here on they come to us instead.
libtiff_messages.install()

# Opened through the plugin classes directly (not Image.open) so that only these five decoders ever see user
# files, and so that our size check runs before Pillow's own DecompressionBombWarning would.
_OPENERS = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
    "TIFF": TiffImagePlugin.TiffImageFile,
    "BMP": BmpImagePlugin.BmpImageFile,
}

ORIENTATION_TAG = 0x0112
# TIFF layout tags describe how a TIFF stores its own pixels; carried into another file they would be wrong.
# ICC and XMP are kept in their own fields, IPTC/Photoshop blocks (and Photoshop layers) are not carried over.
_LAYOUT_TAGS = {
    254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 280, 281, 284, 292, 293, 317, 320, 322, 323,
    324, 325, 330, 338, 339, 340, 341, 347, 513, 514, 530, 532, 700, 32997, 33723, 34377, 34675, 37724,
    0xF11E,  # Veil's recovery payload in TIFF: it belongs to that file's pixels, never to a copy
}
_MAKERNOTE_TAG = 0x927C
_EXIF_IFD_TAG = 0x8769
_GPS_IFD_TAG = 0x8825
_JPEG_MAX_EXIF = 65533  # one APP1 segment
_JPEG_MAX_XMP = 65533 - 29  # one APP1 segment minus the XMP namespace; Extended XMP is not written


# -- formats -----------------------------------------------------------------------------------------------------
def is_supported_path(path: PathLike) -> bool:
    return Path(path).suffix.lower() in SAVE_EXTENSIONS


def format_for_path(path: PathLike) -> str:
    """Pillow format name for a file name's extension, e.g. 'photo.JPG' -> 'JPEG'."""
    p = Path(path)
    fmt = SAVE_EXTENSIONS.get(p.suffix.lower())
    if fmt is None:
        what = f"the extension {p.suffix}" if p.suffix else "no extension"
        raise ImageError(f"{p.name or p} has {what}; Veil saves {_SUPPORTED_TEXT} "
                         f"(.jpg, .png, .webp, .tif or .bmp).")
    return fmt


def _normalise_format(fmt: str) -> str:
    key = fmt.strip().lstrip(".").upper()
    key = {"JPG": "JPEG", "JPE": "JPEG", "JFIF": "JPEG", "TIF": "TIFF"}.get(key, key)
    if key not in SUPPORTED_FORMATS:
        raise ImageError(f"Veil cannot save images as {fmt}; choose {_SUPPORTED_TEXT}.")
    return key


def _sniff_format(head: bytes) -> Optional[str]:
    """The format from the file's first bytes; the extension is not trusted."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head[:2] == b"BM":
        return "BMP"
    return None


# -- messages ----------------------------------------------------------------------------------------------------
def _megapixels(pixels: int) -> str:
    value = pixels / 1e6
    if value < 1:
        return f"{value:.2g}"
    text = f"{value:.1f}" if value < 100 else f"{value:.0f}"
    return text[:-2] if text.endswith(".0") else text


def _too_large(name: str, pixels: int, max_pixels: int) -> ImageError:
    return ImageError(f"{name} is {_megapixels(pixels)} megapixels; "
                      f"Veil opens photos up to {_megapixels(max_pixels)} megapixels.")


def _corrupt(name: str, fmt: str) -> ImageError:
    if fmt == "TIFF":  # TIFF has many layouts Pillow does not read (float colour, odd bit depths)
        return ImageError(f"{name} is damaged or uses a TIFF layout Veil cannot read.")
    return ImageError(f"{name} is truncated or corrupt and cannot be opened.")


def _out_of_memory(name: str) -> ImageError:
    return ImageError(f"{name} is too large to open with the memory available.")


# -- loading -----------------------------------------------------------------------------------------------------
def load_image(path: PathLike, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Open a photo as upright RGB uint8 pixels, alpha (or None) and the metadata needed to save it faithfully."""
    path = Path(path)
    name = path.name or str(path)
    try:
        fh = open(path, "rb")
    except (FileNotFoundError, NotADirectoryError):
        raise ImageError(f"{name} does not exist.") from None
    except IsADirectoryError:
        raise ImageError(f"{name} is a folder, not an image file.") from None
    except PermissionError:
        if _is_folder(path):  # Windows refuses to open a folder with a permission error
            raise ImageError(f"{name} is a folder, not an image file.") from None
        raise ImageError(f"You do not have permission to read {name}.") from None
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).rstrip(".").lower()
        raise ImageError(f"Could not read {name}: {reason}.") from None
    with fh:
        if os.fstat(fh.fileno()).st_size == 0:
            raise ImageError(f"{name} is empty (0 bytes).")
        loaded = _decode(fh, name, max_pixels)
    loaded.path = path
    return loaded


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def load_image_bytes(data: bytes, name: str = "image", max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Like load_image, from encoded bytes in memory; `name` is used in messages."""
    if not data:
        raise ImageError(f"{name} is empty (0 bytes).")
    return _decode(io.BytesIO(data), name, max_pixels)


def _decode(fp: BinaryIO, name: str, max_pixels: int) -> LoadedImage:
    head = fp.read(16)
    fp.seek(0)
    fmt = _sniff_format(head)
    if fmt is None:
        raise ImageError(f"{name} is not a supported image ({_SUPPORTED_TEXT}).")
    try:
        im = _OPENERS[fmt](fp, name)
    except MemoryError:
        raise _out_of_memory(name) from None
    except Exception as exc:  # Pillow raises SyntaxError, OSError, ValueError, struct.error... on bad headers
        raise _corrupt(name, fmt) from exc
    try:
        width, height = im.size
        if width * height > max_pixels:
            raise _too_large(name, width * height, max_pixels)
        if width == 0 or height == 0:
            raise _corrupt(name, fmt)
        try:
            frames = int(getattr(im, "n_frames", 1))
            if frames > 1:
                im.seek(0)
            _full_decode(im, name)  # a truncated file raises here (LOAD_TRUNCATED_IMAGES stays off)
        except Image.DecompressionBombError:  # Pillow's own limit, lower than ours only if a caller raised ours
            pillow_limit = 2 * (Image.MAX_IMAGE_PIXELS or max_pixels)
            raise _too_large(name, width * height, min(max_pixels, pillow_limit)) from None
        except MemoryError:
            raise _out_of_memory(name) from None
        except Exception as exc:
            raise _corrupt(name, fmt) from exc
        loaded = _to_loaded(im, fp, fmt, name)
        if frames > 1:
            loaded.metadata.extra["frames"] = frames  # only the first page / frame is opened
        return loaded
    finally:
        im.close()


def _full_decode(im: Image.Image, name: str) -> None:
    """Decode every pixel now. A libtiff error is a failed read: libtiff reports a damaged strip only as a message
    and hands Pillow the pixels it guessed, so without this a broken TIFF would open as a garbled picture."""
    with libtiff_messages.captured_errors() as libtiff_errors:
        im.load()
    if libtiff_errors:
        log.info("%s: %s", name, "; ".join(libtiff_errors))
        raise OSError("libtiff: " + "; ".join(libtiff_errors))


def _to_loaded(im: Image.Image, fp: BinaryIO, fmt: str, name: str) -> LoadedImage:
    meta = ImageMetadata(format=fmt, mode=im.mode)
    orientation, meta.exif = _read_exif(im)
    meta.xmp = _read_xmp(im)
    meta.dpi = _read_dpi(im)
    icc = im.info.get("icc_profile") or None

    rgb, alpha = _pixels_of(im, name)
    if _is_16bit_colour(im, fp, fmt):
        rgb, alpha = _round_16bit_colour(fp, rgb, alpha)
        meta.extra["source_bits"] = 16
    rgb, meta.icc_profile = _apply_icc(im, rgb, icc, meta)

    if alpha is not None and (int(alpha.min()) == 255 or (fmt == "BMP" and int(alpha.max()) == 0)):
        alpha = None  # opaque; many 32-bit BMP writers leave an all-zero alpha that means nothing
    if orientation != 1:
        rgb = _upright(rgb, orientation)
        alpha = None if alpha is None else _upright(alpha, orientation)
        if meta.dpi and orientation >= 5:
            meta.dpi = (meta.dpi[1], meta.dpi[0])
        meta.extra["orientation_applied"] = orientation
    return LoadedImage(_own_array(rgb), None if alpha is None else _own_array(alpha), meta)


def _own_array(arr: np.ndarray) -> np.ndarray:
    """A C-contiguous, writable array: numpy views of Pillow images are read-only, and the document edits in place."""
    if arr.flags.c_contiguous and arr.flags.writeable:
        return arr
    return np.array(arr, order="C")


def _upright(arr: np.ndarray, orientation: int) -> np.ndarray:
    """Apply EXIF orientation (TIFF/EXIF tag 0x0112): the transform from stored rows/columns to the upright view."""
    if orientation == 2:
        return arr[:, ::-1]
    if orientation == 3:
        return arr[::-1, ::-1]
    if orientation == 4:
        return arr[::-1]
    if orientation == 5:
        return arr.swapaxes(0, 1)
    if orientation == 6:
        return arr.swapaxes(0, 1)[:, ::-1]
    if orientation == 7:
        return arr[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return arr.swapaxes(0, 1)[::-1]
    return arr


# -- pixel conversion --------------------------------------------------------------------------------------------
def _pixels_of(im: Image.Image, name: str) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """RGB uint8 and alpha (or None) from any mode our five formats produce."""
    mode = im.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        return _gray_to_rgb(_high_bit_gray_to_uint8(np.asarray(im))), None
    if mode in ("1", "L") and "transparency" not in im.info:
        return _gray_to_rgb(np.asarray(im.convert("L"))), None
    if mode == "CMYK":  # the ICC path (if any) replaces this naive conversion later
        return np.asarray(im.convert("RGB")), None
    if mode == "LAB":
        lab_to_srgb = ImageCms.buildTransform(ImageCms.createProfile("LAB"), _srgb_profile(), "LAB", "RGB")
        return np.asarray(ImageCms.applyTransform(im, lab_to_srgb)), None
    has_alpha = mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in im.info
    try:
        converted = im if mode == ("RGBA" if has_alpha else "RGB") else im.convert("RGBA" if has_alpha else "RGB")
    except ValueError:
        raise ImageError(f"{name} uses the {mode} colour mode, which Veil cannot open.") from None
    arr = np.asarray(converted)
    if has_alpha:
        return arr[..., :3], arr[..., 3]
    return arr, None


def _gray_to_rgb(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[..., None], 3, axis=2)


def _high_bit_gray_to_uint8(arr: np.ndarray) -> np.ndarray:
    """16-bit gray -> round(v / 257); 32-bit int / float gray mapped by its value range.

    Float data in [0, 1] is scaled by 255; int or float data already in [0, 255] is kept; int data in [0, 65535]
    is treated as 16-bit; anything else is stretched linearly from its minimum to its maximum.
    """
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 2:
        return _round_to_8bit(arr)
    if arr.dtype.kind == "f":
        arr = np.nan_to_num(arr.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(arr.min()), float(arr.max())
    if arr.dtype.kind == "f" and lo >= 0.0 and hi <= 1.0:
        return (arr * 255.0 + 0.5).astype(np.uint8)
    if lo >= 0 and hi <= 255:
        return (arr + 0.5).astype(np.uint8) if arr.dtype.kind == "f" else arr.astype(np.uint8)
    if arr.dtype.kind != "f" and lo >= 0 and hi <= 65535:
        return ((arr.astype(np.int64) + 128) // 257).astype(np.uint8)
    if hi <= lo:
        return np.zeros(arr.shape, np.uint8)
    scale = 255.0 / (hi - lo)
    return ((arr.astype(np.float32) - lo) * scale + 0.5).astype(np.uint8)


def _is_16bit_colour(im: Image.Image, fp: BinaryIO, fmt: str) -> bool:
    if im.mode not in ("RGB", "RGBA", "LA"):
        return False
    if fmt == "PNG":
        fp.seek(24)  # IHDR bit depth
        return fp.read(1) == b"\x10"
    if fmt == "TIFF":
        bits = im.tag_v2.get(258, (8,))
        return all(b == 16 for b in (bits if isinstance(bits, tuple) else (bits,)))
    return False


def _round_16bit_colour(fp: BinaryIO, rgb: np.ndarray,
                        alpha: Optional[np.ndarray]) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """Pillow keeps only the high byte of 16-bit colour; decode again with OpenCV to get round(v / 257).

    OpenCV's result is used only where its high bytes equal Pillow's pixels, so the two decoders can never
    disagree on orientation or layout; otherwise Pillow's 8 bits stay.
    """
    fp.seek(0)
    raw = cv2.imdecode(np.frombuffer(fp.read(), np.uint8), cv2.IMREAD_UNCHANGED)
    if raw is None or raw.dtype != np.uint16 or raw.ndim != 3 or raw.shape[2] not in (3, 4):
        return rgb, alpha
    rgb16 = raw[..., 2::-1]  # OpenCV gives BGR(A)
    alpha16 = raw[..., 3] if raw.shape[2] == 4 else None
    if rgb16.shape != rgb.shape or not np.array_equal(rgb16 >> 8, rgb):
        return rgb, alpha
    if alpha is not None and (alpha16 is None or not np.array_equal(alpha16 >> 8, alpha)):
        return rgb, alpha
    rounded = _round_to_8bit(rgb16)
    return rounded, (None if alpha is None else _round_to_8bit(alpha16))


def _round_to_8bit(values: np.ndarray) -> np.ndarray:
    return ((values.astype(np.uint32) + 128) // 257).astype(np.uint8)


# -- colour profiles ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _icc_colour_space(icc: Optional[bytes]) -> Optional[str]:
    """The data colour space from an ICC header ('RGB', 'CMYK', 'GRAY', ...), None if it is not a profile."""
    if not icc or len(icc) < 128 or icc[36:40] != b"acsp":
        return None
    return icc[16:20].decode("ascii", "replace").strip()


def _apply_icc(im: Image.Image, rgb: np.ndarray, icc: Optional[bytes],
               meta: ImageMetadata) -> tuple[np.ndarray, Optional[bytes]]:
    """Keep an RGB profile; convert CMYK / gray pixels through their own profile to sRGB and drop that profile."""
    space = _icc_colour_space(icc)
    if space == "RGB":
        return rgb, icc
    if icc is None:
        return rgb, None
    source = None
    if space == "CMYK" and im.mode == "CMYK":
        source, in_mode = im, "CMYK"
    elif space == "GRAY" and im.mode in ("1", "L", "LA", "I;16", "I;16B", "I;16L", "I", "F"):
        source, in_mode = Image.fromarray(np.ascontiguousarray(rgb[..., 0])), "L"
    if source is not None:
        try:
            transform = ImageCms.buildTransform(ImageCms.ImageCmsProfile(io.BytesIO(icc)), _srgb_profile(),
                                                in_mode, "RGB")
            rgb = np.asarray(ImageCms.applyTransform(source, transform))
            meta.extra["colour_converted"] = f"{space} profile to sRGB"
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: keep the plain conversion
    return rgb, None


# -- metadata ----------------------------------------------------------------------------------------------------
def _read_exif(im: Image.Image) -> tuple[int, Optional[bytes]]:
    """(orientation, EXIF bytes with orientation reset to 1). Broken EXIF is dropped, never fatal."""
    try:
        exif = im.getexif()
        orientation = int(exif.get(ORIENTATION_TAG, 1))
        return (orientation if 1 <= orientation <= 8 else 1), _clean_exif(exif)
    except Exception:  # EXIF parsing in Pillow can fail in many ways on malformed data
        return 1, None


def _clean_exif(exif: Image.Exif) -> Optional[bytes]:
    """Serialise EXIF for an upright RGB picture: orientation 1, no TIFF layout tags, no stale thumbnail (IFD1)."""
    for tag in _LAYOUT_TAGS.intersection(exif.keys()):
        del exif[tag]
    if ORIENTATION_TAG in exif:
        exif[ORIENTATION_TAG] = 1
    if len(exif) == 0:
        return None
    return exif.tobytes()


def _exif_from_bytes(data: Optional[bytes]) -> Optional[Image.Exif]:
    if not data:
        return None
    exif = Image.Exif()
    try:
        exif.load(data)
        for tag in (_EXIF_IFD_TAG, _GPS_IFD_TAG):  # parse sub-IFDs now: broken EXIF is dropped, never fails a save
            if tag in exif:
                exif.get_ifd(tag)
    except Exception:  # Pillow's EXIF parser raises many kinds of errors on malformed data
        return None
    return exif


def _read_xmp(im: Image.Image) -> Optional[bytes]:
    xmp = im.info.get("xmp")
    if isinstance(xmp, tuple):
        xmp = bytes(xmp)
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    if not xmp:
        return None
    return _xmp_upright(xmp)


def _xmp_upright(xmp: bytes) -> bytes:
    """Reset an XMP tiff:Orientation to 1 as well, so no viewer rotates the upright pixels again."""
    xmp = re.sub(rb'tiff:Orientation="\d"', b'tiff:Orientation="1"', xmp)
    return re.sub(rb"<tiff:Orientation>\d</tiff:Orientation>", b"<tiff:Orientation>1</tiff:Orientation>", xmp)


def _read_dpi(im: Image.Image) -> Optional[tuple[float, float]]:
    """DPI rounded to 0.1 (PNG and BMP store pixels per metre); None when the file gives no physical size."""
    if isinstance(im, TiffImagePlugin.TiffImageFile) and (282 not in im.tag_v2 or im.tag_v2.get(296) == 1):
        return None  # Pillow reports (1, 1) without XResolution; unit 'none' means an aspect ratio, not DPI
    dpi = im.info.get("dpi")
    try:
        x, y = round(float(dpi[0]), 1), round(float(dpi[1]), 1)
    except (TypeError, ValueError, IndexError):
        return None
    return (x, y) if x > 0 and y > 0 and math.isfinite(x) and math.isfinite(y) else None


# -- saving ------------------------------------------------------------------------------------------------------
def save_image(path: PathLike, pixels: np.ndarray, alpha: Optional[np.ndarray] = None,
               metadata: Optional[ImageMetadata] = None, *, format: Optional[str] = None,
               quality: Optional[int] = None, keep_metadata: bool = True) -> Path:
    """Encode and write atomically; the format comes from the extension unless given. Returns the path."""
    fmt = _normalise_format(format) if format else format_for_path(path)
    data = encode_image(pixels, alpha, metadata, format=fmt, quality=quality, keep_metadata=keep_metadata)
    return atomic_write_bytes(path, data)


def encode_image(pixels: np.ndarray, alpha: Optional[np.ndarray] = None, metadata: Optional[ImageMetadata] = None,
                 *, format: str, quality: Optional[int] = None, keep_metadata: bool = True) -> bytes:
    """Encode RGB uint8 pixels (+ alpha where the format has it) with EXIF/ICC/DPI/XMP when keep_metadata.

    JPEG: quality 95 by default, 4:4:4 chroma at quality >= 90. WebP: lossless unless a quality is given.
    PNG, TIFF (deflate, or uncompressed when it must carry EXIF sub-IFDs) and BMP are lossless.
    Alpha is dropped for JPEG and BMP.
    """
    fmt = _normalise_format(format)
    _check_arrays(pixels, alpha)
    height, width = pixels.shape[:2]
    if max(width, height) > _MAX_SIDE[fmt]:
        side = _MAX_SIDE[fmt]
        raise ImageError(f"{_DISPLAY_NAMES[fmt]} cannot store a picture of {width} x {height} pixels (at most "
                         f"{side} x {side}); save it as PNG or TIFF instead.")
    if quality is not None and not 1 <= int(quality) <= 100:
        raise ImageError(f"Quality must be between 1 and 100, not {quality}.")
    if alpha is not None and fmt in _ALPHA_FORMATS:
        im = Image.fromarray(np.dstack([pixels, alpha]))
    else:
        im = Image.fromarray(np.ascontiguousarray(pixels))
    params = _encoder_params(fmt, quality)
    if keep_metadata and metadata is not None:
        params.update(_metadata_params(fmt, metadata))
    if fmt == "TIFF" and any(tag in params.get("exif", ()) for tag in (_EXIF_IFD_TAG, _GPS_IFD_TAG)):
        params["compression"] = "raw"  # libtiff (which compresses) cannot write EXIF sub-IFDs; Pillow's writer can
    buf = io.BytesIO()
    try:
        im.save(buf, format=fmt, **params)
    except MemoryError:
        raise ImageError("There is not enough memory to encode this photo.") from None
    except (OSError, ValueError) as exc:
        raise ImageError(f"Could not encode the photo as {_DISPLAY_NAMES[fmt]} ({exc}).") from exc
    return buf.getvalue()


def _check_arrays(pixels: np.ndarray, alpha: Optional[np.ndarray]) -> None:
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise ValueError("pixels must be H x W x 3 uint8 RGB")
    if alpha is not None and (alpha.shape != pixels.shape[:2] or alpha.dtype != np.uint8):
        raise ValueError("alpha must be H x W uint8, the size of the pixels")


def _encoder_params(fmt: str, quality: Optional[int]) -> dict:
    if fmt == "JPEG":
        q = JPEG_DEFAULT_QUALITY if quality is None else int(quality)
        return {"quality": q, "subsampling": 0} if q >= 90 else {"quality": q}
    if fmt == "WEBP":
        if quality is None:  # 'quality' is the effort when lossless: libwebp's default 80 is ~10x slower for ~5%
            return {"lossless": True, "exact": True, "method": 1, "quality": 10}
        return {"quality": int(quality)}
    if fmt == "TIFF":
        return {"compression": "tiff_adobe_deflate"}
    return {}


def _metadata_params(fmt: str, meta: ImageMetadata) -> dict:
    """Encoder keywords for the metadata this format can carry (BMP: DPI only)."""
    params: dict = {}
    if meta.dpi and fmt != "WEBP":
        params["dpi"] = tuple(float(v) for v in meta.dpi)
    if fmt == "BMP":
        return params
    if _icc_colour_space(meta.icc_profile) == "RGB":  # never put a CMYK/gray profile on RGB pixels
        params["icc_profile"] = meta.icc_profile
    exif = _exif_from_bytes(meta.exif)
    exif_bytes = _clean_exif(exif) if exif is not None else None  # also cleans `exif` itself
    xmp = _xmp_upright(meta.xmp) if meta.xmp else None
    if fmt == "TIFF":  # TIFF takes EXIF as tags of its own IFD; XMP is tag 700 there
        if exif_bytes or xmp:
            tags = exif if exif_bytes else Image.Exif()
            if xmp:
                tags[700] = xmp
            params["exif"] = tags
        return params
    if exif_bytes and fmt == "JPEG" and len(exif_bytes) > _JPEG_MAX_EXIF:
        exif_bytes = _without_makernote(exif_bytes)
    if exif_bytes:
        params["exif"] = exif_bytes
    if xmp and fmt == "JPEG" and len(xmp) > _JPEG_MAX_XMP:
        xmp = source_type_only(xmp)    # the rest is lost, but not whether the pixels were invented
    if xmp:
        if fmt == "PNG":
            info = PngImagePlugin.PngInfo()
            info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8", "replace"))
            params["pnginfo"] = info
        else:
            params["xmp"] = xmp
    return params


def _without_makernote(exif_bytes: bytes) -> Optional[bytes]:
    """A JPEG holds at most 64 KB of EXIF; drop the camera's private MakerNote (the usual culprit) to fit."""
    exif = _exif_from_bytes(exif_bytes)
    if exif is None:
        return None
    exif.get_ifd(_EXIF_IFD_TAG).pop(_MAKERNOTE_TAG, None)
    smaller = exif.tobytes()
    return smaller if len(smaller) <= _JPEG_MAX_EXIF else None
