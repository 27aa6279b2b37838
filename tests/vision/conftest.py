"""Fixtures for the vision tests (helpers live in vision_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from editor.vision.pipeline import FacePipeline
from vision_helpers import ASTRONAUT, ASTRONAUT_FACE, SHARED_DATA, load_rgb


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return load_rgb(ASTRONAUT)


@pytest.fixture(scope="session")
def face_crop(astronaut: np.ndarray) -> np.ndarray:
    """The astronaut's head with a 30 px margin (150 x 173 px; the face box is ~60% of its width)."""
    x, y, w, h = (int(v) for v in ASTRONAUT_FACE)
    return astronaut[y - 30 : y + h + 30, x - 30 : x + w + 30].copy()


@pytest.fixture(scope="session")
def pipeline() -> FacePipeline:
    return FacePipeline()


@pytest.fixture(scope="session")
def astronaut_face(pipeline: FacePipeline, astronaut: np.ndarray):
    faces = pipeline.find_faces(astronaut)
    assert len(faces) == 1
    return faces[0]


@pytest.fixture(scope="session")
def mask_templates_dir() -> Path:
    folder = SHARED_DATA / "mask-templates"
    if not (folder / "masks.cfg").is_file():
        pytest.skip(f"mask templates not found at {folder} (CI keeps the shared data folder beside the repository)")
    return folder
