"""Fixtures for the anonymization tests: the face of the public-domain astronaut photo and the engine. The photo
itself and a vault over the test run's throw-away GNOME Keyring come from tests/conftest.py (the CLI tests use them
too)."""

from __future__ import annotations

import pytest

from editor.anonymize.engine import AnonymizeEngine
from editor.vision.pipeline import default_pipeline


@pytest.fixture(scope="session")
def astronaut_face(astronaut):
    faces = default_pipeline().find_faces(astronaut)
    assert len(faces) == 1 and faces[0].landmarks68 is not None
    return faces[0]


@pytest.fixture(scope="session")
def engine() -> AnonymizeEngine:
    return AnonymizeEngine()
