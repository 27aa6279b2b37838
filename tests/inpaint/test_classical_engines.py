"""Classical inpainting engines: fill quality on smooth images, exact pixels outside the mask, crops, errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from editor.core.errors import Cancelled, VeilError
from editor.core.progress import JobContext
from editor.inpaint.base import InpaintEngine
from editor.inpaint.registry import DEFAULT_ENGINE, ENGINES, engine_names, get_engine

# Mean absolute error inside the hole on the smooth test image (measured: telea 1.9 / 2.2, fsr-fast 0.8 / 2.0,
# fsr-best 0.7 / 1.1 for the disc / square), with headroom.
BOUNDS = {"telea": (3.0, 3.5), "fsr-fast": (1.5, 3.0), "fsr-best": (1.5, 2.0),
          "face-model": (1.5, 3.0)}   # no face in the picture: exactly FSR-fast


def smooth_image(height: int, width: int) -> np.ndarray:
    """Low-frequency colour pattern: what any inpainting method should continue almost exactly."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([60 + 120 * xx / width, 80 + 40 * np.sin(yy / 37.0) + 30 * np.cos(xx / 53.0),
                    200 - 100 * yy / height], axis=2)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def hole_error(engine: InpaintEngine, image: np.ndarray, mask: np.ndarray) -> float:
    out = engine.run(image, mask)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(out[mask == 0], image[mask == 0])           # untouched outside the mask, bit for bit
    return float(np.abs(out.astype(int) - image.astype(int))[mask > 0].mean())


@pytest.fixture(scope="module")
def smooth() -> np.ndarray:
    return smooth_image(256, 320)


@pytest.mark.parametrize("name", engine_names())
def test_engine_continues_a_smooth_image(name, smooth):
    disc = np.zeros(smooth.shape[:2], np.uint8)
    cv2.circle(disc, (160, 128), 12, 255, -1)
    square = np.zeros(smooth.shape[:2], np.uint8)
    square[113:143, 145:175] = 255
    engine = get_engine(name)
    assert hole_error(engine, smooth, disc) < BOUNDS[name][0]
    assert hole_error(engine, smooth, square) < BOUNDS[name][1]


def test_fsr_fills_a_big_hole_at_reduced_scale_within_bounds(smooth):
    mask = np.zeros(smooth.shape[:2], np.uint8)
    mask[88:168, 120:200] = 255                                         # 6400 px: FSR-best works at ~22% scale
    assert hole_error(get_engine("fsr-best"), smooth, mask) < 6.0       # measured 3.1 (Telea 5.0)


@pytest.mark.parametrize("name", ["fsr-fast", "fsr-best"])
def test_fsr_fills_a_hole_on_the_photo_edge(name):
    """xphoto's FSR left the last rows of some sizes unfilled (they came out green); a hole along the bottom edge of
    a photo whose sides are not whole blocks must be filled like any other."""
    image = smooth_image(65, 130)
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[58:, 40:70] = 255
    assert hole_error(get_engine(name), image, mask) < 6.0              # measured 1.0 / 2.6 (unpadded: 73 / 73)


def test_soft_mask_blends_and_keeps_the_rest(smooth):
    mask = np.zeros(smooth.shape[:2], np.uint8)
    cv2.circle(mask, (100, 100), 15, 255, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 4)
    image = smooth.copy()
    image[mask > 0] = (255, 0, 255)                                     # a blemish under the whole soft area
    engine = get_engine("telea")
    rect, pixels = engine.run_region(image, mask)
    crop, alpha = image[rect.slices], mask[rect.slices]
    assert np.array_equal(pixels[alpha == 0], crop[alpha == 0])
    hard_fill = engine.run(image, np.where(mask > 0, 255, 0).astype(np.uint8))[rect.slices]
    assert np.array_equal(pixels[alpha == 255], hard_fill[alpha == 255])
    soft = (alpha > 0) & (alpha < 255)
    a = alpha[soft].astype(np.float32)[:, None] / 255.0
    expected = crop[soft] * (1 - a) + hard_fill[soft] * a
    assert np.abs(pixels[soft] - expected).max() <= 0.5 + 1e-3


def test_run_region_works_on_a_small_crop_of_a_big_photo():
    image = np.zeros((3000, 4000, 3), np.uint8)
    image[:] = smooth_image(300, 400)[np.arange(3000) // 10][:, np.arange(4000) // 10]
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.circle(mask, (2500, 1200), 20, 255, -1)
    for name in ("telea", "fsr-fast"):
        rect, pixels = get_engine(name).run_region(image, mask)
        assert rect.area < 0.002 * image.shape[0] * image.shape[1]
        assert rect.x0 <= 2480 and rect.x1 >= 2521 and rect.y0 <= 1180 and rect.y1 >= 1221
        assert pixels.shape == (rect.height, rect.width, 3)
        inside = mask[rect.slices] > 0
        assert np.array_equal(pixels[~inside], image[rect.slices][~inside])


def test_bool_masks_are_accepted(smooth):
    mask = np.zeros(smooth.shape[:2], bool)
    mask[50:60, 50:60] = True
    out = get_engine("telea").run(smooth, mask)
    assert np.array_equal(out[~mask], smooth[~mask])


def test_empty_mask_asks_for_a_mask(smooth):
    for name in engine_names():
        with pytest.raises(VeilError) as err:
            get_engine(name).run_region(smooth, np.zeros(smooth.shape[:2], np.uint8))
        assert str(err.value) == "Paint a mask over the area to fill first."


def test_cancel_and_progress(smooth):
    mask = np.zeros(smooth.shape[:2], np.uint8)
    mask[10:20, 10:20] = 255
    ctx = JobContext()
    ctx.cancel()
    for name in engine_names():
        with pytest.raises(Cancelled):
            get_engine(name).run(smooth, mask, ctx)
    seen: list[float] = []
    get_engine("fsr-fast").run(smooth, mask, JobContext(on_progress=lambda f, _t: seen.append(f)))
    assert seen[0] == 0.0 and seen[-1] == 1.0


def test_registry():
    assert DEFAULT_ENGINE in ENGINES
    assert engine_names() == list(ENGINES)
    for name, cls in ENGINES.items():
        engine = get_engine(name)
        assert engine.name == name and isinstance(engine, cls) and engine.device == "CPU" and engine.label
        assert get_engine(name) is engine
    with pytest.raises(VeilError) as err:
        get_engine("magic")
    assert str(err.value) == f"Unknown inpainting engine 'magic'; choose one of: {', '.join(ENGINES)}."
