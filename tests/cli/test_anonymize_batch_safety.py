"""`veil anonymize` as a hostile tester runs it: camera metadata on photos with and without a face, output folders
that overlap the inputs, resumed runs that must still report earlier failures, and a parent killed with SIGKILL."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from editor.anonymize.engine import AnonymizeOptions
from editor.anonymize.verify import VerificationLimits
from editor.cli import anonymize_commands
from editor.core import image_io
from editor.core.errors import VeilError
from editor.services.anonymize_batch import REPORT_NAME, anonymize_paths

from camera_photo import leaks, write_camera_jpeg      # tests/camera_photo.py
from process_helpers import children_by_parent, start_until_recorded, still_alive_after      # tests/process_helpers.py

ROOT = Path(__file__).resolve().parents[2]


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="veil")
    anonymize_commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.handler(args)


def _no_face(astronaut: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(astronaut[:, 330:])       # the flag and the suit, right of her face


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- 1. every output goes through the privacy profile ----------------------------------------------------------------
def test_camera_metadata_never_leaks_with_or_without_a_face(vault, tmp_path, astronaut, capsys):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    write_camera_jpeg(shoot / "portrait.jpg", astronaut)
    write_camera_jpeg(shoot / "flag.jpg", _no_face(astronaut))
    assert len(leaks(shoot / "flag.jpg")) == 11           # the input holds every marker
    out = tmp_path / "out"
    assert _run(["anonymize", str(shoot), "-o", str(out), "--key", "test"]) == 0
    printed = capsys.readouterr().out

    for name in ("portrait.jpg", "flag.jpg"):
        assert leaks(out / "shoot" / name) == [], name
    with Image.open(out / "shoot" / "flag.jpg") as im:
        assert im.getexif().get(0x010F) == "Veilcam"       # the privacy profile keeps make and model
    report = json.loads((out / REPORT_NAME).read_text())
    entry = report["files"][str(shoot / "flag.jpg")]
    assert entry["status"] == "no-face" and "no face" in entry["message"]
    assert report["summary"]["no_face"] == 1
    assert "1 with no face found" in printed and f"{shoot / 'flag.jpg'}: no-face" in printed
    flag_in = image_io.load_image(shoot / "flag.jpg").pixels.astype(int)
    flag_out = image_io.load_image(out / "shoot" / "flag.jpg").pixels.astype(int)
    assert np.abs(flag_in - flag_out).mean() < 2.0        # the same picture, re-encoded


# -- 2. outputs never overwrite, and are never read as, inputs ---------------------------------------------------------
@pytest.mark.parametrize("where", ["same", "dot", "inside", "contains"])
def test_output_folder_overlapping_an_input_is_refused(vault, tmp_path, astronaut, monkeypatch, where):
    photos = tmp_path / "photos"
    (photos / "day2").mkdir(parents=True)
    image_io.save_image(photos / "a.jpg", astronaut)
    image_io.save_image(photos / "day2" / "b.png", astronaut)
    before = _snapshot(tmp_path)
    monkeypatch.chdir(photos)
    inputs, output = {"same": (str(photos), str(photos)), "dot": (".", "."),
                      "inside": (str(photos), str(photos / "day2" / "anon")),
                      "contains": (str(photos / "day2"), str(photos))}[where]
    with pytest.raises(VeilError, match="output folder .* (is|is inside|contains) the input"):
        _run(["anonymize", inputs, "-o", output, "--key", "test"])
    assert _snapshot(tmp_path) == before                  # nothing written, nothing nested


def test_a_photo_given_inside_the_output_folder_is_refused(vault, tmp_path, astronaut):
    image_io.save_image(tmp_path / "a.png", astronaut)
    before = (tmp_path / "a.png").read_bytes()
    with pytest.raises(VeilError, match="contains the input"):
        anonymize_paths([tmp_path / "a.png"], tmp_path, "test", vault=vault)
    assert (tmp_path / "a.png").read_bytes() == before


def test_a_link_in_the_output_folder_to_an_original_is_refused(vault, tmp_path, astronaut):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    image_io.save_image(photos / "a.png", astronaut)
    (out / "photos").mkdir(parents=True)
    (out / "photos" / "a.png").symlink_to(photos / "a.png")
    before = (photos / "a.png").read_bytes()
    with pytest.raises(VeilError, match="leads to the input"):
        anonymize_paths([photos], out, "test", vault=vault)
    assert (photos / "a.png").read_bytes() == before


def _veil(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "editor", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_seal_and_inpaint_refuse_to_write_over_their_mask(vault, tmp_path, astronaut):
    photo, mask = tmp_path / "photo.png", tmp_path / "mask.png"
    image_io.save_image(photo, astronaut)
    hole = np.zeros_like(astronaut)
    hole[100:160, 180:240] = 255
    image_io.save_image(mask, hole)
    before = mask.read_bytes()
    for argv in (["seal", str(photo), "--mask", str(mask), "--key", "test", "-o", str(mask)],
                 ["inpaint", str(photo), "--mask", str(mask), "-o", str(mask), "--engine", "telea"]):
        proc = _veil(*argv)
        assert proc.returncode != 0 and "Refusing to overwrite mask.png" in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
        assert mask.read_bytes() == before
    proc = _veil("seal", str(photo), "--mask", str(mask), "--key", "test", "-o", str(tmp_path / "out.png"))
    assert proc.returncode == 0, proc.stderr                # the same command with another output works


# -- 3. a resumed batch reports the whole output folder ---------------------------------------------------------------
def test_a_resume_that_skips_everything_still_reports_earlier_failures(vault, tmp_path, astronaut, capsys):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    image_io.save_image(photos / "face.png", astronaut)
    image_io.save_image(photos / "flag.png", _no_face(astronaut))
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    strict = AnonymizeOptions(limits=VerificationLimits(margin=2.0), max_tries=1)
    first = anonymize_paths([photos], out, "test", seed=4, options=strict, vault=vault)
    assert first.summary()["failed_verification"] == 1 and first.summary()["errors"] == 1

    assert _run(["anonymize", str(photos), "-o", str(out), "--key", "test", "--seed", "4"]) == 2
    printed = capsys.readouterr().out
    assert "3 photo(s) in" in printed and "1 flagged for review (1 failed verification)" in printed
    assert "1 with no face found, 1 error(s)" in printed
    assert "This run: 1 photo(s) done, 2 already done in an earlier run." in printed   # the broken one is retried
    assert f"{photos / 'face.png'}: flagged" in printed and f"{photos / 'broken.jpg'}: error" in printed
    report = json.loads((out / REPORT_NAME).read_text())
    assert report["summary"]["failed_verification"] == 1 and len(report["files"]) == 3


def test_an_output_changed_since_it_was_recorded_is_done_again(vault, tmp_path, astronaut):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    image_io.save_image(photos / "face.png", astronaut)
    anonymize_paths([photos], out, "test", vault=vault)
    written = out / "photos" / "face.png"
    image_io.save_image(written, astronaut)               # someone put the original face back
    again = anonymize_paths([photos], out, "test", vault=vault)
    assert [Path(f.source).name for f in again.files] == ["face.png"]
    assert vault.inspect(written).regions[0].kind == "face"
    assert not np.array_equal(image_io.load_image(written).pixels, astronaut)


def test_another_key_or_seed_into_the_same_folder_is_refused(vault, tmp_path, astronaut):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    image_io.save_image(photos / "flag.png", _no_face(astronaut))
    anonymize_paths([photos], out, "test", seed=1, vault=vault)
    with pytest.raises(VeilError, match="another key, seed or strength"):
        anonymize_paths([photos], out, "test", seed=2, vault=vault)


# -- 4. workers die with a killed parent; a resume redoes what no report lists ----------------------------------------
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_the_parent_ends_its_workers_and_a_resume_completes(vault, tmp_path, astronaut):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    for i in range(8):
        image_io.save_image(photos / f"p{i}.png", np.ascontiguousarray(np.roll(astronaut, 8 * i, axis=1)))
    report = out / REPORT_NAME
    parent = start_until_recorded(["anonymize", str(photos), "-o", str(out), "--key", "test", "--jobs", "2"],
                                  report, timeout=240)
    assert report.exists(), "no photo was finished in time"
    children = children_by_parent()
    family = set(children.get(parent.pid, ()))
    family |= {g for c in family for g in children.get(c, ())}
    assert len(family) >= 2                               # two workers (and the resource tracker)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert not still_alive_after(family, 5), "workers outlived their parent"

    recorded = json.loads(report.read_text())["files"]
    assert len(recorded) < 8
    batch = anonymize_paths([photos], out, "test", vault=vault)
    assert batch.summary()["files"] == 8 and batch.summary()["anonymized"] == 8
    assert len(batch.files) == 8 - len(recorded)          # everything not in the report was done again
    for i in range(8):
        assert vault.inspect(out / "photos" / f"p{i}.png").regions
    assert not list(out.rglob("*.tmp"))
