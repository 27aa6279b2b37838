"""Fixtures for the vault tests: a VaultService on the key store of tests/conftest.py, and test photos."""

from __future__ import annotations

from pathlib import Path

import pytest

from editor.services.vault_service import VaultService
from editor.vault.audit import AuditLog

import synthetic_photo      # tests/synthetic_photo.py


def pytest_collection_modifyitems(config, items):
    """`slow` tests (the 10,000-case fuzz) run only when asked for with `-m slow`."""
    if "slow" in (config.getoption("-m") or ""):
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="long run: select it with -m slow")
    for item in items:
        if "slow" in item.keywords and here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture
def service(keystore, data_dir) -> VaultService:
    return VaultService(keystore=keystore, audit=AuditLog(data_dir))


@pytest.fixture(scope="session")
def make_photo():
    """make_photo(height, width, seed, alpha) -> (pixels, alpha or None)."""
    return synthetic_photo.make_photo
