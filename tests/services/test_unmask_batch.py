"""Removing face masks in folders: a shoot of real masked faces (the public-domain sample portrait wearing MIT mask
templates), a bare face and a photo without a face, done, stopped, changed and resumed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from editor.core import image_io
from editor.core.digital_source import TRAINED_COMPOSITE, read_source_type
from editor.core.errors import Cancelled, VeilError
from editor.core.progress import JobContext
from editor.services.unmask_batch import REPORT_NAME, unmask_paths
from masked_sample import sample_wearing      # tests/masked_sample.py

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def masked_faces() -> dict:
    """The sample portrait wearing two mask templates: {template: (photo, the mask's coverage)}."""
    return sample_wearing("KN95", "surgical_blue")


@pytest.fixture
def shoot(tmp_path, masked_faces) -> Path:
    """shoot/masked.jpg, shoot/day2/masked.png, shoot/bare.jpg (no mask) and shoot/sky.bmp (no face). The bare face
    is the sample's own file: the segmenter sees a mask in some re-encodings of it (a JPEG at quality 92)."""
    folder = tmp_path / "shoot"
    (folder / "day2").mkdir(parents=True)
    Image.fromarray(masked_faces["KN95"][0]).save(folder / "masked.jpg", quality=92)
    Image.fromarray(masked_faces["surgical_blue"][0]).save(folder / "day2" / "masked.png")
    shutil.copyfile(REPO / "resources" / "sample.jpg", folder / "bare.jpg")
    Image.fromarray(np.full((90, 120, 3), (90, 140, 210), np.uint8)).save(folder / "sky.bmp")
    return folder


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def report(out: Path) -> dict:
    return json.loads((out / REPORT_NAME).read_text())


def test_a_folder_keeps_its_tree_and_gets_a_report_and_a_summary(shoot, tmp_path, masked_faces):
    out = tmp_path / "out"
    inputs = snapshot(shoot)
    batch = unmask_paths([shoot], out)

    assert snapshot(shoot) == inputs                                     # no input touched
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "shoot/bare.jpg", "shoot/day2/masked.png", "shoot/masked.jpg", "shoot/sky.png", REPORT_NAME]
    for name, template in (("masked.jpg", "KN95"), ("day2/masked.png", "surgical_blue")):
        masked, coverage = masked_faces[template]
        written = image_io.load_image(out / "shoot" / name)
        changed = np.any(np.abs(written.pixels.astype(int) - masked.astype(int)) > 12, axis=2)
        assert changed[coverage > 0].mean() > 0.8, name                  # the mask is filled...
        assert read_source_type(written.metadata.xmp) == TRAINED_COMPOSITE   # ... and the file says it is estimated
    assert (out / "shoot" / "bare.jpg").read_bytes() == (shoot / "bare.jpg").read_bytes()   # unchanged copy
    sky = image_io.load_image(out / "shoot" / "sky.png")
    assert np.array_equal(sky.pixels, image_io.load_image(shoot / "sky.bmp").pixels) and sky.metadata.xmp is None

    summary = batch.summary()
    assert (summary["files"], summary["unmasked"], summary["masks_removed"], summary["no_mask"], summary["no_face"],
            summary["errors"], summary["done_this_run"], summary["skipped_finished"]) == (4, 2, 2, 1, 1, 0, 4, 0)
    written = report(out)
    assert written["engine"] == "face-model" and written["summary"]["masks_removed"] == 2
    statuses = {Path(k).relative_to(shoot).as_posix(): v["status"] for k, v in written["files"].items()}
    assert statuses == {"masked.jpg": "unmasked", "day2/masked.png": "unmasked", "bare.jpg": "no-mask",
                        "sky.bmp": "no-face"}
    assert sorted(Path(e["source"]).name for e in batch.needs_review()) == ["bare.jpg", "sky.bmp"]


def test_a_stopped_run_is_resumed_doing_only_what_is_missing(shoot, tmp_path):
    out = tmp_path / "out"
    ctx = JobContext()
    with pytest.raises(Cancelled):
        unmask_paths([shoot], out, ctx=ctx, on_file=lambda rep, done, total: ctx.cancel())
    first = report(out)["files"]
    assert len(first) == 1
    (done_source,) = first
    done_output = Path(first[done_source]["output"])
    kept = (done_output.read_bytes(), done_output.stat().st_mtime_ns)
    leftover = out / "shoot" / ".masked.jpg.0123abcd.tmp"                # what a killed write leaves behind
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half a photo")

    again = unmask_paths([shoot], out)
    assert again.summary()["skipped_finished"] == 1 and again.summary()["files"] == 4
    assert sorted(f.source for f in again.files) == sorted(s for s in map(str, [shoot / "masked.jpg",
                                                                                shoot / "day2" / "masked.png",
                                                                                shoot / "bare.jpg",
                                                                                shoot / "sky.bmp"])
                                                           if s != done_source)
    assert (done_output.read_bytes(), done_output.stat().st_mtime_ns) == kept      # not written again
    assert not leftover.exists()
    assert not unmask_paths([shoot], out).files                           # a third run has nothing to do


def test_a_changed_output_or_source_is_done_again(shoot, tmp_path, masked_faces):
    out = tmp_path / "out"
    unmask_paths([shoot], out)
    with open(out / "shoot" / "masked.jpg", "ab") as fh:                   # someone edited an output
        fh.write(b"\0")
    Image.fromarray(masked_faces["KN95"][0]).save(shoot / "bare.jpg", quality=92)   # a source replaced by another
    untouched = (out / "shoot" / "day2" / "masked.png").stat().st_mtime_ns

    again = unmask_paths([shoot], out)
    assert sorted(Path(f.source).name for f in again.files) == ["bare.jpg", "masked.jpg"]
    assert report(out)["files"][str(shoot / "bare.jpg")]["status"] == "unmasked"    # the new photo had a mask
    assert read_source_type(image_io.load_image(out / "shoot" / "bare.jpg").metadata.xmp) == TRAINED_COMPOSITE
    assert (out / "shoot" / "day2" / "masked.png").stat().st_mtime_ns == untouched


def test_another_engine_or_an_output_inside_the_input_is_refused(shoot, tmp_path):
    out = tmp_path / "out"
    shutil.rmtree(shoot / "day2")
    (shoot / "masked.jpg").unlink()
    unmask_paths([shoot], out)
    before = snapshot(out)
    with pytest.raises(VeilError, match="another engine or quality"):
        unmask_paths([shoot], out, engine="telea")
    with pytest.raises(VeilError, match="is inside the input"):
        unmask_paths([shoot], shoot / "unmasked")
    assert snapshot(out) == before and not (shoot / "unmasked").exists()


def test_an_unreadable_photo_is_an_error_entry_and_the_rest_is_done(shoot, tmp_path):
    (shoot / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    batch = unmask_paths([shoot], tmp_path / "out")
    entry = report(tmp_path / "out")["files"][str(shoot / "broken.jpg")]
    assert entry["status"] == "error" and entry["message"] == "broken.jpg is truncated or corrupt and cannot be opened."
    assert batch.summary()["errors"] == 1 and batch.summary()["unmasked"] == 2
    assert not (tmp_path / "out" / "shoot" / "broken.jpg").exists()
