"""Document edits and the tile-patch history: exact undo/redo, memory bounds, clean/dirty tracking."""

from __future__ import annotations

import numpy as np
import pytest

from core_helpers import noise_image
from editor.core.document import Document
from editor.core.geometry import Rect
from editor.core.history import TILE, Edit, History, Patch


def brush(doc: Document, points, diameter=20.0, hardness=0.8, erase=False) -> None:
    stroke = doc.begin_stroke(diameter, hardness, erase)
    for x, y in points:
        stroke.move_to(x, y)
    stroke.end()


def fake_edit(nbytes: int, label: str = "edit") -> Edit:
    half = np.zeros(nbytes // 2, np.uint8)
    return Edit(label, [Patch("mask", Rect(0, 0, 1, 1), half, half.copy())])


@pytest.fixture
def doc() -> Document:
    return Document(noise_image(300, 400))


def test_brush_stroke_changes_mask_and_undo_redo_are_exact(doc):
    events = []
    doc.subscribe(lambda event, rect: events.append((event, rect)))
    brush(doc, [(50, 60), (120, 80), (200, 150)])
    painted = doc.mask.copy()
    assert painted[60, 50] == 255 and painted[150, 200] == 255 and painted[5, 395] == 0
    assert doc.history.undo_label == "Brush" and doc.dirty
    assert any(e == "mask" and r is not None and not r.empty for e, r in events)

    assert doc.undo() == "Brush"
    assert not doc.mask.any()
    assert doc.history.redo_label == "Brush"
    assert doc.redo() == "Brush"
    assert np.array_equal(doc.mask, painted)


def test_eraser_removes_and_undo_restores(doc):
    brush(doc, [(100, 100), (300, 100)], diameter=40)
    painted = doc.mask.copy()
    brush(doc, [(200, 100)], diameter=30, erase=True)
    assert doc.mask[100, 200] == 0 and doc.mask[100, 120] == 255
    assert doc.history.undo_label == "Erase"
    doc.undo()
    assert np.array_equal(doc.mask, painted)


def test_small_stroke_on_a_big_image_stores_only_changed_tiles():
    big = Document(np.zeros((3000, 4000, 3), np.uint8))
    brush(big, [(1000, 1000), (1100, 1040)], diameter=30)
    stored = big.history.nbytes
    ys, xs = np.nonzero(big.mask)
    painted_tiles = {(y // TILE, x // TILE) for y, x in zip(ys, xs)}
    assert stored == len(painted_tiles) * 2 * TILE * TILE  # before + after of each painted mask tile, nothing else
    assert stored < (big.image.nbytes + big.mask.nbytes) / 50
    big.undo()
    assert not big.mask.any()


def test_new_edit_clears_redo(doc):
    brush(doc, [(50, 50)])
    doc.undo()
    assert doc.history.can_redo
    brush(doc, [(250, 250)])
    assert not doc.history.can_redo and doc.redo() is None


def test_undo_redo_on_empty_history_do_nothing(doc):
    assert doc.undo() is None and doc.redo() is None
    assert not doc.dirty


def test_clean_and_dirty_across_save_undo_and_new_edits(doc, tmp_path):
    assert not doc.dirty
    brush(doc, [(50, 50)])
    assert doc.dirty
    doc.mark_saved(tmp_path / "saved.png")
    assert not doc.dirty and doc.path == tmp_path / "saved.png"
    brush(doc, [(150, 50)])
    assert doc.dirty
    doc.undo()
    assert not doc.dirty  # back at the saved state
    doc.undo()
    assert doc.dirty  # undone past the save
    doc.redo()
    assert not doc.dirty
    doc.undo()
    brush(doc, [(250, 250)])  # a new edit after undoing past the save: the saved state is gone for good
    assert doc.dirty
    doc.undo()
    assert doc.dirty


def test_history_byte_budget_drops_oldest_but_keeps_one():
    history = History(max_bytes=1000)
    for i in range(5):
        history.push(fake_edit(400, f"e{i}"))
    assert history.depth == 2 and history.nbytes <= 1000
    labels = []
    while history.can_undo:
        labels.append(history.undo(lambda patch, after: None).label)
    assert labels == ["e4", "e3"]

    history.push(fake_edit(5000, "huge"))  # larger than the whole budget: still undoable
    assert history.depth == 1 and history.undo_label == "huge"


def test_history_step_limit():
    history = History(max_steps=3)
    for i in range(10):
        history.push(fake_edit(10, f"e{i}"))
    assert history.depth == 3 and history.undo_label == "e9"


def test_clean_state_dropped_by_the_budget_stays_dirty():
    history = History(max_steps=2)
    history.mark_clean()
    for i in range(3):
        history.push(fake_edit(10))
    while history.can_undo:
        history.undo(lambda patch, after: None)
    assert not history.is_clean  # the saved (empty) state fell off the history


def test_empty_edit_is_not_recorded(doc):
    with doc.edit("Nothing") as rec:
        rec.touch("mask", Rect(0, 0, 50, 50))
    assert not doc.history.can_undo and not doc.dirty


def test_apply_pixels_and_undo_restore_image_and_mask(doc):
    before_image = doc.image.copy()
    brush(doc, [(60, 60), (90, 70)], diameter=24)
    mask_before = doc.mask.copy()
    rect = Rect(40, 40, 120, 100)
    fill = np.full((rect.height, rect.width, 3), 7, np.uint8)
    doc.apply_pixels(rect, fill, "Inpaint")
    assert np.all(doc.image[rect.slices] == 7) and not doc.mask.any()
    assert np.array_equal(doc.image[200:, 200:], before_image[200:, 200:])

    assert doc.undo() == "Inpaint"
    assert np.array_equal(doc.image, before_image)
    assert np.array_equal(doc.mask, mask_before)
    doc.redo()
    assert np.all(doc.image[rect.slices] == 7) and not doc.mask.any()


def test_apply_pixels_checks_the_size(doc):
    with pytest.raises(ValueError):
        doc.apply_pixels(Rect(0, 0, 10, 10), np.zeros((5, 5, 3), np.uint8), "Bad")


def test_failed_edit_leaves_no_trace(doc):
    original = doc.image.copy()
    with pytest.raises(RuntimeError):
        with doc.edit("Inpaint") as rec:
            rec.touch("image", Rect(0, 0, 100, 100))
            doc.image[:50, :50] = 0
            raise RuntimeError("engine failed half-way")
    assert np.array_equal(doc.image, original)
    assert not doc.history.can_undo


def test_mask_ops_through_the_document_are_undoable(doc):
    brush(doc, [(200, 150)], diameter=30, hardness=1.0)
    painted = doc.mask.copy()
    for op in ("grow", "shrink", "feather", "invert", "clear"):
        doc.apply_mask_op(op, radius=5)
        assert not np.array_equal(doc.mask, painted), op
        doc.undo()
        assert np.array_equal(doc.mask, painted), op


def test_add_to_mask_unions_and_clips(doc):
    values = np.full((50, 50), 200, np.uint8)
    doc.add_to_mask(Rect(380, 280, 430, 330), values, "Face mask")
    assert doc.mask[299, 399] == 200 and doc.mask[279, 399] == 0
    doc.add_to_mask(Rect(380, 280, 430, 330), np.full((50, 50), 100, np.uint8), "Lower")
    assert doc.mask[299, 399] == 200  # union keeps the larger value


def test_document_rejects_non_rgb_pixels():
    with pytest.raises(ValueError):
        Document(np.zeros((10, 10), np.uint8))


def test_changes_found_by_a_worker_give_the_same_edit_as_apply_pixels_alone():
    """What a worker finds (changed tiles, masked tiles) makes apply_pixels write and record exactly what it would
    find itself: two faces far apart in a wide rect touch only their own tiles."""
    from editor.core.history import changed_tiles, nonzero_tiles

    base = noise_image(3 * TILE + 40, 5 * TILE + 10)
    rect = Rect(10, 10, 5 * TILE, 3 * TILE + 30)
    pixels = base[rect.slices].copy()
    pixels[5:60, 5:60] = 0                                   # a "face" near the top-left corner
    pixels[-50:-5, -70:-5] = 255                             # and one near the bottom-right
    docs = [Document(base.copy()), Document(base.copy())]
    for d in docs:
        d.mask[20:60, 30:50] = 255
        d.mask[-30:, -60:-20] = 255
    changed, masked = changed_tiles(docs[0].image, rect, pixels), nonzero_tiles(docs[0].mask)
    assert 2 <= len(changed) <= 4 and len(masked) == 2
    docs[0].apply_pixels(rect, pixels, "Fill", changed=changed, masked=masked)
    docs[1].apply_pixels(rect, pixels, "Fill")
    assert np.array_equal(docs[0].image, docs[1].image) and np.array_equal(docs[0].mask, docs[1].mask)
    assert not docs[0].mask.any()
    recorded = [sorted((p.layer, p.rect.x0, p.rect.y0) for p in d.history._undo[-1].patches) for d in docs]
    assert recorded[0] == recorded[1]
    assert docs[0].undo() == "Fill" and np.array_equal(docs[0].image, base)
