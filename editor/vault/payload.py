"""The recovery payload: original pixels of sealed regions, encrypted for the holders of one recovery key.

Layout (docs/payload.md is the reference):  b"VEIL" | version (1 byte) | header length (uint32 BE) | header
(UTF-8 JSON) | AES-256-GCM ciphertext + tag. Everything before the ciphertext is the GCM associated data, so the
header (key id, regions, image size, hash of the published pixels, wrapped data key) cannot be changed unnoticed.

`parse_payload` never trusts a length: every field is checked against fixed limits before it sizes an allocation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Optional, Sequence, TypeVar

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from editor.core.geometry import Rect

from .errors import PayloadError, WrongImageError, WrongKeyError

MAGIC = b"VEIL"
VERSION = 1
PREFIX = struct.Struct(">4sBI")          # magic, version, header length
MAX_HEADER_BYTES = 256 * 1024
MAX_REGIONS = 1024
MAX_SIDE = 65535
MAX_PIXELS = 1 << 28                       # 268 MP: above Pillow's own decompression-bomb limit
MAX_PAYLOAD_BYTES = 256 * 1024 * 1024
REGION_KINDS = ("face", "region")
COMPRESSION = "zlib-up"                    # PNG's "Up" row filter, then zlib: ~30% smaller than zlib alone
_GCM_TAG = 16
_WRAPPED_DEK = 40
T = TypeVar("T")

DAMAGED = "The recovery data in this file is damaged or not in a format Veil knows; nothing was restored."
TAMPERED = "The recovery data was altered or damaged (it failed authentication); nothing was restored."
MOVED = "This recovery data belongs to a different image (the pixels do not match); nothing was restored."


@dataclass(frozen=True)
class SealedRegion:
    index: int          # 1-based, what `--face N` names
    kind: str           # "face" or "region"
    rect: Rect


@dataclass(frozen=True)
class RecoveredRegion:
    region: SealedRegion
    pixels: Optional[np.ndarray]    # h x w x channels uint8 (RGB, + alpha if 4 channels); None if not chosen
    mask: np.ndarray                # h x w bool: the pixels the fill hid (the rest of the rect was left as is)


@dataclass(frozen=True)
class PayloadHeader:
    version: int
    key_id: str
    key_label: str
    width: int
    height: int
    channels: int
    image_sha256: str
    regions: tuple[SealedRegion, ...]
    created: str


@dataclass(frozen=True)
class Payload:
    header: PayloadHeader
    associated_data: bytes      # prefix + header bytes, authenticated by GCM
    wrapped_dek: bytes
    nonce: bytes
    blob_sizes: tuple[tuple[int, int], ...]     # (pixels, mask) compressed sizes per region
    ciphertext: bytes


def image_digest(pixels: np.ndarray, alpha: Optional[np.ndarray]) -> str:
    """SHA-256 of decoded pixels (RGB, then alpha if any) and their shape, domain-separated."""
    h, w = pixels.shape[:2]
    channels = 3 if alpha is None else 4
    d = hashlib.sha256(b"veil-image-v1\0" + struct.pack(">IIB", w, h, channels))
    d.update(np.ascontiguousarray(pixels, dtype=np.uint8).data)
    if alpha is not None:
        d.update(np.ascontiguousarray(alpha, dtype=np.uint8).data)
    return d.hexdigest()


def _mask_bytes(rect: Rect) -> int:
    return (rect.area + 7) // 8


def _inflate(blob: bytes, expected: int) -> bytes:
    """Exactly `expected` bytes from a zlib stream, never more (a bomb stops at the limit)."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(blob, expected)
    except zlib.error as e:
        raise PayloadError(DAMAGED) from e
    if len(raw) != expected or inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise PayloadError(DAMAGED)
    return raw


def _pack_mask(mask: np.ndarray) -> bytes:
    return zlib.compress(np.packbits(np.asarray(mask, dtype=bool).ravel()).tobytes(), 9)


def _unpack_mask(blob: bytes, rect: Rect) -> np.ndarray:
    bits = np.frombuffer(_inflate(blob, _mask_bytes(rect)), dtype=np.uint8)
    return np.unpackbits(bits, count=rect.area).astype(bool).reshape(rect.height, rect.width)


