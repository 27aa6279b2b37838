"""Recovery keys in a real GNOME Keyring: create, list, delete, export/import, and refusal of insecure backends."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from editor.vault.errors import (ConfirmationRequired, InsecureKeyringError, KeyExistsError, KeyFileError,
                                 KeyNotFoundError, PassphraseError)
from editor.vault.keyfile import open_key_file, seal_key_file
from editor.vault.keystore import SERVICE, KeyStore

PASSPHRASE = "correct horse battery staple"


class PlaintextKeyring(KeyringBackend):
    """A backend that stores secrets in clear in a JSON file, like keyrings.alt's PlaintextKeyring."""

    priority = 0.5
    viable = False      # keep keyring's own backend discovery (used by the CLI tests) from picking it up

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _load(self) -> dict:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get_password(self, service, username):
        return self._load().get(f"{service}/{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}/{username}"] = password
        self.path.write_text(json.dumps(data))

    def delete_password(self, service, username):
        data = self._load()
        data.pop(f"{service}/{username}")
        self.path.write_text(json.dumps(data))


class OnlyInsecureChain(chainer.ChainerBackend):
    viable = False
    backends = [fail.Keyring(), null.Keyring()]


def key_forms(key: bytes) -> list[bytes]:
    """The ways a key could be written out by mistake."""
    return [key, base64.b64encode(key), base64.urlsafe_b64encode(key), key.hex().encode(), key.hex().upper().encode()]


def files_under(*roots: Path):
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (p for p in root.rglob("*") if p.is_file())


def test_create_list_find_delete(service, keystore):
    hr = service.create_key("HR team")
    legal = service.create_key("  Legal   dept ")
    assert legal.label == "Legal dept"
    assert [k.key_id for k in service.list_keys()] == [hr.key_id, legal.key_id]
    assert keystore.find("HR team") == hr and keystore.find(hr.key_id.upper()) == hr
    assert len(keystore.key_bytes(hr.key_id)) == 32
    assert keystore.key_bytes(hr.key_id) != keystore.key_bytes(legal.key_id)
    with pytest.raises(KeyExistsError, match="HR team"):
        service.create_key("HR team")
    with pytest.raises(ConfirmationRequired):
        service.delete_key("HR team")
    assert keystore.find("HR team") == hr
    service.delete_key("HR team", confirm=True)
    assert [k.label for k in service.list_keys()] == ["Legal dept"]
    assert keystore.backend.get_password(SERVICE, hr.key_id) is None
    with pytest.raises(KeyNotFoundError):
        keystore.find("HR team")
    actions = [e.action for e in service.audit.entries()]
    assert actions == ["key.create", "key.create", "key.delete"]


def test_list_reconciles_index_with_keyring(keystore, secret_service, data_dir):
    gone = keystore.create("Gone")
    kept = keystore.create("Kept")
    secret_service.delete_password(SERVICE, gone.key_id)          # removed behind Veil's back
    assert [k.label for k in keystore.list_keys()] == ["Kept"]
    assert gone.key_id not in (data_dir / "keys.json").read_text()
    (data_dir / "keys.json").unlink()                              # index lost: the payload's key id still works
    assert keystore.list_keys() == []
    assert keystore.lookup(kept.key_id) == kept
    assert keystore.list_keys() == [kept]


def test_missing_key_names_label_and_id(keystore):
    with pytest.raises(KeyNotFoundError) as err:
        keystore.key_bytes("ab" * 16, "Finance")
    assert '"Finance"' in str(err.value) and "ab" * 16 in str(err.value) and "veil keys import" in str(err.value)


def test_keys_never_touch_disk_in_clear(service, keystore, data_dir, tmp_path):
    infos = [service.create_key(f"key {i}") for i in range(3)]
    export = tmp_path / "key.veilkey"
    service.export_key("key 1", PASSPHRASE, export)
    keys = [keystore.key_bytes(i.key_id) for i in infos]
    import os

    roots = [data_dir, export, Path(os.environ["VEIL_TEST_HOME"])]     # includes the keyring's own files
    scanned = 0
    for path in files_under(*roots):
        content = path.read_bytes()
        scanned += 1
        for key in keys:
            for form in key_forms(key):
                assert form not in content, f"key bytes found in {path}"
    assert scanned >= 3


