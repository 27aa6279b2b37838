"""Recovery key pairs: HPKE (RFC 9180) keys, their fingerprints, and a data key wrapped for one recipient.

Two suites, both with HKDF-SHA256 and AES-256-GCM: ML-KEM-768 + X25519 (the default; sealed archives are kept
for years, and a hybrid KEM stays secure if either half holds, so a recording made today is not opened by a
future quantum computer) and X25519 alone, for an OpenSSL without ML-KEM. Sealing needs only a `RecipientKey`
(public bytes); opening needs the private bytes, which live only in the keyholder's keyring.

A key's id is its fingerprint: a truncated SHA-256 over the algorithm and the public bytes, so an id names one
public key and a replaced key cannot keep its id. People compare the fingerprint by phone, in 8 groups of 4.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from .errors import VaultError

HYBRID = "MLKEM768-X25519"
CLASSIC = "X25519"
SUITES = (HYBRID, CLASSIC)
KDF_NAME = "HKDF-SHA256"
AEAD_NAME = "AES-256-GCM"
_MLKEM_PUBLIC, _MLKEM_SEED, _X25519 = 1184, 64, 32
PUBLIC_BYTES = {HYBRID: _MLKEM_PUBLIC + _X25519, CLASSIC: _X25519}
PRIVATE_BYTES = {HYBRID: _MLKEM_SEED + _X25519, CLASSIC: _X25519}
_KEM = {HYBRID: hpke.KEM.MLKEM768_X25519, CLASSIC: hpke.KEM.X25519}
DEK_BYTES = 32
_AEAD_TAG = 16
WRAPPED_BYTES = {suite: _KEM[suite].enc_length() + DEK_BYTES + _AEAD_TAG for suite in SUITES}
SUITE_TEXT = {HYBRID: "ML-KEM-768 + X25519, HKDF-SHA256, AES-256-GCM", CLASSIC: "X25519, HKDF-SHA256, AES-256-GCM"}
FINGERPRINT_HEX = 32


def fingerprint(algorithm: str, public: bytes) -> str:
    """The key id of a public key: 128 bits of SHA-256 over a domain tag, the algorithm and the key, as hex."""
    digest = hashlib.sha256(b"veil-public-key-v1\0" + algorithm.encode("ascii") + b"\0" + public).hexdigest()
    return digest[:FINGERPRINT_HEX]


def show_fingerprint(key_id: str) -> str:
    """'3F2A 9C1B ...': easy to read aloud and compare by phone."""
    return " ".join(key_id[i:i + 4] for i in range(0, len(key_id), 4)).upper()


@lru_cache(maxsize=1)
def hybrid_available() -> bool:
    """Whether this OpenSSL has ML-KEM-768 (OpenSSL 3.5+, or the one bundled in cryptography's wheels)."""
    try:
        mlkem.MLKEM768PrivateKey.generate()
    except UnsupportedAlgorithm:
        return False
    return True


def default_suite() -> str:
    return HYBRID if hybrid_available() else CLASSIC


def _suite(suite: str) -> hpke.Suite:
    if suite not in SUITES:
        raise VaultError(f'Unknown key suite "{suite}"; Veil knows {", ".join(SUITES)}.')
    if suite == HYBRID and not hybrid_available():
        raise VaultError("This installation's OpenSSL has no ML-KEM-768, so it cannot use the hybrid suite; "
                         "update Veil (its cryptography package bundles an OpenSSL that has it).")
    return hpke.Suite(_KEM[suite], hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def _public_object(suite: str, public: bytes):
    if len(public) != PUBLIC_BYTES[suite]:
        raise ValueError("public key of the wrong length")
    if suite == CLASSIC:
        return x25519.X25519PublicKey.from_public_bytes(public)
    return hpke.MLKEM768X25519PublicKey(mlkem.MLKEM768PublicKey.from_public_bytes(public[:_MLKEM_PUBLIC]),
                                        x25519.X25519PublicKey.from_public_bytes(public[_MLKEM_PUBLIC:]))


def _private_object(suite: str, private: bytes):
    if len(private) != PRIVATE_BYTES[suite]:
        raise ValueError("private key of the wrong length")
    if suite == CLASSIC:
        return x25519.X25519PrivateKey.from_private_bytes(private)
    return hpke.MLKEM768X25519PrivateKey(mlkem.MLKEM768PrivateKey.from_seed_bytes(private[:_MLKEM_SEED]),
                                         x25519.X25519PrivateKey.from_private_bytes(private[_MLKEM_SEED:]))


def generate_private(suite: str) -> bytes:
    """Fresh private key bytes: the ML-KEM-768 seed (64) then the X25519 key (32), or the X25519 key alone."""
    _suite(suite)
    x = x25519.X25519PrivateKey.generate().private_bytes_raw()
    if suite == CLASSIC:
        return x
    return mlkem.MLKEM768PrivateKey.generate().private_bytes_raw() + x


def public_of(suite: str, private: bytes) -> bytes:
    """The public bytes of a private key: the ML-KEM-768 key (1184) then the X25519 key (32), or X25519 alone."""
    if suite not in SUITES:
        raise ValueError("unknown suite")
    if len(private) != PRIVATE_BYTES[suite]:
        raise ValueError("private key of the wrong length")
    x = x25519.X25519PrivateKey.from_private_bytes(private[-_X25519:]).public_key().public_bytes_raw()
    if suite == CLASSIC:
        return x
    seed = mlkem.MLKEM768PrivateKey.from_seed_bytes(private[:_MLKEM_SEED])
    return seed.public_key().public_bytes_raw() + x


@dataclass(frozen=True)
class RecipientKey:
    """A keyholder's public key: all that sealing for them needs (no secret; safe to send to any worker)."""

    suite: str
    public: bytes
    label: str

    @property
    def key_id(self) -> str:
        return fingerprint(self.suite, self.public)

    def wrap(self, dek: bytes, info: bytes) -> bytes:
        """HPKE base-mode encryption of the data key to this public key; `info` binds it to one seal."""
        try:
            return _suite(self.suite).encrypt(dek, _public_object(self.suite, self.public), info)
        except VaultError:
            raise
        except Exception as e:  # a malformed public key (e.g. an all-zero X25519 point) fails encapsulation
            raise VaultError(f'The public key of "{self.label}" ({show_fingerprint(self.key_id)}) cannot be used '
                             "for sealing (it is malformed); import it again from its keyholder.") from e


def unwrap_dek(suite: str, private: bytes, wrapped: bytes, info: bytes) -> bytes | None:
    """The data key wrapped for this private key, or None when it was wrapped for another key (or altered)."""
    try:
        dek = _suite(suite).decrypt(wrapped, _private_object(suite, private), info)
    except (InvalidTag, ValueError):
        return None
    return dek if len(dek) == DEK_BYTES else None
