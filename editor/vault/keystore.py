"""Keys in the OS keyring, plus a non-secret index so they can be listed.

Each key is one keyring item: service "veil", username = key id, secret = JSON. Five kinds:
- symmetric: a recovery key of the first design, {v: 1, key (base64), label, created}; id random;
- pair: a keyholder's recovery key pair, {v: 2, kind, suite, private, label, created};
- recipient: another keyholder's public key, {v: 2, kind, suite, public, ...}: seals, cannot restore;
- sealer: a trusted (pinned) sealer's Ed25519 public key, {v: 2, kind, public, ...};
- signing: this profile's own Ed25519 signing key, created on first seal, {v: 2, kind, private, ...}.
For every kind but symmetric the id is the fingerprint of the public key (editor/vault/keypairs.py), checked on
every read, so a key replaced in the keyring is refused rather than used. Public keys are kept in the keyring too:
what is sealed for, and whose signature is trusted, must not be editable by anything that can write a file.

Secret Service cannot list items of a service portably, so ids, kinds, labels and creation times (never key
bytes) are also kept in `keys.json` in the user's data folder; `list()` reconciles that index with the keyring.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import json
import re
import secrets
import socket
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Optional

from keyring.backend import KeyringBackend

from editor.core.atomic import atomic_write_bytes

from .data_dir import veil_data_dir
from . import keypairs, signing
from .errors import KeyExistsError, KeyNotFoundError, KeyringUnavailableError, VaultError
from .keypairs import RecipientKey, fingerprint, show_fingerprint
from .keyring_backend import secure_backend
from .payload import b64_field
from .signing import ED25519, LocalSigner

SERVICE = "veil"
KEY_BYTES = 32
INDEX_NAME = "keys.json"
_ID_RE = re.compile(r"^[0-9a-f]{32}$")
MAX_LABEL = 100

SYMMETRIC, PAIR, RECIPIENT, SEALER, SIGNING = "symmetric", "pair", "recipient", "sealer", "signing"
KINDS = (SYMMETRIC, PAIR, RECIPIENT, SEALER, SIGNING)
KIND_TEXT = {SYMMETRIC: "a symmetric recovery key", PAIR: "a recovery key pair",
             RECIPIENT: "a recipient's public key", SEALER: "a trusted sealer", SIGNING: "your signing key"}
SEALS = (SYMMETRIC, PAIR, RECIPIENT)        # kinds a photo can be sealed for
RESTORES = (SYMMETRIC, PAIR)                # kinds that hold what restoring needs
TRUSTED = (SEALER, SIGNING)                 # sealers whose signature a keyholder recognises


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown and stored anywhere: never the key bytes."""

    key_id: str
    label: str
    created: str
    kind: str = SYMMETRIC
    suite: str = ""         # HPKE suite of a pair or recipient; Ed25519 for sealers

    def describe(self) -> str:
        if self.kind == SYMMETRIC:
            return f'"{self.label}" (id {self.key_id})'
        return f'"{self.label}" (fingerprint {show_fingerprint(self.key_id)})'

    def to_json(self) -> dict:
        doc = {"id": self.key_id, "label": self.label, "created": self.created}
        if self.kind != SYMMETRIC:
            doc.update(kind=self.kind, suite=self.suite)
        return doc


def new_key_id() -> str:
    return secrets.token_hex(16)


def is_key_id(text: str) -> bool:
    return bool(_ID_RE.match(text))


