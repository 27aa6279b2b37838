"""What a cluster worker holds and asks for, checked in this process (no Ray needed): no key at all, one signature
per photo from the driver, and nothing but seal messages signed; the audit entries go back to the driver."""

from __future__ import annotations

import pytest

from cluster_helpers import make_photos
from editor import __version__
from editor.services.anonymize_batch import AnonymizeJob, anonymize_for_driver
from editor.services.ray_executor import DriverServices
from editor.services.ray_worker import DONE, SIGN, NoKeys, PhotoWorker, WorkerKeyError
from editor.services.vault_service import VaultService
from editor.vault import keypairs
from editor.vault.audit import AuditLog
from editor.vault.keypairs import RecipientKey
from editor.vault.sealed_payload import signed_message
from editor.vault.signing import LocalSigner, new_signing_key


def _keyholder() -> tuple[RecipientKey, bytes]:
    private = keypairs.generate_private(keypairs.CLASSIC)
    return RecipientKey(keypairs.CLASSIC, keypairs.public_of(keypairs.CLASSIC, private), "HR"), private


def test_a_worker_has_no_key_to_read():
    vault = VaultService(keystore=NoKeys(), audit=AuditLog())
    with pytest.raises(WorkerKeyError, match="A Ray worker holds no keys"):
        vault.seal_targets("HR")                      # by name: that would need the keyring
    holder, _ = _keyholder()
    assert vault.seal_targets(None, [holder]).recipients == (holder,)     # a public key it was given: fine


def test_the_driver_signs_seal_messages_only(tmp_path):
    driver = DriverServices(LocalSigner(new_signing_key(), "Privacy desk"), AuditLog(tmp_path))
    seal = signed_message(b"header", b"ciphertext")
    assert driver.signer.identity.verify(driver.sign_for_worker(seal), seal)
    assert driver.sign_for_worker(b"x" * len(seal)) is None                  # not a seal message
    assert driver.sign_for_worker(seal + b"more") is None


def test_a_photo_on_a_worker_asks_the_driver_once_and_returns_its_audit(tmp_path, astronaut):
    photos = make_photos(tmp_path / "shoot", astronaut, faces=1)
    holder, _ = _keyholder()
    driver = DriverServices(LocalSigner(new_signing_key(), "Privacy desk"), AuditLog(tmp_path / "log"))
    worker = PhotoWorker(anonymize_for_driver, driver.signer.identity, None, __version__)
    job = AnonymizeJob(None, 7, recipients=(holder,))

    asked = worker.start((0, 1), str(photos / "p0.png"), str(tmp_path / "out" / "p0.png"), job)
    assert asked[0] == SIGN and asked[1] == (0, 1)
    done = worker.resume((0, 1), driver.sign_for_worker(asked[2]))
    assert done[0] == DONE and done[2].status == "anonymized"
    assert {e["action"] for e in done[3]} == {"seal", "anonymize"}
    assert all(e["file_sha256"] == done[2].output_sha256 for e in done[3])

    refused = worker.start((1, 1), str(photos / "p0.png"), str(tmp_path / "out" / "again.png"), job)
    done = worker.resume((1, 1), None)                                        # the driver says no
    assert refused[0] == SIGN and done[2].status == "error" and "refused to sign" in done[2].message
    assert not (tmp_path / "out" / "again.png").exists()


def test_a_worker_of_another_veil_version_refuses_to_start():
    with pytest.raises(Exception, match="install the same Veil on every node"):
        PhotoWorker(anonymize_for_driver, None, None, "0.0.0-other")
