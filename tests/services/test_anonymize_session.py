"""The anonymize session on real models: run, review, re-roll, apply, leave faces alone, face states, and the sealed
export (through the real keyring), the same photo from the window's path and the CLI's.

The photos are the public-domain sample portrait (resources/sample.jpg) and the same portrait beside its mirror
image, which gives two faces.
"""

from __future__ import annotations

import numpy as np
import pytest

from editor.anonymize.engine import ANONYMIZED, AnonymizeOptions
from editor.anonymize.verify import VerificationLimits
from editor.core import image_io
from editor.core.digital_source import TRAINED_COMPOSITE, read_source_type
from editor.core.document import Document
from editor.core.geometry import Rect
from editor.core.progress import JobContext
from editor.services import anonymize_service as svc
from editor.services.anonymize_batch import anonymize_file
from editor.services.anonymize_session import (ANONYMIZED_STATE, FLAGGED_STATE, AnonymizeSession,
                                               NothingAnonymizedError)
from editor.services.documents import open_document
from editor.services.faces import DETECTION_DEVICE, find_faces
from editor.services.seal_regions import changed_regions, describe_regions, edited_regions, replaced_face_regions
from editor.services.vault_service import VaultService
from editor.vault.audit import AuditLog
from editor.vision.facenet import default_embedder

LEFT = Rect(0, 0, 512, 512)          # the portrait's half of the pair; the mirror image is on the right


@pytest.fixture(scope="module")
def portrait(repo_root) -> np.ndarray:
    return image_io.load_image(repo_root / "resources" / "sample.jpg").pixels


@pytest.fixture(scope="module")
def pair(portrait) -> np.ndarray:
    return np.ascontiguousarray(np.hstack([portrait, portrait[:, ::-1]]))


@pytest.fixture(scope="module")
def pair_run(pair):
    """One anonymize job on the pair with no face listed yet (it detects them first), shared by the tests that only
    review it: the models take seconds per run."""
    return AnonymizeSession(Document(pair.copy())).anonymize_job(seed=1)(JobContext())


def reviewed(pair, run) -> AnonymizeSession:
    session = AnonymizeSession(Document(pair.copy()))
    session.review(run)
    return session


@pytest.fixture
def vault(keystore_for, data_dir) -> VaultService:
    service = VaultService(keystore=keystore_for(data_dir), audit=AuditLog(data_dir))
    service.create_key("test")
    return service


# -- run, review, apply ------------------------------------------------------------------------------------------------
def test_a_run_detects_first_and_nothing_is_written_before_apply(pair, pair_run):
    assert pair_run.found is not None and len(pair_run.found) == 2
    assert [o.index for o in pair_run.result.outcomes] == [0, 1]
    session = reviewed(pair, pair_run)
    doc = session.doc
    assert doc.faces == pair_run.found and session.reviewing
    assert np.array_equal(doc.image, pair) and not doc.history.can_undo
    assert session.face_states() == {} and session.export_result() is None


def test_the_result_names_the_device_the_job_ran_on(pair, pair_run):
    # FaceNet is the job's ONNX Runtime model: its session reports where it ran; detection always runs on the CPU.
    assert pair_run.result.device == default_embedder().device
    assert reviewed(pair, pair_run).doc.last_device == pair_run.result.device
    assert find_faces(pair).device == DETECTION_DEVICE == "CPU"


def test_apply_is_one_undo_step_and_the_states_follow_the_photo(pair, pair_run):
    session = reviewed(pair, pair_run)
    doc, result = session.doc, pair_run.result
    assert session.apply() is result and not session.reviewing
    assert np.array_equal(doc.image, result.image) and np.array_equal(doc.original, pair)
    expected = {i: FLAGGED_STATE if o.flagged else ANONYMIZED_STATE for i, o in enumerate(result.outcomes)}
    assert session.face_states() == expected
    assert ANONYMIZED_STATE in expected.values()
    exported = session.export_result()
    assert [o.index for o in exported.outcomes] == [0, 1]
    assert np.array_equal(exported.source, pair) and np.array_equal(exported.image, result.image)
    assert session.faces_left_as_they_are() == []
    assert session.apply() is None                    # nothing pending any more

    doc.undo()
    assert np.array_equal(doc.image, pair)
    assert session.face_states() == {} and session.export_result() is None
    assert session.faces_left_as_they_are() == [0, 1]
    doc.redo()
    assert session.face_states() == expected


