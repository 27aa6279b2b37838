"""Recovery keys in the OS keyring, plus a non-secret index so they can be listed.

Each key is one keyring item: service "veil", username = key id, secret = JSON {v, key (base64), label,
created}. Secret Service cannot list items of a service portably, so ids, labels and creation times (never key
bytes) are also kept in `keys.json` in the user's data folder; `list()` reconciles that index with the keyring.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from keyring.backend import KeyringBackend

from editor.core.atomic import atomic_write_bytes

from .data_dir import veil_data_dir
from .errors import KeyExistsError, KeyNotFoundError, KeyringUnavailableError, VaultError
from .keyring_backend import secure_backend

SERVICE = "veil"
KEY_BYTES = 32
INDEX_NAME = "keys.json"
_ID_RE = re.compile(r"^[0-9a-f]{32}$")
MAX_LABEL = 100


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown and stored anywhere: never the key bytes."""

    key_id: str
    label: str
    created: str

    def describe(self) -> str:
        return f'"{self.label}" (id {self.key_id})'

    def to_json(self) -> dict:
        return {"id": self.key_id, "label": self.label, "created": self.created}


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


class KeyStore:
    """Recovery keys in a secure keyring backend; the backend is checked on first use, not at construction."""

    def __init__(self, backend: Optional[KeyringBackend] = None, data_dir: Optional[Path] = None) -> None:
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
        raw = self._call("read a recovery key", self.backend.get_password, SERVICE, key_id)
        if raw is None:
            return None
        try:
            item = json.loads(raw)
            key = base64.b64decode(item["key"], validate=True)
            if len(key) != KEY_BYTES or not isinstance(item["label"], str):
                raise ValueError("bad key item")
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            raise VaultError(f"The keyring item for recovery key {key_id} is damaged and cannot be used.") from e
        return {"key": key, "label": item["label"], "created": str(item.get("created", ""))}

    def _write_secret(self, info: KeyInfo, key: bytes) -> None:
        item = {"v": 1, "key": base64.b64encode(key).decode("ascii"), "label": info.label, "created": info.created}
        self._call("store a recovery key", self.backend.set_password, SERVICE, info.key_id, json.dumps(item))

    # -- index (non-secret) ---------------------------------------------------------------------------------
    def _read_index(self) -> list[KeyInfo]:
        path = self.index_path
        if not path.exists():
            return []
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            entries = [KeyInfo(str(e["id"]), str(e["label"]), str(e["created"])) for e in doc["keys"]]
            if not all(is_key_id(e.key_id) for e in entries):
                raise ValueError("bad key id in the index")
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
                alive.append(KeyInfo(entry.key_id, item["label"], item["created"] or entry.created))
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
        info = KeyInfo(key_id, item["label"], item["created"])
        entries = self._read_index()
        if all(e.key_id != key_id for e in entries):
            self._write_index(entries + [info])
        return info

    def find(self, ref: str) -> KeyInfo:
        """A key by id or by exact label."""
        ref = ref.strip()
        if is_key_id(ref.lower()):
            found = self.lookup(ref.lower())
            if found is not None:
                return found
        matches = [k for k in self.list_keys() if k.label == ref]
        if not matches:
            raise KeyNotFoundError(f'No recovery key labelled or with id "{ref}" is in your keyring.')
        if len(matches) > 1:
            raise VaultError(f'Several recovery keys are labelled "{ref}"; name the one you mean by its id.')
        return matches[0]

    def key_bytes(self, key_id: str, label_hint: str = "") -> bytes:
        item = self._read_secret(key_id) if is_key_id(key_id) else None
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
        info = KeyInfo(new_key_id(), label, utc_now())
        self._write_secret(info, secrets.token_bytes(KEY_BYTES))
        self._write_index(self._read_index() + [info])
        return info

    def add(self, info: KeyInfo, key: bytes) -> KeyInfo:
        """Store a key received from another keyholder (import)."""
        if len(key) != KEY_BYTES or not is_key_id(info.key_id):
            raise VaultError("The imported key is not a Veil recovery key.")
        info = KeyInfo(info.key_id, clean_label(info.label), info.created or utc_now())
        if self._read_secret(info.key_id) is not None:
            raise KeyExistsError(f"The recovery key {info.describe()} is already in your keyring.")
        self._refuse_duplicate_label(info.label)
        self._write_secret(info, key)
        self._write_index(self._read_index() + [info])
        return info

    def delete(self, key_id: str) -> None:
        if self._read_secret(key_id) is not None:
            self._call("delete a recovery key", self.backend.delete_password, SERVICE, key_id)
        self._write_index([e for e in self._read_index() if e.key_id != key_id])

    def _refuse_duplicate_label(self, label: str) -> None:
        for k in self.list_keys():
            if k.label == label:
                raise KeyExistsError(
                    f'A recovery key labelled "{label}" already exists (id {k.key_id}); choose another label.'
                )
