"""Fixtures for the anonymization tests: the public-domain astronaut photo (NASA, via scikit-image), its face,
the engine, and a real GNOME Keyring for sealing (only inside scripts/run_tests.sh, as for the vault tests)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import numpy as np
import pytest

from editor.anonymize.engine import AnonymizeEngine
from editor.services.vault_service import VaultService
from editor.vault.audit import AuditLog
from editor.vault.keystore import KeyStore
from editor.vision.pipeline import default_pipeline


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """Eileen Collins, NASA portrait (public domain), 512 x 512 RGB; one face of about 90 px."""
    from skimage.data import astronaut as load

    return np.ascontiguousarray(load())


@pytest.fixture(scope="session")
def astronaut_face(astronaut):
    faces = default_pipeline().find_faces(astronaut)
    assert len(faces) == 1 and faces[0].landmarks68 is not None
    return faces[0]


@pytest.fixture(scope="session")
def engine() -> AnonymizeEngine:
    return AnonymizeEngine()


def _secret_service():
    """A usable Secret Service inside run_tests.sh's throw-away keyring, else the reason there is none."""
    home = os.environ.get("VEIL_TEST_HOME")
    if not home or os.path.realpath(os.path.expanduser("~")) != os.path.realpath(home):
        return None, "keyring tests run only inside scripts/run_tests.sh (a throw-away GNOME Keyring)"
    try:
        from keyring.backends import SecretService

        backend = SecretService.Keyring()
        backend.priority  # raises when secretstorage or the D-Bus session is missing  # noqa: B018
        user = "probe-" + secrets.token_hex(4)
        backend.set_password("veil-test-probe", user, "probe")
        backend.delete_password("veil-test-probe", user)
    except Exception as e:  # any failure means: no usable Secret Service here
        return None, f"the Secret Service is not usable ({type(e).__name__}: {e})"
    return backend, None


@pytest.fixture
def vault(tmp_path, monkeypatch):
    """A VaultService on the test keyring and a private data folder, with one key labelled "test"."""
    backend, problem = _secret_service()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"No usable GNOME Keyring: {problem}.")
        pytest.skip(f"No usable GNOME Keyring: {problem}.")
    data = tmp_path / "veil-data"
    data.mkdir()
    monkeypatch.setenv("VEIL_DATA_DIR", str(data))
    store = KeyStore(backend=backend, data_dir=data)
    service = VaultService(keystore=store, audit=AuditLog(data))
    info = service.create_key("test")
    yield service
    backend.delete_password("veil", info.key_id)


@pytest.fixture
def photo_file(tmp_path, astronaut) -> Path:
    from editor.core.image_io import save_image

    path = tmp_path / "in" / "astronaut.png"
    path.parent.mkdir()
    save_image(path, astronaut)
    return path
