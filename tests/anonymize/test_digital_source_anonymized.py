"""Anonymized exports say their faces were invented (IPTC digital source type in XMP, read by exiftool and
defusedxml) in every format that carries XMP, through the privacy profile, while the sealed originals embedded in
the same file still restore bit-exactly."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from defusedxml import ElementTree as SafeET

from editor.core import image_io
from editor.services.anonymize_batch import anonymize_paths

from camera_photo import leaks, write_camera_jpeg      # tests/camera_photo.py

EXIFTOOL = shutil.which("exiftool")
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
PROPERTY = "{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}DigitalSourceType"


def exiftool_xmp(path: Path) -> dict:
    out = subprocess.run([EXIFTOOL, "-XMP:all", "-s", "-s", path], capture_output=True, text=True, check=True).stdout
    return dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed (scripts/system_deps.sh)")
def test_anonymized_outputs_state_the_source_type_and_still_restore(vault, tmp_path, astronaut):
    photos = tmp_path / "photos"
    photos.mkdir()
    write_camera_jpeg(photos / "camera.jpg", astronaut)                   # XMP with a creator, GPS, serials...
    for ext in ("png", "tif", "webp"):
        image_io.save_image(photos / f"portrait.{ext}", astronaut)
    out = tmp_path / "out"
    batch = anonymize_paths([photos], out, "test", vault=vault)
    assert batch.summary()["anonymized"] == 4

    for name in ("camera.jpg", "portrait.png", "portrait.tif", "portrait.webp"):
        written = out / "photos" / name
        tags = exiftool_xmp(written)
        assert tags.pop("DigitalSourceType") == TRAINED, name
        assert set(tags) <= {"XMPToolkit"}, (name, tags)                   # nothing else of the XMP goes out
        packet = image_io.load_image(written).metadata.xmp
        values = [e.text.strip() for e in SafeET.fromstring(packet).iter(PROPERTY)]
        assert values == [TRAINED], name
        assert leaks(written) == [], name
        assert vault.inspect(written).regions                              # the payload is found beside the XMP
        restored = tmp_path / f"restored-{Path(name).stem}-{Path(name).suffix[1:]}.png"
        vault.recover(written, restored)
        original = image_io.load_image(photos / name).pixels
        published, back = image_io.load_image(written).pixels, image_io.load_image(restored).pixels
        put_back = np.any(back != published, axis=2)                       # the pixels the recovery restored
        assert put_back.sum() > 2000, name
        np.testing.assert_array_equal(back[put_back], original[put_back], err_msg=name)
        if name != "camera.jpg":                                           # lossless: the whole photo comes back
            np.testing.assert_array_equal(back, original, err_msg=name)


def test_a_photo_without_a_face_is_not_marked(vault, tmp_path, astronaut):
    photos = tmp_path / "photos"
    photos.mkdir()
    image_io.save_image(photos / "flag.png", np.ascontiguousarray(astronaut[:, 330:]))
    anonymize_paths([photos], tmp_path / "out", "test", vault=vault)
    assert image_io.load_image(tmp_path / "out" / "photos" / "flag.png").metadata.xmp is None
