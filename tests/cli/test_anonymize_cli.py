"""`veil anonymize` over files and folders: tree kept, report, resume, exit status, parallel jobs."""

from __future__ import annotations

import argparse
import json
import shutil

import numpy as np
import pytest

from editor.anonymize.engine import AnonymizeOptions
from editor.anonymize.verify import VerificationLimits
from editor.cli import anonymize_commands
from editor.core import image_io
from editor.services.anonymize_batch import REPORT_NAME, anonymize_paths
from editor.vault.errors import KeyNotFoundError


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="veil")
    anonymize_commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.handler(args)


def _tree(tmp_path, astronaut):
    root = tmp_path / "shoot"
    (root / "day2").mkdir(parents=True)
    image_io.save_image(root / "portrait.png", astronaut)
    image_io.save_image(root / "day2" / "sky.jpg", np.ascontiguousarray(astronaut[:60, 300:]))
    return root


def test_folder_tree_report_and_resume(vault, tmp_path, astronaut, capsys):
    root = _tree(tmp_path, astronaut)
    out = tmp_path / "out"
    assert _run(["anonymize", str(root), "-o", str(out), "--key", "test", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert "2 photo(s) in" in text and "1 face(s) found, 1 anonymized and verified, 0 flagged" in text
    assert "no face found" in text
    assert "Verified covers the face only: hair, ears, clothes and the background" in text
    portrait, sky = out / "shoot" / "portrait.png", out / "shoot" / "day2" / "sky.jpg"
    assert image_io.load_image(sky).pixels.shape == (60, 212, 3)
    assert not np.array_equal(image_io.load_image(portrait).pixels, astronaut)
    assert vault.inspect(portrait).regions[0].kind == "face"
    report = json.loads((out / REPORT_NAME).read_text())
    assert report["summary"]["anonymized"] == 1 and report["summary"]["faces_found"] == 1
    assert report["verified_covers"].startswith("Verified covers the face only")
    entry = report["files"][str(root / "portrait.png")]
    identity = entry["details"][0]["verification"]["identity"]
    assert [c["recognizer"] for c in identity] == ["dlib", "facenet"]
    assert all(c["passed"] and c["distance"] >= c["threshold"] for c in identity)
    before = portrait.stat().st_mtime_ns
    assert _run(["anonymize", str(root), "-o", str(out), "--key", "test", "--seed", "3"]) == 0
    again = capsys.readouterr().out
    assert "2 photo(s) in" in again and "This run: 0 photo(s) done, 2 already done" in again
    assert portrait.stat().st_mtime_ns == before


def test_failed_verification_is_flagged_in_the_report(vault, tmp_path, astronaut):
    root = _tree(tmp_path, astronaut)
    strict = AnonymizeOptions(limits=VerificationLimits(margin=2.0), max_tries=1)
    batch = anonymize_paths([root / "portrait.png"], tmp_path / "out", "test", options=strict, vault=vault)
    assert batch.summary()["failed_verification"] == 1
    (rep,) = batch.files
    assert rep.status == "flagged" and "no identity passed verification" in rep.message


def test_parallel_jobs_and_missing_key(vault, tmp_path, astronaut, capsys):
    root = _tree(tmp_path, astronaut)
    shutil.copy(root / "portrait.png", root / "day2" / "portrait2.png")
    out = tmp_path / "out"
    assert _run(["anonymize", str(root), "-o", str(out), "--key", "test", "--jobs", "2", "--sidecar"]) == 0
    assert "2 anonymized and verified" in capsys.readouterr().out
    assert (out / "shoot" / "day2" / "portrait2.png.veil").is_file()
    # Same photo, other place in the tree: another seed, so other new faces.
    a = image_io.load_image(out / "shoot" / "portrait.png").pixels
    b = image_io.load_image(out / "shoot" / "day2" / "portrait2.png").pixels
    assert not np.array_equal(a, b)
    with pytest.raises(KeyNotFoundError, match="nobody"):
        _run(["anonymize", str(root), "-o", str(tmp_path / "o2"), "--key", "nobody"])
    assert not (tmp_path / "o2" / "shoot").exists()


def test_strong_strength_from_the_command_line(vault, tmp_path, astronaut, capsys):
    image_io.save_image(tmp_path / "portrait.png", astronaut)
    out = tmp_path / "out"
    assert _run(["anonymize", str(tmp_path / "portrait.png"), "-o", str(out), "--key", "test",
                 "--strength", "strong"]) == 0
    printed = capsys.readouterr().out
    assert "dlib ResNet distance >= 0.654" in printed and "FaceNet distance >= 1.106" in printed
    report = json.loads((out / REPORT_NAME).read_text())
    assert report["strength"] == "strong"
    (face,) = report["files"][str(tmp_path / "portrait.png")]["details"]
    assert face["status"] == "anonymized" and face["verification"]["landmark_nme"] <= 0.16
