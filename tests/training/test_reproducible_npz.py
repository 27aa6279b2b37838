"""A model file written twice from the same arrays has the same sha256, wherever and whenever it is written."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.training.reproducible_npz import save_npz_reproducible

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
# Zip entries hold local time: a process 14 hours ahead writes another time for the same moment, as a write a day
# later would, without the test waiting for the clock.
OTHER_ZONE = {**os.environ, "TZ": "UTC-14", "PYTHONPATH": str(REPO)}
WRITE = """
import sys
import numpy as np
from models.training.reproducible_npz import save_npz_reproducible
with np.load(sys.argv[1]) as source:
    save_npz_reproducible(sys.argv[2], **{name: source[name] for name in source.files})
"""


def bank_like() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {"ids": np.array(["veil-000", "veil-001", "veil-002"]), "jpeg": rng.integers(0, 256, 5000, np.uint8),
            "offsets": np.array([0, 1200, 3100, 5000], np.int64), "descriptors": rng.random((3, 128), np.float32),
            "groups": np.array([0, 0, 1], np.int32)}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_in_other_zone(source: Path, out: Path) -> None:
    subprocess.run([sys.executable, "-c", WRITE, str(source), str(out)], env=OTHER_ZONE, check=True,
                   cwd=REPO, timeout=120)


def test_two_writes_of_the_same_arrays_have_one_sha256_and_read_back_equal(tmp_path):
    arrays = bank_like()
    here = save_npz_reproducible(tmp_path / "here.npz", **arrays)
    write_in_other_zone(here, tmp_path / "there.npz")
    assert sha256(tmp_path / "there.npz") == sha256(here)
    with np.load(here, allow_pickle=False) as back:
        assert back.files == list(arrays)                       # the entries in the order they were given
        for name, array in arrays.items():
            assert back[name].dtype == array.dtype and np.array_equal(back[name], array), name


def test_the_shipped_bank_rewritten_from_its_arrays_has_the_manifests_sha256(tmp_path):
    """What the recipe's report relies on: a bank rebuilt with the same arrays is the shipped file, byte for byte."""
    row = json.loads((MODELS / "manifest.json").read_text())["models"]["identities"]
    with np.load(MODELS / row["file"], allow_pickle=False) as shipped:
        arrays = {name: shipped[name] for name in shipped.files}
    assert sha256(save_npz_reproducible(tmp_path / "identities.npz", **arrays)) == row["sha256"]


def test_other_arrays_give_another_file_and_a_failed_write_keeps_the_old_one(tmp_path):
    arrays = bank_like()
    path = save_npz_reproducible(tmp_path / "bank.npz", **arrays)
    before = sha256(path)
    changed = {**arrays, "groups": np.array([0, 1, 1], np.int32)}
    assert sha256(save_npz_reproducible(tmp_path / "changed.npz", **changed)) != before
    with pytest.raises(ValueError):
        save_npz_reproducible(path, **arrays, notes=np.array([{"a": 1}], object))   # needs pickle: refused
    assert sha256(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank.npz", "changed.npz"]     # no temp file left
