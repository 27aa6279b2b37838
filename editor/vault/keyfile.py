"""Passphrase-protected key files, to hand a recovery key to another keyholder (or to a second machine).

The file is JSON: the key's id, label and creation time, the scrypt parameters and salt, an AES-256-GCM nonce,
and the encrypted key. Every field except the ciphertext is authenticated as associated data, so an edited label,
id or KDF parameter makes the import fail instead of binding the key to another identity.
Version 1 holds a symmetric recovery key; version 2 adds `kind` ("pair") and `suite`, and holds a key pair's
private key (the importer derives the public key and checks it against the id, which is its fingerprint).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .errors import KeyFileError, PassphraseError
from .keypairs import PRIVATE_BYTES, SUITES
from .keystore import KEY_BYTES, PAIR, SYMMETRIC, KeyInfo, is_key_id

FORMAT = "veil-recovery-key"
VERSION = 1
PAIR_VERSION = 2
SCRYPT_LOG2_N = 17          # 128 MiB, ~0.35 s here: OWASP's minimum for scrypt (N=2^17, r=8, p=1)
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSPHRASE = 12
MAX_FILE_BYTES = 64 * 1024
# Limits on what an imported file may ask of us, so a hostile file cannot exhaust memory or time.
_LOG2_N_RANGE = range(14, 21)
_R_RANGE = range(1, 33)
_P_RANGE = range(1, 5)
_MAX_SCRYPT_MEMORY = 1 << 30
_FIELDS = {"format", "version", "key_id", "label", "created", "kdf", "cipher", "ciphertext"}
_PAIR_FIELDS = _FIELDS | {"kind", "suite"}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, size: int) -> bytes:
    if not isinstance(text, str) or len(text) > 4 * size:
        raise ValueError("bad base64 field")
    data = base64.b64decode(text, validate=True)
    if len(data) != size:
        raise ValueError("bad field length")
    return data


def _passphrase_bytes(passphrase: str) -> bytes:
    # NFC so the same passphrase typed on another system derives the same key.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=1 << log2_n, r=r, p=p).derive(_passphrase_bytes(passphrase))


def _aad(doc: dict) -> bytes:
    header = {k: v for k, v in doc.items() if k != "ciphertext"}
    return json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def check_passphrase(passphrase: str) -> None:
    if len(unicodedata.normalize("NFC", passphrase)) < MIN_PASSPHRASE:
        raise PassphraseError(
            f"Choose a passphrase of at least {MIN_PASSPHRASE} characters to protect the key file."
        )


def seal_key_file(info: KeyInfo, key: bytes, passphrase: str) -> bytes:
    """The bytes of a key file for `key`, encrypted under `passphrase`."""
    check_passphrase(passphrase)
    if info.kind not in (SYMMETRIC, PAIR):
        raise ValueError("only symmetric keys and key pairs go into key files")
    salt, nonce = os.urandom(16), os.urandom(12)
    doc = {
        "format": FORMAT,
        "version": VERSION if info.kind == SYMMETRIC else PAIR_VERSION,
        "key_id": info.key_id,
        "label": info.label,
        "created": info.created,
        "kdf": {"name": "scrypt", "log2_n": SCRYPT_LOG2_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "cipher": {"name": "AES-256-GCM", "nonce": _b64(nonce)},
    }
    if info.kind == PAIR:
        doc.update(kind=PAIR, suite=info.suite)
    kek = _derive(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
    doc["ciphertext"] = _b64(AESGCM(kek).encrypt(nonce, key, _aad(doc)))
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")


def _parse(data: bytes) -> dict:
    if len(data) > MAX_FILE_BYTES:
        raise ValueError("file too large")
    doc = json.loads(data.decode("utf-8"))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError("not a key file")
    if doc.get("version") not in (VERSION, PAIR_VERSION):
        raise KeyFileError(
            f"This key file uses format version {doc.get('version')!r}, which this version of Veil cannot read; "
            "update Veil."
        )
    if set(doc) != (_FIELDS if doc["version"] == VERSION else _PAIR_FIELDS):
        raise ValueError("unexpected fields")
    if doc["version"] == PAIR_VERSION and (doc["kind"] != PAIR or doc["suite"] not in SUITES):
        raise ValueError("bad kind or suite")
    kdf, cipher = doc["kdf"], doc["cipher"]
    if not isinstance(kdf, dict) or set(kdf) != {"name", "log2_n", "r", "p", "salt"} or kdf["name"] != "scrypt":
        raise ValueError("bad kdf")
    if not all(type(kdf[k]) is int for k in ("log2_n", "r", "p")):
        raise ValueError("bad kdf parameters")
    if (kdf["log2_n"] not in _LOG2_N_RANGE or kdf["r"] not in _R_RANGE or kdf["p"] not in _P_RANGE
            or 128 * kdf["r"] * (1 << kdf["log2_n"]) > _MAX_SCRYPT_MEMORY):
        raise ValueError("kdf parameters out of range")
    if not isinstance(cipher, dict) or set(cipher) != {"name", "nonce"} or cipher["name"] != "AES-256-GCM":
        raise ValueError("bad cipher")
    if not (isinstance(doc["key_id"], str) and is_key_id(doc["key_id"])):
        raise ValueError("bad key id")
    if not isinstance(doc["label"], str) or not isinstance(doc["created"], str):
        raise ValueError("bad label")
    return doc


def open_key_file(data: bytes, passphrase: str) -> tuple[KeyInfo, bytes]:
    """The key info and key bytes inside a key file; KeyFileError if damaged, altered or the passphrase is wrong."""
    try:
        doc = _parse(data)
        kdf = doc["kdf"]
        salt = _unb64(kdf["salt"], 16)
        nonce = _unb64(doc["cipher"]["nonce"], 12)
        secret_bytes = KEY_BYTES if doc["version"] == VERSION else PRIVATE_BYTES[doc["suite"]]
        ciphertext = _unb64(doc["ciphertext"], secret_bytes + 16)
    except KeyFileError:
        raise
    except (ValueError, TypeError, KeyError, RecursionError, binascii.Error, UnicodeDecodeError) as e:
        raise KeyFileError("This is not a Veil key file, or it is damaged; nothing was imported.") from e
    kek = _derive(passphrase, salt, kdf["log2_n"], kdf["r"], kdf["p"])
    try:
        key = AESGCM(kek).decrypt(nonce, ciphertext, _aad(doc))
    except InvalidTag as e:
        raise KeyFileError("The passphrase is wrong or the key file was altered; nothing was imported.") from e
    return KeyInfo(doc["key_id"], doc["label"], doc["created"], doc.get("kind", SYMMETRIC), doc.get("suite", "")), key
