"""Key pairs, recipients, trusted sealers and the signing key in a real GNOME Keyring: creation, listing, key files,
public blocks, replaced keys, deletion and the audit log; sealing for several keyholders through the service."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import numpy as np
import pytest

from editor.core import image_io
from editor.services.vault_service import VaultService, regions_from_mask
from editor.vault.audit import AuditLog
from editor.vault.embed import extract_payload
from editor.vault.errors import (ConfirmationRequired, KeyExistsError, KeyFileError, KeyNotFoundError, SealerError,
                                 VaultError)
from editor.vault.keyfile import open_key_file
from editor.vault.keypairs import CLASSIC, HYBRID, SUITES, fingerprint, show_fingerprint
from editor.vault.keystore import PAIR, RECIPIENT, SEALER, SERVICE, SIGNING, SYMMETRIC
from editor.vault.public_blocks import read_block
from editor.vault.sealed_payload import SealedPayload, read_payload
from editor.vault.signing import LocalSigner, new_signing_key

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def other(keystore_for, tmp_path):
    """A second profile's service: its own keyring service name, index and audit; cleaned up afterwards."""
    data = tmp_path / "other-data"
    data.mkdir()
    return VaultService(keystore=keystore_for(data, "veil-test-other"), audit=AuditLog(data))


def _photo(make_photo, tmp_path):
    pixels, _ = make_photo()
    mask = np.zeros(pixels.shape[:2], bool)
    mask[20:60, 40:90] = True
    return pixels, regions_from_mask(mask, kind="face")


@pytest.mark.parametrize("suite", SUITES)
def test_key_pair_id_is_its_fingerprint_and_private_key_stays_in_the_keyring(service, keystore, data_dir, suite):
    info = service.create_key_pair("HR team", suite)
    assert info.kind == PAIR and info.suite == suite
    public = keystore.public_of(info)
    assert info.key_id == fingerprint(suite, public) and len(show_fingerprint(info.key_id).split()) == 8
    _, private = keystore.private_pair(info.key_id)
    for path in (p for p in Path(os.environ["VEIL_TEST_HOME"]).rglob("*") if p.is_file()):
        content = path.read_bytes()
        assert private not in content and base64.b64encode(private) not in content, path
    assert [(k.key_id, k.kind) for k in service.list_keys()] == [(info.key_id, PAIR)]


def test_default_suite_is_the_hybrid(service):
    assert service.create_key_pair("HR team").suite == HYBRID


def test_key_pair_file_round_trip_restores_what_was_sealed(service, keystore, tmp_path, make_photo):
    pixels, regions = _photo(make_photo, tmp_path)
    info = service.create_key_pair("HR team")
    sealed = service.seal_image(pixels, None, None, regions, recipients=["HR team"], out_path=tmp_path / "s.png",
                                fill="solid")
    keyfile = tmp_path / "hr.veilkey"
    service.export_key("HR team", PASSPHRASE, keyfile)
    doc = json.loads(keyfile.read_text())
    assert doc["version"] == 2 and doc["kind"] == PAIR and doc["suite"] == info.suite
    service.delete_key(info.key_id, confirm=True)
    with pytest.raises(KeyNotFoundError):
        service.recover(sealed.path, tmp_path / "r0.png")
    assert service.import_key(keyfile, PASSPHRASE) == info
    service.recover(sealed.path, tmp_path / "r.png")
    np.testing.assert_array_equal(image_io.load_image(tmp_path / "r.png").pixels, pixels)


def test_key_file_with_an_edited_suite_or_kind_is_refused(service, tmp_path):
    service.create_key_pair("HR team", CLASSIC)
    keyfile = tmp_path / "hr.veilkey"
    service.export_key("HR team", PASSPHRASE, keyfile)
    for field, value in (("suite", HYBRID), ("kind", "symmetric"), ("key_id", "ab" * 16)):
        doc = json.loads(keyfile.read_text())
        doc[field] = value
        with pytest.raises(KeyFileError):
            open_key_file(json.dumps(doc).encode(), PASSPHRASE)


def test_public_keys_and_signing_keys_are_not_exported_as_key_files(service, other, tmp_path):
    service.create_key_pair("HR team")
    service.export_public("HR team", tmp_path / "hr.pub")
    other.import_public(tmp_path / "hr.pub")
    with pytest.raises(VaultError, match="recipient's public key, which cannot be exported"):
        other.export_key("HR team", PASSPHRASE, tmp_path / "x.veilkey")
    other.signer()
    with pytest.raises(VaultError, match="your signing key"):
        other.export_key(other.keys.signer().identity.key_id, PASSPHRASE, tmp_path / "y.veilkey")
    service.create_key("Old key")
    with pytest.raises(VaultError, match="secret key"):
        service.public_block("Old key")
    assert not (tmp_path / "x.veilkey").exists() and not (tmp_path / "y.veilkey").exists()


