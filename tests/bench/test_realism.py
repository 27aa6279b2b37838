"""The realism measure (bench/realism.py) on a tiny public-domain setup: it must tell a lightly blurred face from
a sharp one, and must not tell apart two sets of faces drawn from the same distribution.

"Photos" are the NASA portrait of Eileen Collins (public domain, shipped with scikit-image), each moved, scaled,
turned, relit and given its own sensor grain, so no two crops are alike; the face is found once by Veil's
pipeline and its landmarks follow each photo's transform. Crops, blur and export go through the same functions as
the CelebA benchmark.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

from realism import evaluate  # noqa: E402
from realism_crops import VARIANTS, crop  # noqa: E402
from realism_features import face_features  # noqa: E402

from editor.core.faces import Face  # noqa: E402
from editor.vision.pipeline import default_pipeline  # noqa: E402

PEOPLE, PHOTOS = 10, 10         # "identities" (for the identity-grouped cross-validation) x photos each


@pytest.fixture(scope="module")
def portrait() -> tuple[np.ndarray, Face]:
    from skimage.data import astronaut
    rgb = np.ascontiguousarray(astronaut())
    faces = [f for f in default_pipeline().find_faces(rgb) if f.landmarks68 is not None]
    assert faces, "the pipeline must find the astronaut's face"
    return rgb, faces[0]


def photo(rgb: np.ndarray, face: Face, rng: np.random.Generator) -> tuple[np.ndarray, Face]:
    """The portrait under a random similarity transform, exposure and grain, with its face moved alike."""
    h, w = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2 + rng.uniform(-20, 20), h / 2 + rng.uniform(-20, 20)),
                                     rng.uniform(-6, 6), rng.uniform(0.85, 1.15))
    moved = cv2.warpAffine(rgb, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101)
    lit = moved.astype(np.float32) * rng.uniform(0.85, 1.15) + rng.uniform(-12, 12)
    grainy = lit + rng.normal(0.0, rng.uniform(1.0, 4.0), lit.shape)
    out = np.clip(np.rint(grainy), 0, 255).astype(np.uint8)

    def move(points: np.ndarray) -> np.ndarray:
        return (points @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)
    return out, Face(face.box, face.score, move(face.landmarks5), move(face.landmarks68))


def faces_of(portrait, variant: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Features and person label of PEOPLE x PHOTOS crops, each from its own random photo."""
    rgb, face = portrait
    rng = np.random.default_rng(seed)
    feats, people = [], []
    for person in range(PEOPLE):
        for _ in range(PHOTOS):
            image, moved = photo(rgb, face, rng)
            feats.append(face_features(crop(VARIANTS[variant](image, moved), moved)))
            people.append(f"p{person}")
    return np.stack(feats), np.array(people)


def split(data: tuple[np.ndarray, np.ndarray]):
    """People 0-5 for training, 6-9 for validation: scored on people it was not fitted on, as on CelebA."""
    feats, people = data
    train = np.isin(people, [f"p{k}" for k in range(6)])
    return (feats[train], people[train]), (feats[~train], people[~train])


@pytest.fixture(scope="module")
def sharp(portrait):
    return split(faces_of(portrait, "real", seed=1))


def test_a_light_blur_in_the_face_is_seen(portrait, sharp):
    blurred = split(faces_of(portrait, "light_blur", seed=2))
    result = evaluate(sharp[0], blurred[0], sharp[1], blurred[1])
    assert result["val_accuracy"] >= 0.9, result
    assert result["val_auc"] >= 0.95, result
    assert result["train_accuracy"] >= 0.95, result


def test_two_sets_of_the_same_kind_of_photo_are_not_told_apart(portrait, sharp):
    other = split(faces_of(portrait, "real", seed=3))
    result = evaluate(sharp[0], other[0], sharp[1], other[1])
    assert 0.3 <= result["val_accuracy"] <= 0.7, result
    assert 0.3 <= result["val_auc"] <= 0.7, result
