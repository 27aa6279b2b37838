"""The anonymize service: document round trip, re-roll, drawn boxes, no-face photos, export and exact recovery."""

from __future__ import annotations

import numpy as np
import pytest

from editor.anonymize.engine import ANONYMIZED, FALLBACK, AnonymizeOptions
from editor.anonymize.verify import VerificationLimits
from editor.core import image_io
from editor.core.document import Document
from editor.core.geometry import Rect
from editor.services import anonymize_service as svc


def test_document_round_trip_is_one_undo_step(astronaut, astronaut_face):
    doc = Document(astronaut.copy())
    doc.set_faces([astronaut_face])
    result = svc.anonymize_faces(doc.image, doc.faces, seed=2)
    svc.apply_to_document(doc, result)
    assert np.array_equal(doc.image, result.image) and not np.array_equal(doc.image, astronaut)
    assert np.array_equal(result.source, astronaut), "the result must keep the pixels it replaced"
    doc.undo()
    assert np.array_equal(doc.image, astronaut)
    assert result.report()["faces"][0]["verification"]["passed"] is True


def test_reroll_changes_only_that_face(astronaut):
    pair = np.ascontiguousarray(np.hstack([astronaut, astronaut[:, ::-1]]))
    faces = svc.default_pipeline().find_faces(pair)
    first = svc.anonymize_faces(pair, faces, seed=1)
    again = svc.reroll_face(first, 1, seed=99)
    left = Rect(0, 0, 512, 512)
    assert np.array_equal(again.image[left.slices], first.image[left.slices])
    assert again.outcomes[1].identity not in (first.outcomes[1].identity, first.outcomes[0].identity)
    assert again.outcomes[1].status == ANONYMIZED
    assert not np.array_equal(again.image[:, 512:], first.image[:, 512:])
    # Re-rolling back to the first seed gives the first result again, pixel for pixel.
    back = svc.reroll_face(again, 1, seed=1)
    assert np.array_equal(back.image, first.image)


def test_selected_faces_only(astronaut):
    pair = np.ascontiguousarray(np.hstack([astronaut, astronaut[:, ::-1]]))
    faces = svc.default_pipeline().find_faces(pair)
    result = svc.anonymize_faces(pair, faces, seed=1, selected=[1])
    assert len(result.outcomes) == 1 and result.outcomes[0].index == 1
    assert np.array_equal(result.image[:, :512], pair[:, :512])


def test_photo_without_face_is_a_clear_message_and_unchanged(astronaut):
    sky = np.ascontiguousarray(astronaut[:60, 300:].copy())
    assert svc.default_pipeline().find_faces(sky) == []
    with pytest.raises(svc.NoFaceError, match="No face was found"):
        svc.anonymize_faces(sky, [], seed=1)


def test_drawn_box_finds_landmarks_or_falls_back(astronaut, astronaut_face):
    face = svc.face_from_box(astronaut, astronaut_face.rect.pad(6))
    assert face.source == "user" and face.landmarks68 is not None
    empty = svc.face_from_box(astronaut, Rect(400, 380, 470, 450))
    assert empty.landmarks68 is None
    result = svc.anonymize_faces(astronaut, [face, empty], seed=1)
    assert [o.status for o in result.outcomes] == [ANONYMIZED, FALLBACK]
    with pytest.raises(svc.VeilError, match="too small"):
        svc.face_from_box(astronaut, Rect(10, 10, 12, 12))


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_recover_after_anonymize_is_bit_exact_on_the_faces(vault, tmp_path, astronaut, astronaut_face, suffix):
    result = svc.anonymize_faces(astronaut, [astronaut_face], seed=4)
    out = tmp_path / f"anon{suffix}"
    sealed = svc.export_anonymized(result.image, result, out, "test", vault=vault)
    assert sealed.path == out and len(sealed.regions) == 1
    seal, anonymize = vault.audit.entries()[-2:]
    assert (seal.action, anonymize.action) == ("seal", "anonymize") and anonymize.faces == [1]
    assert anonymize.file_sha256 == seal.file_sha256 == sealed.file_sha256
    published = image_io.load_image(out).pixels
    outcome = result.outcomes[0]
    face_pixels = published[outcome.patch.rect.slices][outcome.patch.mask]
    original_face = astronaut[outcome.patch.rect.slices][outcome.patch.mask]
    assert np.abs(face_pixels.astype(int) - original_face.astype(int)).mean() > 5, "the export shows the new face"
    restored = vault.recover(out, tmp_path / "restored.png")
    pixels = image_io.load_image(restored.path).pixels
    assert np.array_equal(pixels[outcome.patch.rect.slices][outcome.patch.mask], original_face)
    if suffix == ".png":
        assert np.array_equal(pixels, astronaut)


def test_flagged_faces_are_not_exported_silently(vault, tmp_path, astronaut, astronaut_face):
    strict = AnonymizeOptions(limits=VerificationLimits(margin=2.0), max_tries=1)
    result = svc.anonymize_faces(astronaut, [astronaut_face], seed=1, options=strict)
    assert result.failed
    with pytest.raises(svc.FlaggedFacesError, match="flagged for review"):
        svc.export_anonymized(result.image, result, tmp_path / "x.png", "test", vault=vault)
    assert not (tmp_path / "x.png").exists()
    svc.export_anonymized(result.image, result, tmp_path / "x.png", "test", vault=vault, accept_flagged=True)
    assert (tmp_path / "x.png").exists()
