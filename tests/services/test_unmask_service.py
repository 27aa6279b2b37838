"""Remove face masks on a real masked face (the public-domain astronaut wearing an MIT mask template)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from editor.core.document import Document
from editor.core.errors import Cancelled
from editor.core.geometry import Rect, bounding_rect
from editor.core.progress import JobContext
from editor.services.faces import detect_faces
from editor.services.unmask_service import (UNDO_LABEL, NoFaceError, NoFaceMaskError, _realigned,
                                            find_and_fill_masks, remove_face_masks)
from editor.vision.face_alignment import align_face
from editor.vision.synthetic_mask import load_templates, wear_mask

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO.parent / "shared" / "data" / "mask-templates"


@pytest.fixture(scope="module")
def sample() -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(REPO / "resources" / "sample.jpg")), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def masked(sample) -> tuple[np.ndarray, np.ndarray]:
    """(the astronaut wearing a blue surgical mask, the mask's coverage)."""
    if not (TEMPLATES / "masks.cfg").exists():
        pytest.skip("mask templates (../shared/data/mask-templates) not present")
    template = next(t for t in load_templates(TEMPLATES) if t.name == "surgical_blue")
    return wear_mask(sample, detect_faces(sample)[0].landmarks68, template)


def error(image: np.ndarray, truth: np.ndarray, where: np.ndarray) -> float:
    return float(np.abs(image.astype(int) - truth.astype(int))[where].mean())


def test_masks_are_found_filled_and_undone_in_one_step(sample, masked):
    image, coverage = masked
    doc = Document(image.copy())
    result = remove_face_masks(doc)
    covered = coverage > 0

    (outcome,) = result.outcomes
    assert outcome.mask_found and result.masks_removed == 1
    assert covered.sum() <= outcome.mask_area < 1.6 * covered.sum()      # measured 1.15x: grown, no fabric left
    hole = result.hole_mask(image.shape)
    assert (hole[covered] == 255).mean() > 0.97                          # the whole mask is replaced
    changed = np.any(doc.image != image, axis=2)
    assert not changed[hole == 0].any()                                  # pixels outside the hole stay exact
    near_face = outcome.face.rect.pad(60)                                # only the face's surroundings change
    assert bounding_rect(changed).intersect(near_face) == bounding_rect(changed)
    assert error(doc.image, sample, covered) < 0.6 * error(image, sample, covered)   # measured 67 -> 27

    assert doc.history.depth == 1 and doc.history.undo_label == UNDO_LABEL
    assert doc.undo() == UNDO_LABEL
    np.testing.assert_array_equal(doc.image, image)
    doc.redo()
    assert np.any(doc.image != image)


def test_face_model_beats_the_classical_engine_on_the_mask(sample, masked):
    image, coverage = masked
    covered = coverage > 0
    faces = detect_faces(image)
    errors = {}
    for engine in ("face-model", "telea"):
        result = find_and_fill_masks(image, faces, engine=engine)
        out = image.copy()
        out[result.rect.slices] = result.pixels
        errors[engine] = error(out, sample, covered)
    assert errors["face-model"] < errors["telea"] * 1.05                 # measured 27 vs 31


def test_a_photo_without_a_face_is_refused_and_left_unchanged():
    yy, xx = np.mgrid[0:200, 0:300]
    image = np.stack([xx % 256, yy, (xx + yy) % 256], axis=2).astype(np.uint8)
    doc = Document(image.copy())
    with pytest.raises(NoFaceError) as err:
        remove_face_masks(doc)
    assert str(err.value) == "No face was found in this photo, so there is no face mask to remove."
    np.testing.assert_array_equal(doc.image, image)
    assert doc.history.depth == 0


def test_a_face_without_a_mask_is_refused_and_left_unchanged(sample):
    doc = Document(sample.copy())
    with pytest.raises(NoFaceMaskError) as err:
        remove_face_masks(doc)
    assert str(err.value) == "The face in this photo wears no face mask that Veil can find."
    np.testing.assert_array_equal(doc.image, sample)
    assert doc.history.depth == 0


def test_only_included_faces_are_unmasked(masked):
    doc = Document(masked[0].copy())
    doc.set_faces(detect_faces(doc.image))
    doc.set_face_included(0, False)
    with pytest.raises(NoFaceError, match="Every face is excluded"):
        remove_face_masks(doc)
    assert doc.history.depth == 0


def test_progress_reaches_the_end_and_a_cancel_leaves_the_photo_unchanged(masked):
    image = masked[0]
    seen: list[float] = []
    find_and_fill_masks(image, ctx=JobContext(on_progress=lambda f, _t: seen.append(f)))
    assert seen[-1] == 1.0 and seen == sorted(seen)
    doc = Document(image.copy())
    ctx = JobContext(on_progress=lambda f, _t: ctx.cancel() if f > 0.5 else None)
    with pytest.raises(Cancelled):
        remove_face_masks(doc, ctx)
    np.testing.assert_array_equal(doc.image, image)
    assert doc.history.depth == 0


# A mask bigger than the face's aligned square (a respirator whose filters reach past the cheeks) is removed whole:
# the segmenter looks again with more of the surroundings, FSR fills what lies beyond the square, and no fabric is
# left beside a straight edge.
@pytest.fixture(scope="module")
def big_respirator(sample):
    """(the astronaut in a respirator drawn 1.5x the usual size about the nose tip, its coverage)."""
    if not (TEMPLATES / "masks.cfg").exists():
        pytest.skip("mask templates (../shared/data/mask-templates) not present")
    template = next(t for t in load_templates(TEMPLATES) if t.name == "gas")
    points = detect_faces(sample)[0].landmarks68.astype(np.float64)
    return wear_mask(sample, points[30] + 1.5 * (points - points[30]), template)


def test_a_mask_reaching_past_the_face_square_is_removed_whole(sample, big_respirator):
    image, coverage = big_respirator
    face = detect_faces(image)[0]
    whole = Rect(0, 0, image.shape[1], image.shape[0])
    square = align_face(image, face).to_image(np.ones((256, 256), np.float32), whole) > 0.5
    covered = coverage > 0
    beyond = covered & ~square
    assert beyond.sum() > 0.1 * covered.sum(), "the respirator reaches well past the face's square"

    result = find_and_fill_masks(image, [face])
    hole = result.hole_mask(image.shape)
    assert (hole[covered] > 0).mean() > 0.99                     # measured 0.999; the square alone: 0.81
    out = result.filled(image)
    error = lambda img: float(np.abs(img.astype(int) - sample.astype(int))[beyond].mean())
    assert error(out) < 0.5 * error(image)                       # measured 29 against 95 (the square alone: 95)
    changed = np.any(out != image, axis=2)
    assert not changed[hole == 0].any()                          # pixels outside the hole stay exact


def test_the_second_pass_aligns_the_face_on_better_landmarks(sample):
    """Under a mask dlib guesses the nose and mouth; on the first fill it finds them closer to where they are, and
    the second pass aligns the face on those (measured on the astronaut in the seven templates: mean lower-face
    error 0.19 -> 0.14 eye distances)."""
    if not (TEMPLATES / "masks.cfg").exists():
        pytest.skip("mask templates (../shared/data/mask-templates) not present")
    truth = detect_faces(sample)[0].landmarks68
    lower = list(range(31, 36)) + list(range(48, 68))
    eyes = np.linalg.norm(truth[36:42].mean(0) - truth[42:48].mean(0))
    off = lambda points: float(np.linalg.norm(points[lower] - truth[lower], axis=1).mean() / eyes)
    masked_errors, refined_errors = [], []
    for template in load_templates(TEMPLATES):
        image, _ = wear_mask(sample, truth, template)
        face = detect_faces(image)[0]
        result = find_and_fill_masks(image, [face])
        (hole,) = _realigned(result.filled(image), list(result.holes))
        masked_errors.append(off(face.landmarks68))
        refined_errors.append(off(hole.face.landmarks68))
    assert np.mean(refined_errors) < 0.85 * np.mean(masked_errors)


def test_a_masked_face_the_detector_is_unsure_of_is_still_unmasked():
    """A mask hides what the detector's confidence leans on: this validation photo's face scores 0.34 in its mask,
    below the detector's 0.6, so it is found by the second, lower search (MASKED_MIN_SCORE)."""
    celeba = REPO.parent / "shared" / "data" / "celeba"
    if not (TEMPLATES / "masks.cfg").exists() or not celeba.is_dir():
        pytest.skip("training data (../shared/data: celeba, mask-templates) not present")
    from editor.vision.pipeline import default_pipeline
    from models.training.synth_masks import MaskLibrary, synthesize

    photo = cv2.cvtColor(cv2.imread(str(celeba / "celeb_13" / "053603.jpg")), cv2.COLOR_BGR2RGB)
    truth = default_pipeline().find_faces(photo)[0].landmarks68
    made = synthesize(photo, truth, MaskLibrary(TEMPLATES), np.random.default_rng([2024, 44]), kind="N95")
    assert not default_pipeline().find_faces(made.masked)           # the usual search finds no face
    result = find_and_fill_masks(made.masked)
    assert result.masks_removed == 1
    covered = made.alpha > 0.5
    assert error(result.filled(made.masked), photo, covered) < 0.5 * error(made.masked, photo, covered)
