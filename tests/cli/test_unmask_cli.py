"""`veil unmask` as a user runs it: a real subprocess on a masked public-domain photo."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from masked_sample import sample_wearing      # tests/masked_sample.py
from process_helpers import start_until_recorded      # tests/process_helpers.py

ROOT = Path(__file__).resolve().parents[2]


def veil(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "editor", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def last_line(text: str) -> str:
    """stderr's own message (a CUDA-fallback warning may come before it on a machine without a GPU)."""
    return text.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def masked_photo(tmp_path_factory) -> tuple[Path, np.ndarray]:
    """A PNG of the astronaut wearing a KN95 mask, and the mask's coverage."""
    masked, coverage = sample_wearing("KN95")["KN95"]
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


# -- the estimate is said ----------------------------------------------------------------------------------------------
EXIFTOOL = shutil.which("exiftool")
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed (scripts/system_deps.sh)")
@pytest.mark.parametrize("ext", ["jpg", "webp"])
def test_the_output_says_in_xmp_and_in_words_that_the_fill_is_an_estimate(masked_photo, tmp_path, ext):
    photo, _ = masked_photo
    out = tmp_path / f"out.{ext}"
    proc = veil("unmask", str(photo), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "The filled area is an estimate, not the person's real face" in proc.stdout
    tags = subprocess.run([EXIFTOOL, "-XMP-iptcExt:DigitalSourceType", "-s", "-s", "-s", out], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert tags == TRAINED


# -- folders -----------------------------------------------------------------------------------------------------------
def shoot(folder: Path, photo: Path, count: int) -> Path:
    """`count` masked photos (the face shifted a little in each), half of them in a subfolder."""
    masked = np.asarray(Image.open(photo))
    (folder / "day2").mkdir(parents=True)
    for i in range(count):
        Image.fromarray(np.ascontiguousarray(np.roll(masked, 6 * i, axis=1))).save(
            folder / ("day2" if i % 2 else ".") / f"p{i:02d}.png")
    return folder


def test_folders_are_unmasked_with_a_summary_and_a_report(masked_photo, tmp_path):
    photo, _ = masked_photo
    folder = shoot(tmp_path / "shoot", photo, 3)
    out = tmp_path / "out"
    proc = veil("unmask", str(folder), str(photo), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"4 photo(s) in {out}: 4 face mask(s) removed in 4 photo(s)" in proc.stdout
    assert "This run: 4 photo(s) done, 0 already done in an earlier run." in proc.stdout
    assert "The filled area is an estimate" in proc.stdout
    assert f"Report: {out / 'veil-unmask-report.json'}" in proc.stdout
    assert "4/4" in proc.stderr                                            # the progress, one line per photo here
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == [
        "masked.png", "shoot/day2/p01.png", "shoot/p00.png", "shoot/p02.png"]
    again = veil("unmask", str(folder), str(photo), "-o", str(out))
    assert again.returncode == 0 and "This run: 0 photo(s) done, 4 already done in an earlier run." in again.stdout


def test_one_photo_options_are_refused_in_folder_mode_in_one_sentence(masked_photo, tmp_path):
    photo, _ = masked_photo
    out = tmp_path / "out"
    out.mkdir()
    proc = veil("unmask", str(photo), "-o", str(out), "--mask-out", str(tmp_path / "hole.png"))
    assert proc.returncode != 0 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert last_line(proc.stderr) == ("veil unmask: --mask-out names one file, so it works on one photo, not on "
                                      "folders or several photos.")
    assert list(out.iterdir()) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL")
def test_a_killed_run_is_resumed_doing_only_what_is_missing(masked_photo, tmp_path):
    photo, _ = masked_photo
    folder = shoot(tmp_path / "shoot", photo, 12)
    out = tmp_path / "out"
    report = out / "veil-unmask-report.json"
    run = start_until_recorded(["unmask", str(folder), "-o", str(out)], report, timeout=120)
    run.send_signal(signal.SIGKILL)
    run.wait()
    recorded = json.loads(report.read_text())["files"]
    assert 1 <= len(recorded) < 12
    finished = {Path(e["output"]).name: Path(e["output"]).stat().st_mtime_ns for e in recorded.values()}

    proc = veil("unmask", str(folder), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (f"This run: {12 - len(recorded)} photo(s) done, {len(recorded)} already done in an earlier run."
            in proc.stdout)
    assert len(list(out.rglob("p*.png"))) == 12 and not list(out.rglob("*.tmp"))
    for entry in json.loads(report.read_text())["files"].values():
        name = Path(entry["output"]).name
        if name in finished:
            assert Path(entry["output"]).stat().st_mtime_ns == finished[name]     # not written again
