"""Recovery payload format 2: sealed for keyholders' public keys, signed by the sealer.

Layout (docs/payload.md is the reference):  b"VEIL" | 0x02 | header length (uint32 BE) | header (UTF-8 JSON) |
Ed25519 signature (64 bytes) | AES-256-GCM ciphertext + tag.

A fresh data key (DEK) encrypts the regions; the header carries the DEK wrapped by HPKE once per recipient, the
sealer's public key and the region boxes. Magic, version, length and header are the GCM associated data; the
signature covers them and a hash of the ciphertext, so neither a stranger nor a recipient (who learns the DEK)
can change what the sealer sealed without the signature failing.

Sealing is split so that it needs no secret: `seal_payload` takes public keys and the sealer's public identity and
returns an `UnsignedSeal`; its `to_be_signed` bytes go to whoever holds the signing key (this process, or a
cluster's driver), and `signed(signature)` assembles and checks the payload. `build_sealed_payload` does both
here with a `Signer`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Optional, Sequence

import numpy as np
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import payload as v1
from .errors import KeyNotFoundError, PayloadError, WrongKeyError
from .keypairs import AEAD_NAME, KDF_NAME, SUITES, WRAPPED_BYTES, RecipientKey, show_fingerprint, unwrap_dek
from .payload import (MAGIC, PREFIX, RecoveredRegion, SealedRegion, b64_field, check_wanted, decrypt_regions,
                      dict_field, encrypt_content, hex_id, parse_envelope, parse_image, parse_regions,
                      region_content, str_field)
from .signing import ED25519, SIGNATURE_BYTES, SealerIdentity

VERSION = 2
MAX_RECIPIENTS = 32
MAX_LABEL = 200
SEAL_ID_BYTES = 16
_SIGNED_TAG = b"veil-seal-signature-v2\0"
_WRAP_TAG = b"veil-dek-v2\0"
_FIELDS = ("version", "seal_id", "recipients", "sealer", "cipher", "image", "compression", "regions",
           "ciphertext_length", "created")

BAD_SIGNATURE = ("The sealer's signature does not match this recovery data (it was altered after sealing); "
                 "nothing was restored.")


@dataclass(frozen=True)
class RecipientEntry:
    key_id: str
    label: str
    suite: str
    wrapped_dek: bytes


@dataclass(frozen=True)
class SealedHeader:
    version: int
    seal_id: bytes
    recipients: tuple[RecipientEntry, ...]
    sealer: SealerIdentity
    width: int
    height: int
    channels: int
    image_sha256: str
    regions: tuple[SealedRegion, ...]
    created: str


@dataclass(frozen=True)
class SealedPayload:
    header: SealedHeader
    associated_data: bytes          # prefix + header bytes, authenticated by GCM and signed
    signature: bytes
    nonce: bytes
    blob_sizes: tuple[tuple[int, int], ...]
    ciphertext: bytes

    @property
    def signed_message(self) -> bytes:
        return signed_message(self.associated_data, self.ciphertext)

    def signature_valid(self) -> bool:
        return self._signature_valid

    @cached_property
    def _signature_valid(self) -> bool:
        # Once per parsed payload: recovery asks who sealed before any key is used, and opening checks again; the
        # message hashes the whole ciphertext.
        return self.header.sealer.verify(self.signature, self.signed_message)


def signed_message(associated_data: bytes, ciphertext: bytes) -> bytes:
    """What the sealer signs: a domain tag, then SHA-256 of the header bytes and of the ciphertext."""
    return _SIGNED_TAG + hashlib.sha256(associated_data).digest() + hashlib.sha256(ciphertext).digest()


def _wrap_info(seal_id: bytes, key_id: str) -> bytes:
    # Binds each wrapped key to this seal and this recipient: an entry copied from another payload, or moved to
    # another recipient's place, does not unwrap.
    return _WRAP_TAG + seal_id + key_id.encode("ascii")


@dataclass(frozen=True)
class UnsignedSeal:
    """A sealed payload waiting for its signature; holds no secret (the DEK is gone once this exists)."""

    associated_data: bytes
    ciphertext: bytes

    @property
    def to_be_signed(self) -> bytes:
        return signed_message(self.associated_data, self.ciphertext)

    def signed(self, signature: bytes) -> bytes:
        """The payload bytes; refuses a signature that does not verify with the sealer key in the header."""
        data = self.associated_data + bytes(signature) + self.ciphertext
        if len(signature) != SIGNATURE_BYTES or not parse_sealed_payload(data).signature_valid():
            raise PayloadError("The signature returned for this seal does not verify with the sealer's key; "
                               "nothing was written.")
        return data


def seal_payload(*, recipients: Sequence[RecipientKey], sealer: SealerIdentity, original: np.ndarray,
                 original_alpha: Optional[np.ndarray], regions: Sequence[tuple[SealedRegion, np.ndarray]],
                 published_sha256: str, channels: int) -> UnsignedSeal:
    """Encrypt the regions under a fresh DEK wrapped for every recipient; needs public keys only."""
    ids = [r.key_id for r in recipients]
    if not 1 <= len(ids) <= MAX_RECIPIENTS or len(set(ids)) != len(ids):
        raise ValueError(f"1 to {MAX_RECIPIENTS} distinct recipients")
    content, plaintext = region_content(original, original_alpha, regions, channels, published_sha256)
    dek, nonce, seal_id = AESGCM.generate_key(bit_length=256), os.urandom(12), os.urandom(SEAL_ID_BYTES)
    header = {
        "version": VERSION,
        "seal_id": _text(seal_id),
        "recipients": [{"id": r.key_id, "label": r.label, "kem": r.suite, "kdf": KDF_NAME, "aead": AEAD_NAME,
                        "dek": _text(r.wrap(dek, _wrap_info(seal_id, r.key_id)))} for r in recipients],
        "sealer": {"alg": ED25519, "id": sealer.key_id, "label": sealer.label, "key": _text(sealer.public)},
        "cipher": {"alg": "A256GCM", "nonce": _text(nonce)},
        **content,
    }
    return UnsignedSeal(*encrypt_content(VERSION, header, dek, nonce, plaintext))


def build_sealed_payload(*, recipients: Sequence[RecipientKey], signer, original: np.ndarray,
                         original_alpha: Optional[np.ndarray], regions: Sequence[tuple[SealedRegion, np.ndarray]],
                         published_sha256: str, channels: int) -> bytes:
    """Seal and sign in one call; `signer` has `identity` and `sign(message)` (see editor/vault/signing.py)."""
    unsigned = seal_payload(recipients=recipients, sealer=signer.identity, original=original,
                            original_alpha=original_alpha, regions=regions, published_sha256=published_sha256,
                            channels=channels)
    return unsigned.signed(signer.sign(unsigned.to_be_signed))


def _text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- parsing (hostile input) ----------------------------------------------------------------------------------
def _parse_recipients(value: object) -> tuple[RecipientEntry, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_RECIPIENTS:
        raise ValueError("bad recipient list")
    out = []
    for item in value:
        item = dict_field(item, ("id", "label", "kem", "kdf", "aead", "dek"))
        if item["kem"] not in SUITES or item["kdf"] != KDF_NAME or item["aead"] != AEAD_NAME:
            raise ValueError("unknown suite")
        out.append(RecipientEntry(hex_id(item["id"]), str_field(item["label"], MAX_LABEL), item["kem"],
                                  b64_field(item["dek"], WRAPPED_BYTES[item["kem"]])))
    if len({r.key_id for r in out}) != len(out):
        raise ValueError("a recipient is listed twice")
    return tuple(out)


def _parse_sealer(value: object) -> SealerIdentity:
    sealer = dict_field(value, ("alg", "id", "label", "key"))
    if sealer["alg"] != ED25519:
        raise ValueError("unknown signature algorithm")
    identity = SealerIdentity(b64_field(sealer["key"], 32), str_field(sealer["label"], MAX_LABEL))
    if hex_id(sealer["id"]) != identity.key_id:
        raise ValueError("sealer id is not the fingerprint of its key")
    return identity


def _parse_header(doc: object, remaining: int) -> tuple[SealedHeader, bytes, tuple[tuple[int, int], ...]]:
    doc = dict_field(doc, _FIELDS)
    if doc["version"] != VERSION:
        raise ValueError("version mismatch")
    cipher = dict_field(doc["cipher"], ("alg", "nonce"))
    if cipher["alg"] != "A256GCM":
        raise ValueError("unknown cipher")
    width, height, channels, digest = parse_image(doc["image"])
    regions, sizes = parse_regions(doc, width, height, channels, remaining)
    header = SealedHeader(
        version=VERSION, seal_id=b64_field(doc["seal_id"], SEAL_ID_BYTES),
        recipients=_parse_recipients(doc["recipients"]), sealer=_parse_sealer(doc["sealer"]), width=width,
        height=height, channels=channels, image_sha256=digest, regions=regions,
        created=str_field(doc["created"], 64),
    )
    return header, b64_field(cipher["nonce"], 12), sizes


def parse_sealed_payload(data: bytes) -> SealedPayload:
    """Check structure and limits of a format-2 payload (no key needed); PayloadError with one sentence."""
    end, (header, nonce, sizes) = parse_envelope(data, VERSION, _parse_header, trailer=SIGNATURE_BYTES)
    signature = bytes(data[end:end + SIGNATURE_BYTES])
    return SealedPayload(header, bytes(data[:end]), signature, nonce, sizes, bytes(data[end + SIGNATURE_BYTES:]))


def read_payload(data: bytes) -> v1.Payload | SealedPayload:
    """A payload of any version Veil knows (1: one symmetric key; 2: public keys, signed)."""
    if len(data) >= PREFIX.size and data[:4] == MAGIC and data[4] == VERSION:
        return parse_sealed_payload(data)
    return v1.parse_payload(data)


def check_signature(payload: SealedPayload) -> None:
    if not payload.signature_valid():
        raise PayloadError(BAD_SIGNATURE)


def open_sealed_payload(payload: SealedPayload, key_id: str, suite: str, private: bytes, published_sha256: str,
                        faces: Optional[Iterable[int]] = None) -> list[RecoveredRegion]:
    """Verify the signature, unwrap the DEK with the private key of recipient `key_id`, and open the regions."""
    header = payload.header
    wanted = check_wanted(header.regions, faces)
    check_signature(payload)
    entry = next((r for r in header.recipients if r.key_id == key_id), None)
    if entry is None:
        raise KeyNotFoundError(f"This photo was not sealed for the key {show_fingerprint(key_id)}; "
                               "nothing was restored.")
    dek = unwrap_dek(suite, private, entry.wrapped_dek, _wrap_info(header.seal_id, key_id)) \
        if entry.suite == suite else None
    if dek is None:
        raise WrongKeyError(
            f'Your key "{entry.label}" ({show_fingerprint(key_id)}) does not open the data key sealed for it '
            "(the entry was replaced or altered); nothing was restored."
        )
    return decrypt_regions(dek, payload.nonce, payload.ciphertext, payload.associated_data, header.regions,
                           payload.blob_sizes, header.channels, header.image_sha256, published_sha256, wanted)