def _pack_region(pixels: np.ndarray, alpha: Optional[np.ndarray], rect: Rect) -> bytes:
    block = pixels[rect.slices]
    if alpha is not None:
        block = np.dstack([block, alpha[rect.slices]])
    block = np.ascontiguousarray(block, dtype=np.uint8)
    filtered = block.copy()
    filtered[1:] -= block[:-1]             # uint8 arithmetic wraps: exactly invertible by a cumulative sum
    return zlib.compress(filtered.tobytes(), 6)


def _unpack_region(blob: bytes, rect: Rect, channels: int) -> np.ndarray:
    raw = _inflate(blob, rect.area * channels)
    filtered = np.frombuffer(raw, dtype=np.uint8).reshape(rect.height, rect.width, channels)
    return np.cumsum(filtered, axis=0, dtype=np.uint8)


def region_content(original: np.ndarray, original_alpha: Optional[np.ndarray],
                   regions: Sequence[tuple[SealedRegion, np.ndarray]], channels: int,
                   published_sha256: str) -> tuple[dict, bytes]:
    """What every payload version seals: the header fields that describe the image and its regions (all but the
    keys and the cipher), and the plaintext (each region's compressed pixels, then its compressed mask)."""
    h, w = original.shape[:2]
    alpha = original_alpha if channels == 4 else None
    if channels == 4 and alpha is None:
        alpha = np.full((h, w), 255, np.uint8)
    blobs = [(_pack_region(original, alpha, r.rect), _pack_mask(m)) for r, m in regions]
    fields = {
        "image": {"width": w, "height": h, "channels": channels, "sha256": published_sha256},
        "compression": COMPRESSION,
        "regions": [
            {"index": r.index, "kind": r.kind, "x": r.rect.x0, "y": r.rect.y0, "w": r.rect.width,
             "h": r.rect.height, "size": len(b), "mask_size": len(m)}
            for (r, _), (b, m) in zip(regions, blobs)
        ],
        "ciphertext_length": sum(len(b) + len(m) for b, m in blobs) + _GCM_TAG,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
    }
    return fields, b"".join(b + m for b, m in blobs)


