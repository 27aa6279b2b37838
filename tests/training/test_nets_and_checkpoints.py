"""The nets (shapes, compositing), the checkpoint round trip, and the ONNX export (only where torch is installed)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from models.training.checkpoints import load_checkpoint, save_checkpoint  # noqa: E402
from models.training.losses import hole_weighted_l1, iou, psnr, ssim  # noqa: E402
from models.training.nets import InpainterConfig, MaskSegmenter, MCSAMInpainter, SegmenterConfig  # noqa: E402

torch.set_num_threads(1)      # tiny nets: a second OpenMP thread only adds start-up and contention costs

TINY_INPAINTER = InpainterConfig(widths=(4, 8, 8, 16, 16), bottleneck_blocks=2)
TINY_SEGMENTER = SegmenterConfig(widths=(4, 8, 8, 16, 16))


def _hole(size: int) -> torch.Tensor:
    mask = torch.zeros(2, 1, size, size)
    mask[:, :, size // 2:, size // 4: 3 * size // 4] = 1.0
    return mask


def test_inpainter_returns_the_composite_with_known_pixels_untouched():
    torch.manual_seed(0)
    model = MCSAMInpainter(TINY_INPAINTER).eval()
    image, mask = torch.rand(2, 3, 64, 64), _hole(64)
    with torch.no_grad():
        out = model(image, mask)
        raw = model.predict(image, mask)
    assert out.shape == (2, 3, 64, 64)
    assert torch.equal(out * (1 - mask), image * (1 - mask))
    assert torch.allclose(out * mask, raw * mask)
    assert 0.0 <= out.min() and out.max() <= 1.0


def test_inpainter_ignores_what_lies_under_the_hole():
    model = MCSAMInpainter(TINY_INPAINTER).eval()
    image, mask = torch.rand(1, 3, 64, 64), _hole(64)[:1]
    other = image * (1 - mask) + torch.rand(1, 3, 64, 64) * mask      # different content inside the hole
    with torch.no_grad():
        assert torch.equal(model(image, mask), model(other, mask))


def test_segmenter_gives_full_resolution_logits():
    model = MaskSegmenter(TINY_SEGMENTER).eval()
    with torch.no_grad():
        logits = model(torch.rand(2, 3, 256, 256))
    assert logits.shape == (2, 1, 256, 256)


def test_metrics_against_known_values():
    a = torch.rand(2, 3, 32, 32)
    assert torch.allclose(ssim(a, a), torch.ones(2))
    assert torch.allclose(psnr(a, a - 0.1), torch.full((2,), 20.0), atol=1e-3)   # MSE 0.01 -> 20 dB
    mask = _hole(32)
    assert hole_weighted_l1(a, a, mask).item() == 0.0
    logits = (mask * 2 - 1) * 5
    assert torch.equal(iou(logits, mask), torch.ones(2))
    half = mask.clone()
    half[:, :, 16:24] = 0          # predict only half of the hole -> IoU 0.5
    assert torch.allclose(iou(half * 10 - 5, mask), torch.full((2,), 0.5))


def test_checkpoint_round_trip_restores_step_weights_optimizer_and_rng(tmp_path):
    torch.manual_seed(1)
    model = MaskSegmenter(TINY_SEGMENTER)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.rand(2, 3, 64, 64)).mean().backward()
    optimizer.step()
    save_checkpoint(tmp_path / "last.pt", model, optimizer, 17, {"config": TINY_SEGMENTER.to_dict()})
    expected_draw = torch.rand(3)

    torch.manual_seed(99)
    restored = MaskSegmenter(TINY_SEGMENTER)
    restored_opt = torch.optim.Adam(restored.parameters(), lr=1e-3)
    state = load_checkpoint(tmp_path / "last.pt", restored, restored_opt)
    assert state["step"] == 17 and state["config"] == TINY_SEGMENTER.to_dict()
    for (name, a), b in zip(model.state_dict().items(), restored.state_dict().values()):
        assert torch.equal(a, b), name
    assert restored_opt.state_dict()["state"][0]["step"] == optimizer.state_dict()["state"][0]["step"]
    assert torch.equal(torch.rand(3), expected_draw)       # the RNG continues where the saved run was


def test_onnx_export_matches_torch(tmp_path):
    pytest.importorskip("onnx")
    from models.training.export_onnx import export_inpainter, export_segmenter

    inpainter = MCSAMInpainter(TINY_INPAINTER).eval()
    report = export_inpainter(inpainter, tmp_path / "inpainter.onnx", {}, timing_runs=1)
    assert report["max_abs_diff"] < 1e-4 and len(report["sha256"]) == 64
    report = export_segmenter(MaskSegmenter(TINY_SEGMENTER).eval(), tmp_path / "segmenter.onnx", {},
                              timing_runs=1)
    assert report["max_abs_diff"] < 1e-4
    assert (tmp_path / "segmenter.json").exists()


def test_pair_stream_is_deterministic_and_split_by_identity(library, face):
    from models.training.dataset import FaceCache, PairStream
    from training_helpers import MEAN_FACE

    n = 6
    cache = FaceCache(np.repeat(face[None], n, 0), np.repeat(MEAN_FACE[None], n, 0),
                      np.array([3, 3, 4, 4, 7, 7], np.int32), np.array([f"f{i}" for i in range(n)]))
    train, val = cache.split()                          # split.json holds celeb_3 and celeb_7 out
    assert set(cache.identity[train]).isdisjoint(cache.identity[val])
    a = PairStream(cache, train, library, seed=5, jitter=0.5).batch(0, 4)
    b = PairStream(cache, train, library, seed=5, jitter=0.5).batch(0, 4)
    c = PairStream(cache, train, library, seed=6, jitter=0.5).batch(0, 4)
    assert all(np.array_equal(x.masked, y.masked) and np.array_equal(x.hole, y.hole) for x, y in zip(a, b))
    assert not all(np.array_equal(x.masked, y.masked) for x, y in zip(a, c))
    resumed = PairStream(cache, train, library, seed=5, jitter=0.5).pair(3)   # resuming mid-stream
    assert np.array_equal(resumed.masked, a[3].masked)
