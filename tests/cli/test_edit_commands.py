"""`veil detect` and `veil inpaint` end to end, as a user runs them (a real subprocess, real files)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
ASTRONAUT = ROOT / "tests" / "fixtures" / "astronaut.png"


def veil(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "editor", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


def test_help_for_each_command():
    top = veil("--help")
    assert top.returncode == 0
    for cmd in ("detect", "inpaint"):
        assert cmd in top.stdout
        sub = veil(cmd, "--help")
        assert sub.returncode == 0 and f"veil {cmd}" in sub.stdout


def test_detect_json_finds_the_astronaut():
    proc = veil("detect", str(ASTRONAUT), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["width"], report["height"]) == (512, 512)
    assert len(report["faces"]) == 1
    x, y, w, h = report["faces"][0]["box"]
    # The face is in the upper middle of the photo, around (170..250, 60..170).
    assert 150 < x + w / 2 < 260 and 60 < y + h / 2 < 160
    assert len(report["faces"][0]["landmarks68"]) == 68


def test_detect_text_output_and_no_face(tmp_path):
    proc = veil("detect", str(ASTRONAUT))
    assert proc.returncode == 0 and "1 face(s)" in proc.stdout
    blank = tmp_path / "sky.png"
    Image.fromarray(np.full((200, 300, 3), 120, np.uint8)).save(blank)
    proc = veil("detect", str(blank))
    assert proc.returncode == 0 and "No faces found" in proc.stdout


def test_detect_bad_input_is_one_sentence_on_stderr(tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("this is not a photo")
    proc = veil("detect", str(bad))
    assert proc.returncode != 0
    assert proc.stdout == ""
    err = proc.stderr.strip()
    assert "notes.jpg" in err and err.count("\n") == 0 and "Traceback" not in err


def test_inpaint_fills_only_the_mask_and_keeps_the_input(tmp_path):
    src = tmp_path / "photo.png"
    Image.open(ASTRONAUT).convert("RGB").save(src)
    before = src.read_bytes()
    mask = np.zeros((512, 512), np.uint8)
    mask[300:340, 380:430] = 255
    mask_path = tmp_path / "mask.png"
    Image.fromarray(mask).save(mask_path)
    out = tmp_path / "out.png"
    proc = veil("inpaint", str(src), "--mask", str(mask_path), "-o", str(out), "--engine", "telea")
    assert proc.returncode == 0, proc.stderr
    assert src.read_bytes() == before
    a = np.asarray(Image.open(src).convert("RGB")).astype(int)
    b = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert np.array_equal(a[mask == 0], b[mask == 0])
    assert np.abs(a[mask > 0] - b[mask > 0]).mean() > 1.0   # the hole really changed


def test_inpaint_refuses_to_overwrite_input_and_bad_mask(tmp_path):
    src = tmp_path / "photo.png"
    Image.open(ASTRONAUT).convert("RGB").save(src)
    before = src.read_bytes()
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(small)
    proc = veil("inpaint", str(src), "--mask", str(small), "-o", str(src))
    assert proc.returncode != 0 and "overwrite" in proc.stderr
    proc = veil("inpaint", str(src), "--mask", str(small), "-o", str(tmp_path / "o.png"))
    assert proc.returncode != 0 and "same size" in proc.stderr
    assert not (tmp_path / "o.png").exists()
    empty = tmp_path / "empty.png"
    Image.fromarray(np.zeros((512, 512), np.uint8)).save(empty)
    proc = veil("inpaint", str(src), "--mask", str(empty), "-o", str(tmp_path / "o.png"))
    assert proc.returncode != 0 and "mask" in proc.stderr.lower()
    assert src.read_bytes() == before


def test_a_command_line_argparse_cannot_parse_gets_one_sentence():
    for argv, missing in ((["detect"], "image"), (["inpaint", str(ASTRONAUT)], "--mask"), (["keys"], "ACTION")):
        proc = veil(*argv)
        assert proc.returncode == 2 and missing in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "usage:" not in proc.stderr