def encrypt_content(version: int, header: dict, dek: bytes, nonce: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
    """(associated data, ciphertext): the prefix and canonical JSON header, authenticated by GCM with `dek`."""
    header_bytes = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    aad = PREFIX.pack(MAGIC, version, len(header_bytes)) + header_bytes
    return aad, AESGCM(dek).encrypt(nonce, plaintext, aad)


def build_payload(*, key_id: str, key_label: str, kek: bytes, original: np.ndarray,
                  original_alpha: Optional[np.ndarray], regions: Sequence[tuple[SealedRegion, np.ndarray]],
                  published_sha256: str, channels: int) -> bytes:
    """Encrypt the original pixels of each region's rectangle, and its fill mask, under a fresh data key.

    `regions` pairs each region with its rect-sized boolean mask. The data key is wrapped by `kek`.
    `channels` is 4 to seal `original_alpha` too (opaque if None), 3 for RGB only.
    """
    content, plaintext = region_content(original, original_alpha, regions, channels, published_sha256)
    dek, nonce = AESGCM.generate_key(bit_length=256), os.urandom(12)
    header = {
        "version": VERSION,
        "key": {"id": key_id, "label": key_label},
        "wrap": {"alg": "A256KW", "dek": base64.b64encode(aes_key_wrap(kek, dek)).decode("ascii")},
        "cipher": {"alg": "A256GCM", "nonce": base64.b64encode(nonce).decode("ascii")},
        **content,
    }
    prefix, ciphertext = encrypt_content(VERSION, header, dek, nonce, plaintext)
    data = prefix + ciphertext
    # Validate what we wrote with the same parser a recipient runs: a payload we cannot read is never shipped.
    parse_payload(data)
    return data


# -- parsing (hostile input) ----------------------------------------------------------------------------------
def int_field(value: object, lo: int, hi: int) -> int:
    if type(value) is not int or not lo <= value <= hi:
        raise ValueError("integer out of range")
    return value


def str_field(value: object, max_len: int) -> str:
    # No control characters: labels and dates are printed in messages and terminals before authentication.
    if not isinstance(value, str) or len(value) > max_len or any(unicodedata.category(c)[0] == "C" for c in value):
        raise ValueError("bad string")
    return value


def b64_field(value: object, size: int) -> bytes:
    data = base64.b64decode(str_field(value, 4 * size), validate=True)
    if len(data) != size:
        raise ValueError("bad binary field")
    return data


def dict_field(value: object, keys: Iterable[str]) -> dict:
    if not isinstance(value, dict) or set(value) != set(keys):
        raise ValueError("unexpected fields")
    return value


def parse_image(doc: object) -> tuple[int, int, int, str]:
    """width, height, channels and the published pixels' sha256 of a header's `image` field."""
    image = dict_field(doc, ("width", "height", "channels", "sha256"))
    width, height = int_field(image["width"], 1, MAX_SIDE), int_field(image["height"], 1, MAX_SIDE)
    if width * height > MAX_PIXELS:
        raise ValueError("image too large")
    channels = int_field(image["channels"], 3, 4)
    digest = str_field(image["sha256"], 64)
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("bad digest")
    return width, height, channels, digest


def parse_regions(doc: dict, width: int, height: int, channels: int,
                  remaining: int) -> tuple[tuple[SealedRegion, ...], tuple[tuple[int, int], ...]]:
    """The regions and their compressed sizes, checked against the image and the bytes that follow the header."""
    if doc["compression"] != COMPRESSION:
        raise ValueError("unknown compression")
    entries = doc["regions"]
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_REGIONS:
        raise ValueError("bad region list")
    regions, sizes, raw_total = [], [], 0
    for i, entry in enumerate(entries):
        entry = dict_field(entry, ("index", "kind", "x", "y", "w", "h", "size", "mask_size"))
        if int_field(entry["index"], 1, MAX_REGIONS) != i + 1 or entry["kind"] not in REGION_KINDS:
            raise ValueError("bad region index or kind")
        x, y = int_field(entry["x"], 0, width - 1), int_field(entry["y"], 0, height - 1)
        rect = Rect(x, y, x + int_field(entry["w"], 1, width - x), y + int_field(entry["h"], 1, height - y))
        raw, mask_raw = rect.area * channels, _mask_bytes(rect)
        raw_total += raw + mask_raw
        # zlib never expands data by more than ~0.1% + a few bytes.
        sizes.append((int_field(entry["size"], 8, raw + raw // 1000 + 64),
                      int_field(entry["mask_size"], 8, mask_raw + mask_raw // 1000 + 64)))
        regions.append(SealedRegion(i + 1, entry["kind"], rect))
    if raw_total > width * height * 4 * 1.1:
        raise ValueError("regions larger than the image")
    length = int_field(doc["ciphertext_length"], _GCM_TAG, MAX_PAYLOAD_BYTES)
    if length != sum(a + b for a, b in sizes) + _GCM_TAG or length != remaining:
        raise ValueError("ciphertext length mismatch")
    return tuple(regions), tuple(sizes)


def _parse_header(doc: object, remaining: int) -> tuple[PayloadHeader, bytes, bytes, tuple[tuple[int, int], ...]]:
    doc = dict_field(doc, ("version", "key", "wrap", "cipher", "image", "compression", "regions",
                      "ciphertext_length", "created"))
    if doc["version"] != VERSION:
        raise ValueError("version mismatch")
    key = dict_field(doc["key"], ("id", "label"))
    wrap = dict_field(doc["wrap"], ("alg", "dek"))
    cipher = dict_field(doc["cipher"], ("alg", "nonce"))
    if wrap["alg"] != "A256KW" or cipher["alg"] != "A256GCM":
        raise ValueError("unknown algorithm")
    key_id = hex_id(key["id"])
    width, height, channels, digest = parse_image(doc["image"])
    regions, sizes = parse_regions(doc, width, height, channels, remaining)
    header = PayloadHeader(
        version=VERSION, key_id=key_id, key_label=str_field(key["label"], 200), width=width, height=height,
        channels=channels, image_sha256=digest, regions=regions, created=str_field(doc["created"], 64),
    )
    return header, b64_field(wrap["dek"], _WRAPPED_DEK), b64_field(cipher["nonce"], 12), sizes


def hex_id(value: object) -> str:
    """A key id: 32 lowercase hex digits."""
    key_id = str_field(value, 64)
    if len(key_id) != 32 or any(c not in "0123456789abcdef" for c in key_id):
        raise ValueError("bad key id")
    return key_id


def parse_envelope(data: bytes, version: int, parse_header: Callable[[object, int], T], trailer: int = 0,
                   explain_version: bool = False) -> tuple[int, T]:
    """Check the size, magic, version and header length of a payload of `version`, then parse its JSON header with
    `parse_header(doc, bytes after the header and the trailer)`; returns where the header ends and what that gave.

    `trailer` bytes (a signature) sit between header and ciphertext. A version other than `version` is damage, or
    with `explain_version` the sentence that Veil is too old. PayloadError with one sentence if anything is off.
    """
    if len(data) > MAX_PAYLOAD_BYTES:
        raise PayloadError("The recovery data in this file is larger than Veil accepts; nothing was restored.")
    if len(data) < PREFIX.size or data[:4] != MAGIC:
        raise PayloadError(DAMAGED)
    _, found, header_len = PREFIX.unpack_from(data)
    if found != version:
        raise PayloadError(f"This recovery data uses format version {found}, which this version of Veil cannot "
                           "read; update Veil." if explain_version else DAMAGED)
    end = PREFIX.size + header_len
    if header_len > MAX_HEADER_BYTES or end + trailer > len(data):
        raise PayloadError(DAMAGED)
    try:
        doc = json.loads(data[PREFIX.size:end].decode("utf-8"))
        return end, parse_header(doc, len(data) - end - trailer)
    except (ValueError, TypeError, KeyError, RecursionError, binascii.Error, UnicodeDecodeError) as e:
        raise PayloadError(DAMAGED) from e


def parse_payload(data: bytes) -> Payload:
    """Check structure and limits (no key needed); PayloadError with one sentence if anything is off."""
    end, (header, wrapped, nonce, sizes) = parse_envelope(data, VERSION, _parse_header, explain_version=True)
    return Payload(header, bytes(data[:end]), wrapped, nonce, sizes, bytes(data[end:]))


def check_wanted(regions: Sequence[SealedRegion], faces: Optional[Iterable[int]]) -> Optional[set[int]]:
    """The chosen region indices (None = all); one sentence for an index the payload does not have."""
    wanted = None if faces is None else set(faces)
    if wanted is not None:
        unknown = sorted(wanted - {r.index for r in regions})
        if unknown:
            raise PayloadError(
                f"This photo has no sealed region {unknown[0]}; it has regions 1 to {len(regions)}."
            )
    return wanted


def decrypt_regions(dek: bytes, nonce: bytes, ciphertext: bytes, associated_data: bytes,
                    regions: Sequence[SealedRegion], sizes: Sequence[tuple[int, int]], channels: int,
                    image_sha256: str, published_sha256: str, wanted: Optional[set[int]]) -> list[RecoveredRegion]:
    """Authenticate and decrypt the region data, check it belongs to these pixels, and unpack it."""
    try:
        plaintext = AESGCM(dek).decrypt(nonce, ciphertext, associated_data)
    except InvalidTag as e:
        raise PayloadError(TAMPERED) from e
    if published_sha256 != image_sha256:
        raise WrongImageError(MOVED)
    out, offset = [], 0
    for region, (size, mask_size) in zip(regions, sizes):
        pixels = None
        if wanted is None or region.index in wanted:
            pixels = _unpack_region(plaintext[offset:offset + size], region.rect, channels)
        mask = _unpack_mask(plaintext[offset + size:offset + size + mask_size], region.rect)
        out.append(RecoveredRegion(region, pixels, mask))
        offset += size + mask_size
    return out


def open_payload(payload: Payload, kek: bytes, published_sha256: str,
                 faces: Optional[Iterable[int]] = None) -> list[RecoveredRegion]:
    """Authenticate, check the payload belongs to these pixels, and return every region's fill mask with the
    original pixels of the chosen regions (all when `faces` is None)."""
    header = payload.header
    wanted = check_wanted(header.regions, faces)
    try:
        dek = aes_key_unwrap(kek, payload.wrapped_dek)
    except InvalidUnwrap as e:
        raise WrongKeyError(
            f'The recovery key "{header.key_label}" (id {header.key_id}) in your keyring does not open this '
            "photo's recovery data (a different key under the same id, or altered data); nothing was restored."
        ) from e
    return decrypt_regions(dek, payload.nonce, payload.ciphertext, payload.associated_data, header.regions,
                           payload.blob_sizes, header.channels, header.image_sha256, published_sha256, wanted)