def clean_label(label: str) -> str:
    text = " ".join(str(label).split())
    if not text:
        raise VaultError("A recovery key needs a non-empty label, e.g. \"HR team\".")
    if len(text) > MAX_LABEL or any(unicodedata.category(c)[0] == "C" for c in text):
        raise VaultError(f"A key label must be at most {MAX_LABEL} printable characters.")
    return text


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def default_sealer_label() -> str:
    """user@host: who sealed, as keyholders will first see it (they pin the fingerprint, not the name)."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment (some containers)
        user = "someone"
    return clean_label(f"{user}@{socket.gethostname() or 'localhost'}")


def _fingerprinted(kind: str, suite: str, public: bytes, label: str) -> KeyInfo:
    """The info of a new key whose id is the fingerprint of its public key."""
    return KeyInfo(fingerprint(suite, public), clean_label(label), utc_now(), kind, suite)


def _parse_item(key_id: str, item: dict) -> dict:
    """The fields of a keyring item, checked for its kind; a public key must hash to the item's id."""
    kind = item.get("kind", SYMMETRIC)
    out = {"kind": kind, "label": item["label"], "created": str(item.get("created", "")), "suite": ""}
    if not isinstance(item["label"], str):
        raise ValueError("bad label")
    if kind == SYMMETRIC:
        out["key"] = b64_field(item["key"], KEY_BYTES)
        return out
    if kind in (PAIR, RECIPIENT):
        suite = item["suite"]
        if suite not in keypairs.SUITES:
            raise ValueError("unknown suite")
        if kind == PAIR:
            out["private"] = b64_field(item["private"], keypairs.PRIVATE_BYTES[suite])
            out["public"] = keypairs.public_of(suite, out["private"])
        else:
            out["public"] = b64_field(item["public"], keypairs.PUBLIC_BYTES[suite])
    elif kind in (SEALER, SIGNING):
        suite = ED25519
        if kind == SIGNING:
            out["private"] = b64_field(item["private"], signing.PRIVATE_BYTES)
            out["public"] = signing.public_of(out["private"])
        else:
            out["public"] = b64_field(item["public"], signing.PUBLIC_BYTES)
    else:
        raise ValueError("unknown kind")
    if fingerprint(suite, out["public"]) != key_id:
        raise ValueError("the public key does not match the id")
    out["suite"] = suite
    return out


