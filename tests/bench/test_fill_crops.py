"""No work over the whole photo for edits of a small part of it: fills run on a crop per masked area, and writing
a fill records only the tiles it changes."""

from __future__ import annotations

import cv2
import numpy as np

from editor.core.document import Document
from editor.core.geometry import Rect
from editor.core.history import TILE
from editor.inpaint.registry import get_engine


def photo(height: int, width: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([60 + 120 * xx / width, 80 + 40 * np.sin(yy / 37.0), 200 - 100 * yy / height], axis=2)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def two_holes(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    first, second = np.zeros(shape, np.uint8), np.zeros(shape, np.uint8)
    cv2.circle(first, (150, 120), 20, 255, -1)
    cv2.circle(second, (shape[1] - 200, shape[0] - 150), 20, 255, -1)
    return first, second, np.maximum(first, second)


def test_far_apart_holes_are_filled_on_their_own_small_crops():
    image = photo(1500, 2000)
    first, second, both = two_holes(image.shape[:2])
    for name in ("telea", "fsr-fast"):
        engine = get_engine(name)
        crops = engine.work_rects(both)
        assert len(crops) == 2 and sum(r.area for r in crops) < 0.01 * image.shape[0] * image.shape[1]
        rect, pixels = engine.run_region(image, both)
        out = image.copy()
        out[rect.slices] = pixels
        assert np.array_equal(out[both == 0], image[both == 0])
        for alone in (first, second):                    # each hole filled exactly as if it were the only one
            r, p = engine.run_region(image, alone)
            assert np.array_equal(out[r.slices], p)


def test_holes_whose_context_overlaps_share_one_crop():
    image = photo(400, 600)
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[100:120, 100:120] = 255
    mask[100:120, 150:170] = 255                         # 30 px apart: inside each other's 16 px+ context
    engine = get_engine("telea")
    assert engine.work_rects(mask) == [engine.work_rect(mask)]


def test_a_fill_spanning_the_photo_records_and_reports_only_the_areas_it_changes():
    image = photo(1536, 2048)
    doc = Document(image.copy())
    _, _, both = two_holes(image.shape[:2])
    doc.mask[:] = both
    new = image.copy()
    new[both > 0] = (255, 0, 255)
    events: list[tuple[str, Rect]] = []
    doc.subscribe(lambda event, rect: events.append((event, rect)))
    doc.apply_pixels(Rect(0, 0, 2048, 1536), new, "Fill")
    assert np.array_equal(doc.image, new) and not doc.mask.any()
    image_patches = [p for p in doc.history._undo[-1].patches if p.layer == "image"]
    assert len(image_patches) <= 4 and all(p.rect.area <= TILE * TILE for p in image_patches)
    for layer in ("image", "mask"):                      # one small area per hole, not the rect spanning both
        areas = [rect for event, rect in events if event == layer]
        assert len(areas) == 2 and all(r.area <= 2 * TILE * TILE for r in areas)
        assert all(both[r.slices].any() for r in areas)
    events.clear()
    doc.undo()
    assert np.array_equal(doc.image, image) and np.array_equal(doc.mask, both)
    assert sum(event == "image" for event, _ in events) == 2 and events[-1] == ("history", None)
