"""Fixtures shared by every test area: headless Qt by default, repository paths and a sample photo."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Before anything imports Qt: tests never need a display (set QT_QPA_PLATFORM=xcb to watch them).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PHOTO = REPO_ROOT / "resources" / "sample.jpg"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def sample_photo(tmp_path: Path) -> Path:
    """A private copy of resources/sample.jpg (512 x 512 RGB, one face) that a test may overwrite."""
    target = tmp_path / "sample.jpg"
    shutil.copyfile(SAMPLE_PHOTO, target)
    return target