class KeyStore:
    """Recovery keys in a secure keyring backend; the backend is checked on first use, not at construction."""

    def __init__(self, backend: Optional[KeyringBackend] = None, data_dir: Optional[Path] = None,
                 service: str = SERVICE) -> None:
        self._service = service         # the keyring service name: another one keeps another profile apart
        self._requested = backend
        self._backend: Optional[KeyringBackend] = None
        self._data_dir = data_dir

    @property
    def backend(self) -> KeyringBackend:
        if self._backend is None:
            self._backend = secure_backend(self._requested)
        return self._backend

    @property
    def index_path(self) -> Path:
        return (self._data_dir or veil_data_dir()) / INDEX_NAME

    # -- keyring access -------------------------------------------------------------------------------------
    def _call(self, what: str, fn, *args):
        try:
            return fn(*args)
        except VaultError:
            raise
        except Exception as e:  # any backend failure (locked, dismissed prompt, D-Bus) is "unavailable"
            reason = str(e).strip().rstrip(".") or type(e).__name__
            raise KeyringUnavailableError(
                f"The keyring refused to {what} ({reason}); unlock it and try again."
            ) from e

    def _read_secret(self, key_id: str) -> Optional[dict]:
        raw = self._call("read a recovery key", self.backend.get_password, self._service, key_id)
        if raw is None:
            return None
        try:
            item = json.loads(raw)
            if not isinstance(item, dict):
                raise ValueError("bad key item")
            return _parse_item(key_id, item)
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            raise VaultError(f"The keyring item for key {key_id} is damaged or was replaced, so Veil will not "
                             "use it; delete it and import the key again.") from e

    def _add_item(self, info: KeyInfo, **material: bytes) -> KeyInfo:
        """Store the keyring item (a symmetric key in the first design's layout), then list it in the index."""
        encoded = {name: base64.b64encode(data).decode("ascii") for name, data in material.items()}
        if info.kind == SYMMETRIC:
            item = {"v": 1, **encoded, "label": info.label, "created": info.created}
        else:
            item = {"v": 2, "kind": info.kind, "label": info.label, "created": info.created, "suite": info.suite,
                    **encoded}
        what = "store a recovery key" if info.kind == SYMMETRIC else "store a key"
        self._call(what, self.backend.set_password, self._service, info.key_id, json.dumps(item))
        self._write_index(self._read_index() + [info])
        return info

    def _info(self, key_id: str, item: dict, indexed_created: str = "") -> KeyInfo:
        return KeyInfo(key_id, item["label"], item["created"] or indexed_created, item["kind"], item["suite"])

    # -- index (non-secret) ---------------------------------------------------------------------------------
    def _read_index(self) -> list[KeyInfo]:
        path = self.index_path
        if not path.exists():
            return []
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            entries = [KeyInfo(str(e["id"]), str(e["label"]), str(e["created"]), str(e.get("kind", SYMMETRIC)),
                               str(e.get("suite", ""))) for e in doc["keys"]]
            if not all(is_key_id(e.key_id) and e.kind in KINDS for e in entries):
                raise ValueError("bad key id or kind in the index")
            return entries
        except (ValueError, KeyError, TypeError) as e:
            raise VaultError(
                f"The key index {path} is damaged; move it aside (the keys stay in your keyring, and Veil lists "
                "each one again when a photo or command names it by id)."
            ) from e

    def _write_index(self, entries: list[KeyInfo]) -> None:
        path = self.index_path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        doc = {"version": 1, "keys": [e.to_json() for e in sorted(entries, key=lambda e: e.created)]}
        atomic_write_bytes(path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))

    # -- public API -----------------------------------------------------------------------------------------
    def list_keys(self) -> list[KeyInfo]:
        """Keys in the index that the keyring still holds; stale entries are dropped, labels refreshed."""
        self.backend  # an insecure keyring is reported even before any key exists  # noqa: B018
        indexed = self._read_index()
        alive: list[KeyInfo] = []
        for entry in indexed:
            item = self._read_secret(entry.key_id)
            if item is not None:
                alive.append(self._info(entry.key_id, item, entry.created))
        if alive != indexed:
            self._write_index(alive)
        return alive

    def lookup(self, key_id: str) -> Optional[KeyInfo]:
        """The key with this id if the keyring holds it (indexing it if the index had lost it)."""
        if not is_key_id(key_id):
            return None
        item = self._read_secret(key_id)
        if item is None:
            return None
        info = self._info(key_id, item)
        entries = self._read_index()
        if all(e.key_id != key_id for e in entries):
            self._write_index(entries + [info])
        return info

    def find(self, ref: str, kinds: Optional[Iterable[str]] = None, purpose: str = "be used for this") -> KeyInfo:
        """A key by id (a fingerprint may be typed in groups) or by exact label; `kinds` limits what may match."""
        ref = ref.strip()
        compact = "".join(ref.split()).lower()
        found = self.lookup(compact) if is_key_id(compact) else None
        if found is None:
            matches = [k for k in self.list_keys() if k.label == ref]
            if not matches:
                raise KeyNotFoundError(f'No recovery key labelled or with id "{ref}" is in your keyring.')
            if len(matches) > 1:
                raise VaultError(f'Several recovery keys are labelled "{ref}"; name the one you mean by its id.')
            found = matches[0]
        if kinds is not None and found.kind not in tuple(kinds):
            raise VaultError(f"{found.describe()} is {KIND_TEXT[found.kind]}, which cannot {purpose}.")
        return found

    def key_bytes(self, key_id: str, label_hint: str = "") -> bytes:
        item = self._read_secret(key_id) if is_key_id(key_id) else None
        if item is not None and item["kind"] != SYMMETRIC:
            raise VaultError(f'The key "{item["label"]}" (id {key_id}) is {KIND_TEXT[item["kind"]]}, not the '
                             "symmetric recovery key this needs.")
        if item is None:
            label = label_hint or "unknown label"
            raise KeyNotFoundError(
                f'This needs the recovery key "{label}" (id {key_id}), which is not in your keyring; '
                "import it first (Recovery Keys in the editor, or `veil keys import`)."
            )
        return item["key"]

    def create(self, label: str) -> KeyInfo:
        label = clean_label(label)
        self._refuse_duplicate_label(label)
        return self._add_item(KeyInfo(new_key_id(), label, utc_now()), key=secrets.token_bytes(KEY_BYTES))

    def add(self, info: KeyInfo, key: bytes) -> KeyInfo:
        """Store a key received from another keyholder (import)."""
        if len(key) != KEY_BYTES or not is_key_id(info.key_id):
            raise VaultError("The imported key is not a Veil recovery key.")
        info = KeyInfo(info.key_id, clean_label(info.label), info.created or utc_now())
        if self._read_secret(info.key_id) is not None:
            raise KeyExistsError(f"The recovery key {info.describe()} is already in your keyring.")
        self._refuse_duplicate_label(info.label)
        return self._add_item(info, key=key)

    # -- key pairs, recipients, sealers -----------------------------------------------------------------------
    def _store_new(self, info: KeyInfo, **material: bytes) -> KeyInfo:
        if self._read_secret(info.key_id) is not None:
            raise KeyExistsError(f"The key {info.describe()} is already in your keyring.")
        self._refuse_duplicate_label(info.label)
        return self._add_item(info, **material)

    def create_pair(self, label: str, suite: Optional[str] = None) -> KeyInfo:
        """A new recovery key pair; the private key never leaves the keyring (except in a key file)."""
        suite = suite or keypairs.default_suite()
        private = keypairs.generate_private(suite)
        return self._store_new(_fingerprinted(PAIR, suite, keypairs.public_of(suite, private), label),
                               private=private)

    def add_pair(self, info: KeyInfo, private: bytes) -> KeyInfo:
        """Store a key pair received in a key file; its id must be the fingerprint of its public key."""
        try:
            public = keypairs.public_of(info.suite, private)
        except ValueError as e:
            raise VaultError("The imported key is not a Veil recovery key pair.") from e
        if fingerprint(info.suite, public) != info.key_id:
            raise VaultError("The imported key pair does not match its fingerprint; nothing was imported.")
        info = KeyInfo(info.key_id, clean_label(info.label), info.created or utc_now(), PAIR, info.suite)
        return self._store_new(info, private=private)

    def add_recipient(self, label: str, suite: str, public: bytes) -> KeyInfo:
        return self._store_new(_fingerprinted(RECIPIENT, suite, public, label), public=public)

    def add_sealer(self, label: str, public: bytes) -> KeyInfo:
        return self._store_new(_fingerprinted(SEALER, ED25519, public, label), public=public)

    def recipient_key(self, info: KeyInfo) -> RecipientKey:
        """The public key to seal for: a recipient's, or that of one of your own key pairs."""
        item = self._read_secret(info.key_id)
        if item is None or item["kind"] not in (PAIR, RECIPIENT):
            raise KeyNotFoundError(f"The key {info.describe()} is not a key pair or recipient in your keyring.")
        return RecipientKey(item["suite"], item["public"], item["label"])

    def private_pair(self, key_id: str) -> Optional[tuple[KeyInfo, bytes]]:
        """(info, private bytes) of your key pair with this id, or None when the keyring has none."""
        item = self._read_secret(key_id) if is_key_id(key_id) else None
        if item is None or item["kind"] != PAIR:
            return None
        return self._info(key_id, item), item["private"]

    def secret_of(self, info: KeyInfo) -> bytes:
        """The bytes a key file protects: a symmetric key, or a key pair's private key."""
        if info.kind == SYMMETRIC:
            return self.key_bytes(info.key_id, info.label)
        found = self.private_pair(info.key_id)
        if found is None:
            raise VaultError(f"{info.describe()} is {KIND_TEXT[info.kind]}: it has no private key to export; "
                             "share its public key instead.")
        return found[1]

    def public_of(self, info: KeyInfo) -> bytes:
        item = self._read_secret(info.key_id)
        if item is None or "public" not in item:
            raise KeyNotFoundError(f"The key {info.describe()} is no longer in your keyring.")
        return item["public"]

    def trusted_sealers(self) -> dict[str, KeyInfo]:
        """Pinned sealers and your own signing key, by fingerprint."""
        return {k.key_id: k for k in self.list_keys() if k.kind in TRUSTED}

    def signer(self, label: Optional[str] = None, create: bool = True) -> Optional[LocalSigner]:
        """This profile's signing key (the oldest, should two processes have raced to make one); with `create`,
        one is made on first use, labelled `label` or user@host."""
        own = [k for k in self.list_keys() if k.kind == SIGNING]
        if not own:
            if not create:
                return None
            private = signing.new_signing_key()
            info = _fingerprinted(SIGNING, ED25519, signing.public_of(private), label or default_sealer_label())
            own = [self._add_item(info, private=private)]
        info = min(own, key=lambda k: k.created)
        item = self._read_secret(info.key_id)
        if item is None:
            raise KeyNotFoundError("Your signing key vanished from the keyring while Veil read it; try again.")
        return LocalSigner(item["private"], item["label"])

    def delete(self, key_id: str) -> None:
        if self._read_secret(key_id) is not None:
            self._call("delete a recovery key", self.backend.delete_password, self._service, key_id)
        self._write_index([e for e in self._read_index() if e.key_id != key_id])

    def _refuse_duplicate_label(self, label: str) -> None:
        for k in self.list_keys():
            if k.label == label:
                raise KeyExistsError(
                    f'A recovery key labelled "{label}" already exists (id {k.key_id}); choose another label.'
                )
