"""Mask operations against geometry (disk radii) and against OpenCV on the whole image."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from editor.core import mask_ops
from editor.core.geometry import Rect, bounding_rect


def disk(radius: float, centre=(100, 120), shape=(240, 260)) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return np.where((yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2, 255, 0).astype(np.uint8)


def radius_of(mask: np.ndarray) -> float:
    return float(np.sqrt(np.count_nonzero(mask > 127) / np.pi))


def kernel(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


@pytest.mark.parametrize("r", [1, 4, 10])
def test_grow_increases_a_disks_radius_by_r(r):
    grown = mask_ops.grow(disk(30), r)
    assert radius_of(grown) == pytest.approx(30 + r, abs=1.0)
    assert np.array_equal(grown, cv2.dilate(disk(30), kernel(r)))  # same as on the whole image


@pytest.mark.parametrize("r", [1, 4, 10])
def test_shrink_decreases_a_disks_radius_by_r(r):
    shrunk = mask_ops.shrink(disk(30), r)
    assert radius_of(shrunk) == pytest.approx(30 - r, abs=1.0)
    assert np.array_equal(shrunk, cv2.erode(disk(30), kernel(r)))


def test_shrink_does_not_eat_into_the_image_edge():
    everything = np.full((50, 60), 255, np.uint8)
    assert np.array_equal(mask_ops.shrink(everything, 5), everything)
    edge = disk(30, centre=(10, 10), shape=(80, 80))
    assert np.array_equal(mask_ops.shrink(edge, 6), cv2.erode(edge, kernel(6)))


def test_grow_and_shrink_leave_the_input_alone():
    m = disk(20)
    copy = m.copy()
    mask_ops.grow(m, 3)
    mask_ops.shrink(m, 3)
    mask_ops.feather(m, 3)
    assert np.array_equal(m, copy)


def test_feather_softens_an_edge_about_radius_wide():
    m = disk(40)
    soft = mask_ops.feather(m, 8)
    assert np.array_equal(soft, cv2.GaussianBlur(m, (0, 0), sigmaX=4.0, sigmaY=4.0))
    assert soft[100, 120] == 255 and soft[0, 0] == 0
    row = soft[100, 120:]  # centre -> outward
    ramp = np.flatnonzero((row > 10) & (row < 245))
    assert 4 <= ramp.size <= 20 and abs(int(ramp.mean()) + 120 - 160) <= 2  # centred on the old edge


def test_zero_radius_and_empty_mask_are_no_ops():
    m = disk(10)
    for op in (mask_ops.grow, mask_ops.shrink, mask_ops.feather):
        assert np.array_equal(op(m, 0), m)
        empty = np.zeros_like(m)
        assert not op(empty, 5).any()


def test_invert_clear_binarize():
    m = disk(10)
    assert np.array_equal(mask_ops.invert(m), 255 - m)
    assert not mask_ops.clear(m).any() and mask_ops.clear(m).shape == m.shape
    soft = np.array([[0, 100, 127, 128, 255]], np.uint8)
    assert mask_ops.binarize(soft).tolist() == [[0, 0, 0, 255, 255]]


def test_hard_brush_dab_is_a_disk_and_soft_dab_fades():
    hard = mask_ops.brush_dab(21, 1.0)
    assert hard.shape == (21, 21) and hard[10, 10] == 1.0 and hard[0, 0] == 0.0
    assert np.count_nonzero(hard > 0.5) == pytest.approx(np.pi * 10.5**2, rel=0.1)
    soft = mask_ops.brush_dab(21, 0.0)
    assert soft[10, 10] == pytest.approx(1.0, abs=0.1) and 0.0 < soft[10, 15] < 1.0


def test_stamp_clips_at_the_border_and_reports_what_changed():
    m = np.zeros((50, 50), np.uint8)
    changed = mask_ops.stamp(m, 0, 0, mask_ops.brush_dab(11, 1.0), erase=False)
    assert changed == Rect(0, 0, 6, 6)
    assert bounding_rect(m) == Rect(0, 0, 6, 6)
    assert mask_ops.stamp(m, -100, -100, mask_ops.brush_dab(11, 1.0), erase=False).empty


def test_stroke_segment_leaves_no_gaps():
    m = np.zeros((60, 200), np.uint8)
    mask_ops.stroke_segment(m, (10, 30), (190, 30), mask_ops.brush_dab(9, 1.0), erase=False)
    assert np.all(m[30, 10:191] == 255)