def test_a_face_that_a_later_edit_replaced_drops_out(pair, pair_run):
    session = reviewed(pair, pair_run)
    session.apply()
    doc = session.doc
    patch = pair_run.result.outcomes[1].patch
    doc.apply_pixels(patch.rect, pair[patch.rect.slices].copy(), "Paint over face 2")
    states = session.face_states()
    assert 1 not in states and 0 in states
    assert [o.index for o in session.export_result().outcomes] == [0]
    assert session.faces_left_as_they_are() == [1]


def test_discard_leaves_the_photo_and_nothing_to_export(pair, pair_run, tmp_path):
    session = reviewed(pair, pair_run)
    assert session.discard() and not session.discard()
    assert session.apply() is None and np.array_equal(session.doc.image, pair)
    with pytest.raises(NothingAnonymizedError, match="No face of this photo is anonymized"):
        session.export(tmp_path / "x.png", "test")
    assert not (tmp_path / "x.png").exists()


# -- re-roll --------------------------------------------------------------------------------------------------------
def test_reroll_gives_one_face_another_person_and_a_stale_one_is_dropped(pair, pair_run):
    session = reviewed(pair, pair_run)
    first = pair_run.result
    stale = session.reroll_job(0, seed=7)
    reroll = session.reroll_job(1, seed=99)(JobContext())
    assert session.take_reroll(reroll) and session.pending is reroll.result
    again = session.pending
    assert np.array_equal(again.image[LEFT.slices], first.image[LEFT.slices])      # face 1 kept its new face
    assert not np.array_equal(again.image[:, 512:], first.image[:, 512:])
    assert again.outcomes[1].identity not in (first.outcomes[1].identity, first.outcomes[0].identity)
    assert again.outcomes[1].status == ANONYMIZED
    assert again.device == default_embedder().device
    # A re-roll made from the result the review has moved on from changes nothing.
    assert not session.take_reroll(stale(JobContext())) and session.pending is again
    session.apply()
    assert np.array_equal(session.doc.image, again.image)
    assert session.export_result().outcomes[1] is again.outcomes[1]
    session.discard()
    with pytest.raises(ValueError):
        session.reroll_job(0, seed=3)                  # nothing under review


# -- faces left alone -------------------------------------------------------------------------------------------------
def test_excluded_and_unselected_faces_are_left_as_they_are(pair):
    doc = Document(pair.copy())
    session = AnonymizeSession(doc)
    assert session.targets() is None                  # no face listed: a run detects and takes them all
    doc.set_faces(find_faces(pair).faces)
    doc.set_face_included(0, False)
    assert session.targets() == [1] and session.targets([0]) == [0]
    run = session.anonymize_job(seed=2)(JobContext())
    assert run.found is None and [o.index for o in run.result.outcomes] == [1]
    session.review(run)
    session.apply()
    assert np.array_equal(doc.image[LEFT.slices], pair[LEFT.slices])        # face 1 untouched
    assert list(session.face_states()) == [1] and session.faces_left_as_they_are() == [0]
    doc.set_face_included(1, False)
    assert session.targets() == []                    # every face excluded: nothing to run on
    # A later run on face 1 alone adds it beside face 2, which stays anonymized.
    session.review(session.anonymize_job(seed=3, selected=[0])(JobContext()))
    session.apply()
    assert sorted(session.face_states()) == [0, 1] and session.faces_left_as_they_are() == []


# -- export ------------------------------------------------------------------------------------------------------------
def test_export_seals_the_anonymized_faces_and_restores_them_exactly(pair, pair_run, vault, tmp_path):
    session = reviewed(pair, pair_run)
    session.apply()
    out = tmp_path / "pair-anonymized.png"
    sealed = session.export(out, "test", vault=vault, accept_flagged=bool(pair_run.result.flagged))
    assert sealed.path == out and [r.kind for r in sealed.regions] == ["face", "face"]
    assert [r.rect for r in sealed.regions] == [o.patch.rect for o in pair_run.result.outcomes]
    published = image_io.load_image(out)
    assert np.array_equal(published.pixels, session.doc.image)
    assert read_source_type(published.metadata.xmp) == TRAINED_COMPOSITE      # states that faces were invented
    seal, anonymize = vault.audit.entries()[-2:]
    assert (seal.action, anonymize.action) == ("seal", "anonymize")
    assert anonymize.file_sha256 == sealed.file_sha256
    restored = vault.recover(out, tmp_path / "restored.png")
    assert np.array_equal(image_io.load_image(restored.path).pixels, pair)


