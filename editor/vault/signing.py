"""Who sealed a payload: Ed25519 sealer identities, and the signer that sealing is given.

Sealing takes a `Signer`: anything with an `identity` (the public `SealerIdentity`) and `sign(message)`. A
`LocalSigner` holds its private key in this process (read from the keyring); a signer whose `sign` asks another
process (a cluster's driver) fits the same slot, so workers that encrypt never hold the signing key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from .keypairs import fingerprint, show_fingerprint

ED25519 = "Ed25519"
PUBLIC_BYTES = 32
PRIVATE_BYTES = 32
SIGNATURE_BYTES = 64


@dataclass(frozen=True)
class SealerIdentity:
    """A sealer's public key and the name it gives itself (the name is a claim; the fingerprint is the identity)."""

    public: bytes
    label: str

    @property
    def key_id(self) -> str:
        return fingerprint(ED25519, self.public)

    def describe(self) -> str:
        return f'"{self.label}" ({show_fingerprint(self.key_id)})'

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class Signer(Protocol):
    identity: SealerIdentity

    def sign(self, message: bytes) -> bytes: ...


class LocalSigner:
    """A signer whose private key is in this process."""

    def __init__(self, private: bytes, label: str) -> None:
        self._key = ed25519.Ed25519PrivateKey.from_private_bytes(private)
        self.identity = SealerIdentity(self._key.public_key().public_bytes_raw(), label)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def new_signing_key() -> bytes:
    return ed25519.Ed25519PrivateKey.generate().private_bytes_raw()


def public_of(private: bytes) -> bytes:
    return ed25519.Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()
