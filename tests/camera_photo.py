"""A JPEG that carries what a phone or camera writes about its owner: GPS, a maker note, serial numbers, owner and
artist names, an EXIF thumbnail, XMP and an IPTC block. Every such field holds a marker string, so a test can
search an output's raw bytes for any of them, whatever container it ends up in."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import piexif
from PIL import Image

MARKERS = {
    "artist": b"ARTIST-Jane-Roe",
    "copyright": b"COPYRIGHT-Jane-Roe",
    "owner": b"OWNER-Jane-Roe",
    "serial": b"SERIAL-4242-1717",
    "lens_serial": b"LENSSERIAL-99887",
    "makernote": b"MAKERNOTE-face-box-31-44",
    "comment": b"COMMENT-meet-at-home",
    "xmp": b"XMP-creator-Jane-Roe",
    "iptc": b"IPTC-byline-Jane-Roe",
}
GPS_LATITUDE = ((48, 1), (51, 1), (2406, 100))       # 48 deg 51' 24.06": the tests look for these rationals


def _thumbnail(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).resize((160, 120)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def camera_exif(pixels: np.ndarray) -> bytes:
    exif = {
        "0th": {piexif.ImageIFD.Make: b"Veilcam", piexif.ImageIFD.Model: b"VC-1",
                piexif.ImageIFD.Artist: MARKERS["artist"], piexif.ImageIFD.Copyright: MARKERS["copyright"],
                piexif.ImageIFD.Orientation: 1},
        "Exif": {piexif.ExifIFD.MakerNote: MARKERS["makernote"], piexif.ExifIFD.BodySerialNumber: MARKERS["serial"],
                 piexif.ExifIFD.CameraOwnerName: MARKERS["owner"],
                 piexif.ExifIFD.LensSerialNumber: MARKERS["lens_serial"],
                 piexif.ExifIFD.UserComment: b"ASCII\x00\x00\x00" + MARKERS["comment"],
                 piexif.ExifIFD.ExposureTime: (1, 125), piexif.ExifIFD.FNumber: (28, 10)},
        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: GPS_LATITUDE,
                piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((2, 1), (21, 1), (792, 100))},
        "1st": {piexif.ImageIFD.JPEGInterchangeFormat: 0, piexif.ImageIFD.JPEGInterchangeFormatLength: 0},
        "thumbnail": _thumbnail(pixels),
    }
    return piexif.dump(exif)


def _iptc_segment() -> bytes:
    """A Photoshop APP13 segment with one IPTC record (2:80 By-line)."""
    record = b"\x1c\x02\x50" + struct.pack(">H", len(MARKERS["iptc"])) + MARKERS["iptc"]
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(record)) + record
    body = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def write_camera_jpeg(path: Path, pixels: np.ndarray) -> Path:
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>' + MARKERS["xmp"]
           + b"</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>")
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=92, exif=camera_exif(pixels), xmp=xmp,
                                 comment=MARKERS["comment"])
    data = buf.getvalue()
    path.write_bytes(data[:2] + _iptc_segment() + data[2:])      # APP13 right after SOI, as cameras place it
    return path


def leaks(path: Path) -> list[str]:
    """The names of the markers found in a file's raw bytes, plus 'gps' and 'thumbnail' when its EXIF has them."""
    data = path.read_bytes()
    found = [name for name, marker in MARKERS.items() if marker in data]
    with Image.open(path) as im:
        exif = im.getexif()
        raw = im.info.get("exif") or b""
    if exif.get_ifd(0x8825) or 0x8825 in exif:
        found.append("gps")
    if b"\xff\xd8\xff" in raw:                 # a JPEG inside the EXIF block: the IFD1 thumbnail
        found.append("thumbnail")
    return found
