"""Fixtures for the anonymization tests: the public-domain astronaut photo (NASA, via scikit-image), its face,
the engine, and a vault over the test run's throw-away GNOME Keyring for sealing (tests/conftest.py)."""

from __future__ import annotations

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


@pytest.fixture
def vault(secret_service, tmp_path, monkeypatch):
    """A VaultService on the test keyring and a private data folder, with one key labelled "test"."""
    data = tmp_path / "veil-data"
    data.mkdir()
    monkeypatch.setenv("VEIL_DATA_DIR", str(data))
    store = KeyStore(backend=secret_service, data_dir=data)
    service = VaultService(keystore=store, audit=AuditLog(data))
    info = service.create_key("test")
    yield service
    secret_service.delete_password("veil", info.key_id)


@pytest.fixture
def photo_file(tmp_path, astronaut) -> Path:
    from editor.core.image_io import save_image

    path = tmp_path / "in" / "astronaut.png"
    path.parent.mkdir()
    save_image(path, astronaut)
    return path
