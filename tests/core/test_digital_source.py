"""The IPTC digital source type in XMP, read back by standard XMP readers: exiftool (the reference tool of photo
metadata) and defusedxml on the packet, not by Veil's own reader."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from defusedxml import ElementTree as SafeET
from PIL import Image

from editor.core import image_io
from editor.core.digital_source import (IPTC_EXT_NS, SYNTHETIC_COMPOSITE, TRAINED_COMPOSITE, read_source_type,
                                        strongest, with_source_type)
from editor.core.document import Document
from editor.core.geometry import Rect
from editor.core.history import History
from editor.core.image_types import ImageMetadata
from editor.core.metadata_profiles import privacy_metadata, with_digital_source_type

from core_helpers import block_image

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed (scripts/system_deps.sh)")
CAMERA_XMP = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
              b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
              b'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
              b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture">'
              b'<dc:creator><rdf:Seq><rdf:li>XMP-creator-Jane-Roe</rdf:li></rdf:Seq></dc:creator>'
              b'</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def exiftool_xmp(path: Path) -> dict:
    """exiftool's reading of a file's XMP: {tag name: value}."""
    out = subprocess.run([EXIFTOOL, "-XMP:all", "-s", "-s", path], capture_output=True, text=True, check=True).stdout
    return dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)


def packet_properties(xmp: bytes) -> dict:
    """Every property of an XMP packet ({namespace}name -> value), read with defusedxml."""
    root = SafeET.fromstring(xmp)
    props = {}
    for element in root.iter():
        for name, value in element.attrib.items():
            if not name.startswith("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"):
                props[name] = value
        if len(element) == 0 and (element.text or "").strip():
            props[element.tag] = element.text.strip()
    return props


def photo() -> np.ndarray:
    return block_image(48, 64)


@needs_exiftool
@pytest.mark.parametrize("ext", ["jpg", "png", "tif", "webp"])
def test_every_format_with_xmp_states_the_source_type_to_exiftool(tmp_path, ext):
    out = tmp_path / f"filled.{ext}"
    image_io.save_image(out, photo(), None, with_digital_source_type(ImageMetadata(), TRAINED_COMPOSITE))
    assert exiftool_xmp(out)["DigitalSourceType"] == TRAINED_COMPOSITE
    loaded = image_io.load_image(out)
    assert packet_properties(loaded.metadata.xmp) == {f"{{{IPTC_EXT_NS}}}DigitalSourceType": TRAINED_COMPOSITE}


@needs_exiftool
def test_the_retouch_profile_keeps_the_photos_xmp_and_replaces_its_source_type(tmp_path):
    meta = ImageMetadata(format="JPEG", xmp=CAMERA_XMP)
    out = tmp_path / "filled.jpg"
    image_io.save_image(out, photo(), None, with_digital_source_type(meta, TRAINED_COMPOSITE))
    tags = exiftool_xmp(out)
    assert tags["DigitalSourceType"] == TRAINED_COMPOSITE           # the camera's digitalCapture is gone
    assert tags["Creator"] == "XMP-creator-Jane-Roe"                   # the rest of the photo's XMP stays
    values = [v for k, v in packet_properties(image_io.load_image(out).metadata.xmp).items()
              if k.endswith("DigitalSourceType")]
    assert values == [TRAINED_COMPOSITE]                               # stated once


@needs_exiftool
@pytest.mark.parametrize("ext", ["jpg", "png", "tif", "webp"])
def test_the_privacy_profile_keeps_the_source_type_and_nothing_else(tmp_path, ext):
    meta = with_digital_source_type(ImageMetadata(format="JPEG", xmp=CAMERA_XMP), TRAINED_COMPOSITE)
    out = tmp_path / f"shared.{ext}"
    image_io.save_image(out, photo(), None, privacy_metadata(meta))
    assert b"Jane-Roe" not in out.read_bytes()
    tags = exiftool_xmp(out)
    assert tags.pop("DigitalSourceType") == TRAINED_COMPOSITE
    assert set(tags) <= {"XMPToolkit"}, tags                            # no other XMP property
    assert packet_properties(image_io.load_image(out).metadata.xmp) == {
        f"{{{IPTC_EXT_NS}}}DigitalSourceType": TRAINED_COMPOSITE}


def test_the_privacy_profile_adds_no_xmp_to_a_photo_nothing_was_invented_in():
    assert privacy_metadata(ImageMetadata(xmp=CAMERA_XMP.replace(b"Iptc4xmpExt:DigitalSourceType", b"x:y"))).xmp \
        is None


@needs_exiftool
def test_a_jpeg_whose_xmp_is_too_big_for_its_segment_keeps_the_source_type(tmp_path):
    huge = CAMERA_XMP.replace(b"XMP-creator-Jane-Roe", b"J" * 70_000)
    out = tmp_path / "filled.jpg"
    image_io.save_image(out, photo(), None, with_digital_source_type(ImageMetadata(xmp=huge), TRAINED_COMPOSITE))
    tags = exiftool_xmp(out)
    assert tags["DigitalSourceType"] == TRAINED_COMPOSITE and "Creator" not in tags


def test_xmp_that_cannot_be_merged_gives_way_to_the_source_type():
    hostile = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
               b'<r>&b;</r>')
    for xmp in (hostile, b"<x:xmpmeta not closed", b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"):
        marked = with_source_type(xmp, SYNTHETIC_COMPOSITE)
        assert packet_properties(marked) == {f"{{{IPTC_EXT_NS}}}DigitalSourceType": SYNTHETIC_COMPOSITE}
    assert read_source_type(hostile) is None


def test_a_bmp_cannot_carry_it_and_says_nothing(tmp_path):
    out = tmp_path / "filled.bmp"
    image_io.save_image(out, photo(), None, with_digital_source_type(ImageMetadata(), TRAINED_COMPOSITE))
    with Image.open(io.BytesIO(out.read_bytes())) as im:
        assert "xmp" not in im.info


# -- the document knows whether its pixels are estimated ---------------------------------------------------------------
def test_an_invented_edit_marks_the_document_until_it_is_undone():
    doc = Document(photo())
    assert doc.estimated_source_type() is None
    doc.apply_pixels(Rect(0, 0, 8, 8), np.zeros((8, 8, 3), np.uint8), "Brush fill", clear_mask=False)
    assert doc.estimated_source_type() is None                         # an ordinary edit invents nothing
    doc.apply_pixels(Rect(8, 8, 24, 24), np.full((16, 16, 3), 9, np.uint8), "Remove face mask", clear_mask=False,
                     source_type=TRAINED_COMPOSITE)
    assert doc.estimated_source_type() == TRAINED_COMPOSITE
    doc.undo()
    assert doc.estimated_source_type() is None
    doc.redo()
    assert doc.estimated_source_type() == TRAINED_COMPOSITE


def test_an_invented_edit_too_old_to_undo_still_marks_the_document():
    doc = Document(photo(), history=History(max_steps=2))
    doc.apply_pixels(Rect(0, 0, 8, 8), np.zeros((8, 8, 3), np.uint8), "Fill", clear_mask=False,
                     source_type=SYNTHETIC_COMPOSITE)
    for value in (40, 80, 120):
        doc.apply_pixels(Rect(16, 16, 24, 24), np.full((8, 8, 3), value, np.uint8), "Brush", clear_mask=False)
    assert doc.history.depth == 2
    assert doc.estimated_source_type() == SYNTHETIC_COMPOSITE


def test_a_trained_models_work_is_the_type_stated_when_edits_differ():
    assert strongest([None, SYNTHETIC_COMPOSITE, TRAINED_COMPOSITE]) == TRAINED_COMPOSITE
    assert strongest([None]) is None