def test_recipient_import_and_seal_for_several_keyholders(service, other, tmp_path, make_photo):
    """Staff (other) hold only public keys; either keyholder profile restores the photo."""
    pixels, regions = _photo(make_photo, tmp_path)
    hr = service.create_key_pair("HR team")
    legal = service.create_key_pair("Legal", CLASSIC)
    for name in ("HR team", "Legal"):
        service.export_public(name, tmp_path / f"{name}.pub")
        assert other.import_public(tmp_path / f"{name}.pub").kind == RECIPIENT
    sealed = other.seal_image(pixels, None, None, regions, recipients=["HR team", legal.key_id],
                              out_path=tmp_path / "s.png", fill="pixelate")
    assert [k.key_id for k in sealed.keys] == [hr.key_id, legal.key_id]
    payload = read_payload(extract_payload(sealed.path.read_bytes()))
    assert isinstance(payload, SealedPayload) and payload.header.sealer == sealed.sealer
    with pytest.raises(KeyNotFoundError, match="public key you hold"):
        other.recover(sealed.path, tmp_path / "no.png")
    result = service.recover(sealed.path, tmp_path / "r.png")
    np.testing.assert_array_equal(image_io.load_image(tmp_path / "r.png").pixels, pixels)
    assert result.sealer.trusted is None and "unknown sealer" in result.sealer.sentence()
    seals = [e for e in other.audit.entries() if e.action == "seal"]
    assert [e.key_id for e in seals] == [hr.key_id, legal.key_id]          # one entry per keyholder
    assert not (tmp_path / "no.png").exists()


def test_trusted_sealer_and_an_impostor_of_its_name(service, other, tmp_path, make_photo):
    pixels, regions = _photo(make_photo, tmp_path)
    service.create_key_pair("HR team")
    service.export_public("HR team", tmp_path / "hr.pub")
    other.import_public(tmp_path / "hr.pub")
    other.signer(label="Privacy desk")
    other.export_public(None, tmp_path / "desk.pub")
    assert read_block((tmp_path / "desk.pub").read_bytes()).kind == "sealer"
    assert service.trust_sealer(tmp_path / "desk.pub").kind == SEALER
    sealed = other.seal_image(pixels, None, None, regions, recipients=["HR team"], out_path=tmp_path / "a.png",
                              fill="solid")
    result = service.recover(sealed.path, tmp_path / "r.png", require_trusted_sealer=True)
    assert result.sealer.trusted is not None
    assert result.sealer.sentence().startswith('sealed by "Privacy desk" (fingerprint ')

    fake = LocalSigner(new_signing_key(), "privacy DESK")     # another key under the trusted name
    forged = other.seal_image(pixels, None, None, regions, recipients=["HR team"], signer=fake,
                              out_path=tmp_path / "b.png", fill="solid")
    with pytest.raises(SealerError, match="is not the"):
        service.recover(forged.path, tmp_path / "r2.png")
    assert not (tmp_path / "r2.png").exists()


def test_signing_key_is_made_once_and_logged(service):
    first = service.signer()
    again = service.signer()
    assert first.identity == again.identity
    assert [k.kind for k in service.list_keys()] == [SIGNING]
    creates = [e for e in service.audit.entries() if e.action == "key.create"]
    assert [e.key_id for e in creates] == [first.identity.key_id]


def test_replaced_key_in_the_keyring_is_refused(service, keystore, secret_service):
    info = service.create_key_pair("HR team", CLASSIC)
    item = json.loads(secret_service.get_password(SERVICE, info.key_id))
    item["private"] = base64.b64encode(os.urandom(32)).decode()
    secret_service.set_password(SERVICE, info.key_id, json.dumps(item))
    with pytest.raises(VaultError, match="damaged or was replaced"):
        keystore.private_pair(info.key_id)


def test_duplicates_symmetric_mixes_and_deletion(service, other, tmp_path, make_photo):
    pixels, regions = _photo(make_photo, tmp_path)
    service.create_key_pair("HR team")
    service.export_public("HR team", tmp_path / "hr.pub")
    with pytest.raises(KeyExistsError):
        service.import_public(tmp_path / "hr.pub", label="HR again")     # your own key pair: same fingerprint
    service.create_key("Old key")
    with pytest.raises(VaultError, match="can only seal alone"):
        service.seal_image(pixels, None, None, regions, key="Old key", recipients=["HR team"],
                           out_path=tmp_path / "mix.png", fill="solid")
    with pytest.raises(VaultError, match="at least one keyholder"):
        service.seal_image(pixels, None, None, regions, out_path=tmp_path / "none.png", fill="solid")
    assert not (tmp_path / "mix.png").exists() and not (tmp_path / "none.png").exists()
    other.import_public(tmp_path / "hr.pub")
    with pytest.raises(ConfirmationRequired, match="stops you sealing"):
        other.delete_key("HR team")
    other.delete_key("HR team", confirm=True)
    assert other.list_keys() == []
    actions = [(e.action, e.key_id) for e in other.audit.entries()]
    assert [a for a, _ in actions] == ["key.import", "key.delete"]


def test_symmetric_keys_still_seal_format_1(service, tmp_path, make_photo):
    pixels, regions = _photo(make_photo, tmp_path)
    info = service.create_key("Old key")
    assert info.kind == SYMMETRIC
    sealed = service.seal_image(pixels, None, None, regions, key="Old key", out_path=tmp_path / "s.png",
                                fill="solid")
    assert sealed.sealer is None and service.inspect(sealed.path).version == 1
    service.recover(sealed.path, tmp_path / "r.png")
    np.testing.assert_array_equal(image_io.load_image(tmp_path / "r.png").pixels, pixels)
