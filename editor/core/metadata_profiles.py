"""Export profiles for metadata: `retouch` keeps everything, `privacy` keeps only what cannot identify anyone.

The privacy profile works from a whitelist, so a vendor tag we have never heard of is dropped, not leaked:
no GPS, no maker notes (serials, owner names, sometimes face-detection boxes), no EXIF thumbnail (IFD1: it
can show the original, unredacted face), no artist/copyright/owner/serial/comment fields and no IPTC.
Kept: the colour profile, resolution, orientation (reset to 1: pixels are upright) and exposure settings. Of the
XMP, only the IPTC digital source type is kept, alone in a packet of its own: it says that pixels were invented,
which a shared copy must go on saying, and it identifies no one.
"""

from __future__ import annotations

import logging
import warnings
from typing import Optional

from PIL import Image

from .digital_source import source_type_only, with_source_type
from .image_types import ImageMetadata

log = logging.getLogger(__name__)

_EXIF_HEADER = b"Exif\x00\x00"
_EXIF_IFD = 0x8769
_ORIENTATION = 0x0112

# IFD0: Make, Model, Orientation, X/YResolution, ResolutionUnit, Software, DateTime, YCbCrPositioning.
IFD0_KEEP = frozenset({0x010F, 0x0110, 0x0112, 0x011A, 0x011B, 0x0128, 0x0131, 0x0132, 0x0213})
# Exif IFD: exposure and capture settings, times, colour space, lens model (not its serial number).
EXIF_KEEP = frozenset({
    0x829A, 0x829D, 0x8822, 0x8827, 0x8830, 0x9000, 0x9003, 0x9004, 0x9010, 0x9011, 0x9012, 0x9101,
    0x9201, 0x9202, 0x9203, 0x9204, 0x9205, 0x9207, 0x9208, 0x9209, 0x920A, 0x9290, 0x9291, 0x9292,
    0xA000, 0xA001, 0xA002, 0xA003, 0xA402, 0xA403, 0xA404, 0xA405, 0xA406, 0xA407, 0xA408, 0xA409,
    0xA40A, 0xA40C, 0xA432, 0xA433, 0xA434,
})
# `extra` entries image_io records about decoding, not about people; anything else (text chunks...) is dropped.
EXTRA_KEEP = frozenset({"source_bits", "frames", "orientation_applied", "colour_converted"})


def _privacy_exif(raw: bytes) -> bytes | None:
    try:
        with warnings.catch_warnings():     # Pillow warns on corrupt EXIF; we drop whatever it cannot read
            warnings.simplefilter("ignore")
            source = Image.Exif()
            source.load(raw)
            exif_ifd = source.get_ifd(_EXIF_IFD)
            clean = Image.Exif()
            for tag in IFD0_KEEP & set(source):
                clean[tag] = source[tag]
            kept = {tag: value for tag, value in exif_ifd.items() if tag in EXIF_KEEP}
            if kept:
                clean[_EXIF_IFD] = kept
            clean[_ORIENTATION] = 1
            data = clean.tobytes()
    except Exception as e:  # Pillow raises many types on odd EXIF; dropping it all is the private choice
        log.info("EXIF dropped by the privacy profile (%s)", e)
        return None
    return data if raw.startswith(_EXIF_HEADER) else data[len(_EXIF_HEADER):]


def privacy_metadata(meta: ImageMetadata) -> ImageMetadata:
    """A copy safe to share: see the module docstring for what is kept."""
    out = meta.copy()
    out.exif = _privacy_exif(meta.exif) if meta.exif else None
    out.xmp = source_type_only(meta.xmp)
    out.extra = {k: v for k, v in meta.extra.items() if k in EXTRA_KEEP}
    return out


def retouch_metadata(meta: ImageMetadata) -> ImageMetadata:
    """A copy keeping all metadata (the retoucher's own files)."""
    return meta.copy()


def with_digital_source_type(meta: Optional[ImageMetadata], source_type: Optional[str]) -> Optional[ImageMetadata]:
    """A copy whose XMP states `source_type` (see digital_source.py); `meta` itself when there is none to state."""
    if not source_type:
        return meta
    out = meta.copy() if meta is not None else ImageMetadata()
    out.xmp = with_source_type(meta.xmp if meta is not None else None, source_type)
    return out
