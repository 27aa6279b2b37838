"""Shared fixtures for the training tests: the mean aligned face, the mask templates (when present)."""

from pathlib import Path

import numpy as np
import pytest

from models.training.synth_masks import MaskLibrary

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "mask-templates"

@pytest.fixture(scope="session")
def library() -> MaskLibrary:
    if not (DATA / "masks.cfg").exists():
        pytest.skip("mask templates (../shared/data/mask-templates) not present")
    return MaskLibrary(DATA)


@pytest.fixture(scope="session")
def face() -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