def test_export_import_round_trip(service, keystore, tmp_path):
    info = service.create_key("HR team")
    key = keystore.key_bytes(info.key_id)
    path = tmp_path / "hr.veilkey"
    service.export_key("HR team", PASSPHRASE, path)
    doc = json.loads(path.read_text())
    assert doc["kdf"] == {"name": "scrypt", "log2_n": 17, "r": 8, "p": 1, "salt": doc["kdf"]["salt"]}
    with pytest.raises(KeyExistsError):
        service.import_key(path, PASSPHRASE)
    service.delete_key(info.key_id, confirm=True)
    imported = service.import_key(path, PASSPHRASE)
    assert imported == info and keystore.key_bytes(info.key_id) == key
    assert [e.action for e in service.audit.entries()] == ["key.create", "key.export", "key.delete", "key.import"]


def test_import_under_another_label(service, keystore, tmp_path):
    info = service.create_key("HR team")
    path = tmp_path / "hr.veilkey"
    service.export_key(info.key_id, PASSPHRASE, path)
    service.delete_key(info.key_id, confirm=True)
    assert service.import_key(path, PASSPHRASE, label="HR (from Ana)").label == "HR (from Ana)"


def test_key_file_refuses_wrong_passphrase_and_edits(keystore):
    info = keystore.create("HR team")
    data = seal_key_file(info, keystore.key_bytes(info.key_id), PASSPHRASE)
    with pytest.raises(KeyFileError, match="passphrase is wrong"):
        open_key_file(data, PASSPHRASE + "!")
    doc = json.loads(data)
    doc["label"] = "Everyone"                        # authenticated: the key cannot be re-labelled unnoticed
    with pytest.raises(KeyFileError, match="passphrase is wrong or the key file was altered"):
        open_key_file(json.dumps(doc).encode(), PASSPHRASE)
    for field, value in [("log2_n", 30), ("r", 10**6), ("p", 0), ("log2_n", "17")]:
        hostile = json.loads(data)
        hostile["kdf"][field] = value                # would cost terabytes or hours if obeyed
        with pytest.raises(KeyFileError, match="not a Veil key file"):
            open_key_file(json.dumps(hostile).encode(), PASSPHRASE)
    for junk in (b"", b"{}", b"\xff\xfe", b"[" * 10000, data[:50], b" " * 70000):
        with pytest.raises(KeyFileError):
            open_key_file(junk, PASSPHRASE)
    future = json.loads(data)
    future["version"] = 3
    with pytest.raises(KeyFileError, match="version 3"):
        open_key_file(json.dumps(future).encode(), PASSPHRASE)


def test_short_passphrase_is_refused(service, tmp_path):
    service.create_key("HR team")
    with pytest.raises(PassphraseError):
        service.export_key("HR team", "short", tmp_path / "k")
    assert not (tmp_path / "k").exists()


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring(), OnlyInsecureChain()],
                         ids=["fail", "null", "chain-of-insecure"])
def test_insecure_backends_are_refused(backend, data_dir):
    store = KeyStore(backend=backend, data_dir=data_dir)
    with pytest.raises(InsecureKeyringError) as err:
        store.create("HR team")
    message = str(err.value)
    assert message.startswith("No secure keyring is available") and message.count(". ") == 0
    assert "GNOME Keyring" in message and not (data_dir / "keys.json").exists()
    with pytest.raises(InsecureKeyringError):
        store.list_keys()          # said at once, not only when the first key is made


def test_plaintext_backend_is_refused(tmp_path, data_dir):
    store = KeyStore(backend=PlaintextKeyring(tmp_path / "plain.json"), data_dir=data_dir)
    with pytest.raises(InsecureKeyringError, match="PlaintextKeyring"):
        store.create("HR team")
    assert not (tmp_path / "plain.json").exists()


def test_chainer_uses_its_secure_member(secret_service, data_dir, tmp_path):
    class Chain(chainer.ChainerBackend):
        viable = False
        backends = [PlaintextKeyring(tmp_path / "plain.json"), secret_service]

    store = KeyStore(backend=Chain(), data_dir=data_dir)
    info = store.create("HR team")
    assert not (tmp_path / "plain.json").exists()
    assert secret_service.get_password(SERVICE, info.key_id) is not None
    store.delete(info.key_id)
