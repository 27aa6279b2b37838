"""`veil unmask IMG --reference REF -o OUT` as a user runs it: a real subprocess on the public-domain pair."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reference_pair import cameraman, masked_pair, psnr            # tests/reference_pair.py

ROOT = Path(__file__).resolve().parents[2]


def veil(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "editor", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=180)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    try:
        pair = masked_pair()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    folder = tmp_path_factory.mktemp("reference")
    paths = {"masked": folder / "masked.png", "reference": folder / "portrait.jpg", "other": folder / "other.png"}
    Image.fromarray(pair.masked).save(paths["masked"])
    Image.fromarray(pair.reference).save(paths["reference"], quality=95)
    Image.fromarray(cameraman()).save(paths["other"])
    return pair, paths


def test_unmask_with_a_reference_writes_a_closer_fill(photos, tmp_path):
    pair, paths = photos
    before = {name: p.read_bytes() for name, p in paths.items()}
    plain, with_ref = tmp_path / "plain.png", tmp_path / "with_ref.png"
    assert veil("unmask", str(paths["masked"]), "-o", str(plain)).returncode == 0
    proc = veil("unmask", str(paths["masked"]), "--reference", str(paths["reference"]), "-o", str(with_ref))
    assert proc.returncode == 0, proc.stderr
    assert "using the reference photo" in proc.stdout
    covered = pair.coverage > 0
    out = np.asarray(Image.open(with_ref).convert("RGB"))
    base = np.asarray(Image.open(plain).convert("RGB"))
    assert psnr(out, pair.truth, covered) > psnr(base, pair.truth, covered) + 1.0
    assert {name: p.read_bytes() for name, p in paths.items()} == before           # inputs never touched


def test_a_reference_of_another_person_is_refused_and_nothing_is_written(photos, tmp_path):
    _, paths = photos
    out = tmp_path / "out.png"
    proc = veil("unmask", str(paths["masked"]), "--reference", str(paths["other"]), "-o", str(out))
    assert proc.returncode == 7
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith("veil unmask: The reference photo other.png shows a different person")
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_a_reference_is_for_one_photo_and_never_overwritten(photos, tmp_path):
    _, paths = photos
    proc = veil("unmask", str(paths["masked"]), str(paths["masked"]), "--reference", str(paths["reference"]),
                "-o", str(tmp_path / "outdir"))
    assert proc.returncode != 0 and "works on one photo" in proc.stderr
    proc = veil("unmask", str(paths["masked"]), "--reference", str(paths["reference"]),
                "-o", str(paths["reference"]))
    assert proc.returncode != 0 and "Refusing to overwrite the reference photo" in proc.stderr
