"""The real faces a converted recognizer is checked on against its original runtime: the public-domain fixtures
(the astronaut, scikit-image's cameraman) and the first photo of CelebA training people (never a validation
person), each as found by Veil's own detector and landmarks."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
FIXTURES = [REPO / "tests" / "fixtures" / "astronaut.png"]
SKIMAGE_FACES = ["camera.png"]              # skimage's cameraman: a second public-domain face
CELEBA = REPO.parent / "shared" / "data" / "celeba"
SPLIT = REPO / "models" / "training" / "split.json"


def read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def check_photos(celeba_photos: int, celeba: Path = CELEBA) -> list[Path]:
    """The fixtures, then one photo each of the first `celeba_photos` CelebA training people (when present)."""
    import skimage

    paths = FIXTURES + [Path(skimage.__file__).parent / "data" / name for name in SKIMAGE_FACES]
    if celeba.is_dir() and celeba_photos:
        held_out = set(json.loads(SPLIT.read_text())["validation_identities"])
        people = sorted(p for p in celeba.iterdir() if p.is_dir() and p.name not in held_out)
        paths += [sorted(p.glob("*.jpg"))[0] for p in people[:celeba_photos]]
    return paths


def first_faces(paths: list[Path]):
    """(RGB, the first face found with its landmarks) for each photo, as the app finds them."""
    from editor.vision.pipeline import default_pipeline

    for path in paths:
        image = read_rgb(path)
        for face in default_pipeline().find_faces(image)[:1]:
            yield image, face
