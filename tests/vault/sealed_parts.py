"""A format-2 payload taken apart and put together again, edited or re-signed: what the tests of a keyholder's
refusals feed in."""

from __future__ import annotations

import base64
import json

from editor.vault.payload import PREFIX
from editor.vault.sealed_payload import signed_message
from editor.vault.signing import SIGNATURE_BYTES


def split(data: bytes) -> tuple[dict, bytes, bytes]:
    """(header, signature, ciphertext)."""
    _, _, n = PREFIX.unpack_from(data)
    end = PREFIX.size + n
    return json.loads(data[PREFIX.size:end]), data[end:end + SIGNATURE_BYTES], data[end + SIGNATURE_BYTES:]


def assemble(header: dict, signature: bytes, ciphertext: bytes) -> bytes:
    head = json.dumps(header).encode()
    return PREFIX.pack(b"VEIL", 2, len(head)) + head + signature + ciphertext


def resign(header: dict, ciphertext: bytes, signer) -> bytes:
    """An edited header, properly signed by `signer` (whose key goes into the header): what an insider can do."""
    header = dict(header, sealer={"alg": "Ed25519", "id": signer.identity.key_id, "label": signer.identity.label,
                                  "key": base64.b64encode(signer.identity.public).decode()})
    head = json.dumps(header).encode()
    aad = PREFIX.pack(b"VEIL", 2, len(head)) + head
    return aad + signer.sign(signed_message(aad, ciphertext)) + ciphertext