def test_a_flagged_face_is_not_exported_without_a_persons_say_so(portrait, vault, tmp_path):
    session = AnonymizeSession(Document(portrait.copy()))
    strict = AnonymizeOptions(limits=VerificationLimits(margin=2.0), max_tries=1)
    session.review(session.anonymize_job(seed=1, options=strict)(JobContext()))
    session.apply()
    assert session.face_states() == {0: FLAGGED_STATE}
    with pytest.raises(svc.FlaggedFacesError, match="flagged for review"):
        session.export(tmp_path / "x.png", "test", vault=vault)
    assert not (tmp_path / "x.png").exists()
    session.export(tmp_path / "x.png", "test", vault=vault, accept_flagged=True)
    assert len(vault.inspect(tmp_path / "x.png").regions) == 1


def test_the_window_and_the_cli_write_the_same_photo(repo_root, vault, tmp_path):
    """The window's walk (open, Detect Faces, Anonymize, Apply, Export) and `veil anonymize` on one photo with
    the same seed publish the same pixels and metadata and seal the same regions; both are the pixels the
    engine made for that photo."""
    source = tmp_path / "portrait.png"
    image_io.save_image(source, image_io.load_image(repo_root / "resources" / "sample.jpg").pixels)
    seed = 21

    doc = open_document(source)
    doc.set_faces(find_faces(doc.image).faces)
    session = AnonymizeSession(doc)
    session.review(session.anonymize_job(seed)(JobContext()))
    session.apply()
    window = session.export(tmp_path / "window.png", "test", vault=vault, accept_flagged=True)

    report = anonymize_file(source, tmp_path / "cli.png", "test", seed, vault=vault)
    assert report.status in ("anonymized", "flagged") and report.faces == 1

    by_window, by_cli = image_io.load_image(window.path), image_io.load_image(tmp_path / "cli.png")
    assert np.array_equal(by_window.pixels, by_cli.pixels)
    assert by_window.metadata.xmp == by_cli.metadata.xmp
    assert [r.rect for r in vault.inspect(window.path).regions] == [r.rect for r in vault.inspect(by_cli.path).regions]
    engine_made = svc.anonymize_faces(doc.original, find_faces(doc.original).faces, seed).image
    assert np.array_equal(by_cli.pixels, engine_made)


# -- regions to seal --------------------------------------------------------------------------------------------------
def test_changed_regions_group_nearby_edits_and_name_the_faces():
    original = np.full((60, 90, 3), 100, np.uint8)
    image = original.copy()
    image[10:14, 10:14] = 0                 # two specks 3 px apart: one region
    image[10:14, 17:20] = 0
    image[40:50, 60:80, 1] = 255            # one channel changed is a change
    face = Rect(55, 35, 85, 55)
    regions = changed_regions(image, original, [face])
    assert [(r.rect, r.kind) for r in regions] == [(Rect(10, 10, 20, 14), "region"), (Rect(60, 40, 80, 50), "face")]
    assert not regions[0].fill_mask()[:, 4:7].any()             # the gap between the specks is not sealed
    assert describe_regions(regions) == "1 face and 1 other region"
    doc = Document(original.copy())
    assert edited_regions(doc) == []
    doc.image[...] = image
    assert [r.kind for r in edited_regions(doc)] == ["region", "region"]       # no face listed


def test_replaced_face_regions_skip_a_patch_that_changed_nothing(pair_run):
    patches = [o.patch for o in pair_run.result.outcomes]
    regions = replaced_face_regions(patches)
    assert [(r.rect, r.kind) for r in regions] == [(p.rect, "face") for p in patches]
    empty = type(patches[0])(patches[0].rect, patches[0].pixels, np.zeros_like(patches[0].mask))
    assert replaced_face_regions([empty]) == []
