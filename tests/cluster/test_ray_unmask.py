"""`veil unmask --ray` on folders: the same outputs, report and summary as the local run, on a real two-node Ray
cluster; one photo with --ray is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from editor.services.unmask_batch import REPORT_NAME

from cluster_helpers import ROOT
from masked_sample import sample_wearing      # tests/masked_sample.py


@pytest.fixture
def shoot(tmp_path) -> Path:
    """The sample portrait wearing a KN95 template (JPEG) and a surgical one (PNG, in a subfolder), and a photo
    without a face."""
    masked = sample_wearing("KN95", "surgical_blue")
    folder = tmp_path / "shoot"
    (folder / "day2").mkdir(parents=True)
    Image.fromarray(masked["KN95"][0]).save(folder / "masked.jpg", quality=92)
    Image.fromarray(masked["surgical_blue"][0]).save(folder / "day2" / "m.png")
    Image.fromarray(np.full((90, 120, 3), (90, 140, 210), np.uint8)).save(folder / "sky.png")
    return folder


def _veil(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "editor", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=400)


def _entries(out: Path) -> dict:
    files = json.loads((out / REPORT_NAME).read_text())["files"]
    return {src: {k: v for k, v in e.items() if k != "output"} for src, e in files.items()}


def test_a_folder_unmasked_on_ray_equals_the_local_run(ray_cluster, shoot, tmp_path):
    local = _veil("unmask", str(shoot), "-o", str(tmp_path / "local"))
    on_ray = _veil("unmask", str(shoot), "-o", str(tmp_path / "ray"), "--ray", ray_cluster.address)
    assert local.returncode == on_ray.returncode == 0, on_ray.stderr
    summary = [line.replace(str(tmp_path / "ray"), "OUT") for line in on_ray.stdout.splitlines()[:2]]
    assert summary == [line.replace(str(tmp_path / "local"), "OUT") for line in local.stdout.splitlines()[:2]]
    assert "2 face mask(s) removed in 2 photo(s)" in summary[0]
    # Nothing random in an unmask: the same bytes, so the same hashes in the report.
    assert _entries(tmp_path / "ray") == _entries(tmp_path / "local")
    for name in ("shoot/masked.jpg", "shoot/day2/m.png", "shoot/sky.png"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert "3/3" in on_ray.stderr and "photos/s" in on_ray.stderr


def test_one_photo_with_ray_is_refused(shoot, tmp_path):
    proc = _veil("unmask", str(shoot / "masked.jpg"), "-o", str(tmp_path / "out.jpg"), "--ray")
    assert proc.returncode != 0 and proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1].startswith("veil unmask: --ray runs folders and several photos")
    assert not (tmp_path / "out.jpg").exists()
