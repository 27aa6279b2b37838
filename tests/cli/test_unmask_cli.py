"""`veil unmask` as a user runs it: a real subprocess on a masked public-domain photo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT.parent / "shared" / "data" / "mask-templates"


def veil(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "editor", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def last_line(text: str) -> str:
    """stderr's own message (a CUDA-fallback warning may come before it on a machine without a GPU)."""
    return text.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def masked_photo(tmp_path_factory) -> tuple[Path, np.ndarray]:
    """A PNG of the astronaut wearing a KN95 mask, and the mask's coverage."""
    if not (TEMPLATES / "masks.cfg").exists():
        pytest.skip("mask templates (../shared/data/mask-templates) not present")
    from editor.services.faces import detect_faces
    from editor.vision.synthetic_mask import load_templates, wear_mask

    sample = np.asarray(Image.open(ROOT / "resources" / "sample.jpg").convert("RGB"))
    template = next(t for t in load_templates(TEMPLATES) if t.name == "KN95")
    masked, coverage = wear_mask(sample, detect_faces(sample)[0].landmarks68, template)
    path = tmp_path_factory.mktemp("unmask") / "masked.png"
    Image.fromarray(masked).save(path)
    return path, coverage


def test_unmask_writes_the_filled_photo_and_the_mask(masked_photo, tmp_path):
    photo, coverage = masked_photo
    before = photo.read_bytes()
    out, mask_out = tmp_path / "out.png", tmp_path / "hole.png"
    proc = veil("unmask", str(photo), "-o", str(out), "--mask-out", str(mask_out))
    assert proc.returncode == 0, proc.stderr
    assert "Removed 1 face mask" in proc.stdout and "mask of" in proc.stdout
    assert photo.read_bytes() == before                                  # the input is never touched
    masked = np.asarray(Image.open(photo))
    result = np.asarray(Image.open(out))
    hole = np.asarray(Image.open(mask_out).convert("L"))
    assert (hole[coverage > 0] == 255).mean() > 0.97
    changed = np.any(result != masked, axis=2)
    assert changed[coverage > 0].mean() > 0.9 and not changed[hole == 0].any()


def test_unmask_refuses_to_overwrite_the_input_without_force(masked_photo):
    photo, _ = masked_photo
    before = photo.read_bytes()
    proc = veil("unmask", str(photo), "-o", str(photo))
    assert proc.returncode != 0 and proc.stdout == ""
    assert last_line(proc.stderr) == ("veil unmask: Refusing to overwrite the input photo masked.png; choose another "
                                      "output path or add --force.")
    assert photo.read_bytes() == before


def test_no_face_and_bad_input_are_one_sentence_and_write_nothing(tmp_path):
    sky = tmp_path / "sky.png"
    Image.fromarray(np.full((200, 300, 3), 140, np.uint8)).save(sky)
    out = tmp_path / "out.png"
    proc = veil("unmask", str(sky), "-o", str(out))
    assert proc.returncode == 5 and not out.exists()
    assert last_line(proc.stderr) == \
        "veil unmask: No face was found in this photo, so there is no face mask to remove."
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a photo")
    proc = veil("unmask", str(bad), "-o", str(out))
    assert proc.returncode == 3 and not out.exists()
    assert "notes.jpg" in last_line(proc.stderr) and "Traceback" not in proc.stderr
