"""Public keys as text blocks: what a keyholder hands to privacy staff, and a sealer to keyholders.

    -----BEGIN VEIL PUBLIC KEY-----
    Kind: keyholder                       (or: sealer)
    Label: HR team
    Suite: MLKEM768-X25519                (X25519; Ed25519 for a sealer)
    Fingerprint: 8233 F8C9 EBFD 09E8 33D8 219C 4695 9163

    <the public key, base64, 64 characters a line>
    -----END VEIL PUBLIC KEY-----

A block carries no secret, so it may travel by e-mail; its integrity comes from the fingerprint, which the
receiver compares with the owner by phone. Importing recomputes the fingerprint from the key and refuses a block
whose key does not match the fingerprint it shows (a replaced key). The label is the sender's suggestion only.
"""

from __future__ import annotations

import base64
import binascii
import textwrap
from dataclasses import dataclass

from . import keypairs, signing
from .errors import KeyFileError
from .keypairs import fingerprint, show_fingerprint

BEGIN = "-----BEGIN VEIL PUBLIC KEY-----"
END = "-----END VEIL PUBLIC KEY-----"
KEYHOLDER, SEALER = "keyholder", "sealer"
MAX_BLOCK_BYTES = 16 * 1024
_SIZES = {**{(KEYHOLDER, s): keypairs.PUBLIC_BYTES[s] for s in keypairs.SUITES},
          (SEALER, signing.ED25519): signing.PUBLIC_BYTES}
_FIELDS = ("Kind", "Label", "Suite", "Fingerprint")

DAMAGED = "This is not a Veil public key block, or it is damaged; nothing was imported."


@dataclass(frozen=True)
class PublicBlock:
    kind: str           # keyholder | sealer
    label: str
    suite: str
    public: bytes

    @property
    def key_id(self) -> str:
        return fingerprint(self.suite, self.public)


def looks_like_block(data: bytes) -> bool:
    return data.lstrip()[:len(BEGIN)] == BEGIN.encode("ascii")


def write_block(block: PublicBlock) -> str:
    body = textwrap.wrap(base64.b64encode(block.public).decode("ascii"), 64)
    lines = [BEGIN, f"Kind: {block.kind}", f"Label: {block.label}", f"Suite: {block.suite}",
             f"Fingerprint: {show_fingerprint(block.key_id)}", "", *body, END]
    return "\n".join(lines) + "\n"


def read_block(data: bytes) -> PublicBlock:
    """The key in a block; KeyFileError with one sentence if it is damaged or its key does not match."""
    try:
        if len(data) > MAX_BLOCK_BYTES:
            raise ValueError("too large")
        lines = [line.strip() for line in data.decode("utf-8").strip().splitlines()]
        if len(lines) < 7 or lines[0] != BEGIN or lines[-1] != END or lines[5] != "":
            raise ValueError("not a block")
        fields = {}
        for line, name in zip(lines[1:5], _FIELDS):
            key, sep, value = line.partition(":")
            if key != name or not sep:
                raise ValueError("bad field")
            fields[name] = value.strip()
        kind, suite = fields["Kind"], fields["Suite"]
        size = _SIZES.get((kind, suite))
        if size is None:
            raise ValueError("unknown kind or suite")
        public = base64.b64decode("".join(lines[6:-1]), validate=True)
        if len(public) != size:
            raise ValueError("wrong key length")
    except (ValueError, UnicodeDecodeError, binascii.Error) as e:
        raise KeyFileError(DAMAGED) from e
    block = PublicBlock(kind, fields["Label"], suite, public)
    shown = "".join(fields["Fingerprint"].split()).lower()
    if shown != block.key_id:
        raise KeyFileError(f'The public key of "{block.label}" does not match the fingerprint the block shows '
                           "(it was replaced or damaged); nothing was imported.")
    return block
