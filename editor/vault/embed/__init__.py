"""Carry a recovery payload inside an image file (PNG, JPEG, WebP, TIFF) or beside it (a `.veil` sidecar).

Embedding only adds container metadata (a chunk, segments, a tag); it never re-encodes, so the decoded pixels of
the file are exactly those before embedding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..errors import PayloadError, VaultError
from . import jpeg, png, tiff, webp
from .errors import ContainerError

SIDECAR_SUFFIX = ".veil"
_MODULES = {"PNG": png, "JPEG": jpeg, "WEBP": webp, "TIFF": tiff}
# The formats whose files can carry a payload (and the XMP Veil writes): the one list the services, the window and
# the CLI use (re-exported by editor.services.vault_types). Any other output (BMP) is written as PNG or needs a sidecar.
PAYLOAD_FORMATS = tuple(_MODULES)


def container_format(data: bytes) -> Optional[str]:
    """PNG, JPEG, WEBP or TIFF from the file's magic bytes, or None."""
    if data.startswith(png.SIGNATURE):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    return None


def embed_payload(data: bytes, payload: bytes) -> bytes:
    fmt = container_format(data)
    if fmt is None:
        raise VaultError("Recovery data can only be embedded in PNG, JPEG, WebP or TIFF files; use a sidecar.")
    try:
        return _MODULES[fmt].embed(data, payload)
    except ContainerError as e:
        raise VaultError(f"The {fmt} file could not carry the recovery data ({e}); nothing was written.") from e


def extract_payload(data: bytes) -> Optional[bytes]:
    """The embedded payload, None if there is none; PayloadError if the container around it is broken."""
    fmt = container_format(data)
    if fmt is None:
        return None
    try:
        return _MODULES[fmt].extract(data)
    except ContainerError as e:
        raise PayloadError(
            f"The {fmt} file's metadata is damaged ({e}), so its recovery data cannot be read; nothing was restored."
        ) from e


def without_stale_payload(exif: Optional[bytes]) -> Optional[bytes]:
    """EXIF read from a sealed TIFF, minus the payload tag, so no copy of the file carries old recovery data."""
    if not exif:
        return exif
    try:
        return tiff.without_payload_tag(exif)
    except Exception:  # unreadable EXIF cannot be cleaned; dropping it is the safe choice
        return None


def sidecar_path(image_path: Path) -> Path:
    """`photo.jpg` -> `photo.jpg.veil`."""
    image_path = Path(image_path)
    return image_path.with_name(image_path.name + SIDECAR_SUFFIX)
