"""Fixtures shared by every test area: headless Qt by default, repository paths, a sample photo, the astronaut
portrait, and a real GNOME Keyring for the vault (a key store and a VaultService on it).

Keyring tests must never write into a developer's own keyring, so they only talk to a throw-away one: a test run
moves onto a temporary HOME and a private D-Bus session on which gnome-keyring-daemon serves an unlocked
collection (tests/throwaway_keyring.py at the start of a plain `pytest`; scripts/run_tests.sh does the same in
bash and exports VEIL_TEST_HOME). Without a usable Secret Service they fail under CI (env CI set) and are skipped
elsewhere, with the reason.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

import pytest
from throwaway_keyring import ThrowawayKeyring, inside_run_tests

# Before anything imports Qt: tests never need a display (set QT_QPA_PLATFORM=xcb to watch them).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PHOTO = REPO_ROOT / "resources" / "sample.jpg"
_keyring = ThrowawayKeyring()


def pytest_configure(config):
    """Before any test imports keyring or starts a process: the whole run on the throw-away HOME and keyring."""
    if not inside_run_tests():
        _keyring.start()


def pytest_unconfigure(config):
    _keyring.stop()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def sample_photo(tmp_path: Path) -> Path:
    """A private copy of resources/sample.jpg (512 x 512 RGB, one face) that a test may overwrite."""
    target = tmp_path / "sample.jpg"
    shutil.copyfile(SAMPLE_PHOTO, target)
    return target


PROBE_SERVICE = "veil-test-probe"


def _secret_service_problem():
    if _keyring.problem:
        return None, _keyring.problem
    if not inside_run_tests():
        return None, "this run is not on a throw-away HOME, and the keyring tests never use your own keyring"
    try:
        from keyring.backends import SecretService

        backend = SecretService.Keyring()
        backend.priority  # raises when secretstorage or the D-Bus session is missing  # noqa: B018
        user = "probe-" + secrets.token_hex(4)
        backend.set_password(PROBE_SERVICE, user, "probe")
        readable = backend.get_password(PROBE_SERVICE, user) == "probe"
        backend.delete_password(PROBE_SERVICE, user)
    except Exception as e:  # any failure means: no usable Secret Service here
        return None, (f"the Secret Service is not usable ({type(e).__name__}: {e}); gnome-keyring-daemon must be "
                      "started with a non-empty --unlock password, or it has no default collection")
    if not readable:
        return None, "the Secret Service did not return the secret it stored"
    return backend, None


@pytest.fixture(scope="session")
def secret_service():
    """The throw-away GNOME Keyring of this test run (fails under CI, skips elsewhere, when there is none)."""
    backend, problem = _secret_service_problem()
    if problem:
        message = f"No usable GNOME Keyring for the keyring tests: {problem}."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return backend


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A private Veil data folder (key index, audit log) for one test."""
    path = tmp_path / "veil-data"
    path.mkdir()
    monkeypatch.setenv("VEIL_DATA_DIR", str(path))
    return path


@pytest.fixture
def keystore_for(secret_service):
    """keystore_for(data_dir, service) -> a vault KeyStore over the session keyring, with its own index in `data_dir`
    and keyring service name (another profile); the keys its index names are deleted after the test."""
    from editor.vault.keystore import SERVICE, KeyStore

    made = []

    def make(data_dir: Path, service: str = SERVICE) -> KeyStore:
        made.append((data_dir, service))
        return KeyStore(backend=secret_service, data_dir=data_dir, service=service)

    yield make
    # Leave the session keyring as we found it.
    for data_dir, service in made:
        index = data_dir / "keys.json"
        if index.exists():
            for entry in json.loads(index.read_text())["keys"]:
                try:
                    secret_service.delete_password(service, entry["id"])
                except Exception:  # already deleted by the test
                    pass


@pytest.fixture
def keystore(keystore_for, data_dir):
    """The key store in this test's data folder: the one the CLI and a VaultService() without arguments open."""
    return keystore_for(data_dir)


@pytest.fixture
def vault(keystore, data_dir):
    """A VaultService on the test keyring and this test's data folder, with one symmetric key labelled "test"."""
    from editor.services.vault_service import VaultService
    from editor.vault.audit import AuditLog

    service = VaultService(keystore=keystore, audit=AuditLog(data_dir))
    service.create_key("test")
    return service


@pytest.fixture(scope="session")
def astronaut():
    """Eileen Collins, NASA portrait (public domain, via scikit-image), 512 x 512 RGB; one face of about 90 px."""
    import numpy as np
    from skimage.data import astronaut as load

    return np.ascontiguousarray(load())
