"""Fixtures for the vault tests: a key store over the throw-away keyring of tests/conftest.py, test photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from editor.services.vault_service import VaultService
from editor.vault.audit import AuditLog

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
def keystore(keystore_for, data_dir):
    return keystore_for(data_dir)


@pytest.fixture
def service(keystore, data_dir) -> VaultService:
    return VaultService(keystore=keystore, audit=AuditLog(data_dir))


def _make_photo(height: int = 96, width: int = 128, seed: int = 0, alpha: bool = False):
    """A deterministic photo-like picture: smooth gradients, a few shapes and sensor-like noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([xx / width * 200 + 30, yy / height * 180 + 40, (xx + yy) / (width + height) * 150 + 60], -1)
    cy, cx = height * 0.45, width * 0.5
    face = ((yy - cy) / (height * 0.3)) ** 2 + ((xx - cx) / (width * 0.2)) ** 2 < 1
    base[face] = [220, 170, 140]
    pixels = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    a = None
    if alpha:
        a = np.clip(255 - xx * 0.5 + rng.normal(0, 3, xx.shape), 0, 255).astype(np.uint8)
    return pixels, a


@pytest.fixture(scope="session")
def make_photo():
    """make_photo(height, width, seed, alpha) -> (pixels, alpha or None)."""
    return _make_photo
