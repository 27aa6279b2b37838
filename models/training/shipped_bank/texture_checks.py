"""Three objective checks of an identity's texture: glare or a seam beside the mouth, speckled brows, smeared eyes."""

from __future__ import annotations

import cv2
import numpy as np

from editor.anonymize.mesh import fill_polygon

from .frame import FRAME

GLARE_LIMIT = 0.25             # share of the skin beside the mouth much brighter than the skin around it
SPECKLE_LIMIT = 0.8            # brow detail finer than a hair band, relative to the brows' own contrast
# Lab-L units between the skin under each eye and the darkest 5% of its opening. A collage whose sources' eyes
# did not line up leaves a grey smear where the eye should be, with no dark iris or lash line: on the bank shipped
# 2026-12-03 the two identities under 75 (68.5 and 72.5; the rest 77.6-127) were the two whose eyes looked like
# smudges on the contact sheet (one of them given to 3 of its 24 validation faces).
IRIS_LIMIT = 75.0


def _region(points: np.ndarray, idx, scale: float, dy: float = 0.0) -> np.ndarray:
    p = points[list(idx)].astype(np.float64)
    c = p.mean(axis=0)
    q = c + (p - c) * scale
    q[:, 1] += dy
    return fill_polygon((FRAME, FRAME), cv2.convexHull(q.astype(np.float32)).reshape(-1, 2)) > 0


def texture_flaws(texture: np.ndarray, points: np.ndarray) -> dict[str, float]:
    """Objective checks of a texture's look (RGB, bank frame; both flag what a person saw on the montage):
    - glare: a source's specular streak or a collage seam beside the mouth, as the share of the cheek band
      beside the mouth that is > 10 Lab-L units brighter than the skin around it (normalised blur over the
      skin only, so the dark features do not pull the reference down);
    - brow_speckle: speckled or jagged brows (bright and dark hairs at the pixel scale, a double brow), as the
      ratio of the lightness detail finer than 1.5 px to the detail between 1.5 and 5 px in a band over the
      brows: a clean brow is a smooth dark band, a speckled one is all fine detail;
    - iris_contrast: smeared eyes (sources whose eyes did not line up), as the skin under the weaker eye minus
      the darkest 5% of its opening, in Lab-L units: an eye has a dark iris and lash line, a smear has none."""
    iod = float(np.linalg.norm(points[36:42].mean(axis=0) - points[42:48].mean(axis=0)))
    mouth = _region(points, range(48, 60), 1.15)
    features = (_region(points, range(17, 22), 1.5, 1) | _region(points, range(22, 27), 1.5, 1)
                | _region(points, range(36, 42), 1.6) | _region(points, range(42, 48), 1.6) | mouth)
    inner = cv2.erode((fill_polygon((FRAME, FRAME), cv2.convexHull(points[:27].astype(np.float32)).reshape(-1, 2))
                       > 0).astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    skin = inner & ~(cv2.dilate(features.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0)
    beside = (_region(points, range(48, 60), 1.9, -3) & ~_region(points, range(27, 36), 1.3)
              & ~(cv2.dilate(mouth.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0))
    band = ((_region(points, range(17, 22), 1.3, 2) | _region(points, range(22, 27), 1.3, 2))
            & ~_region(points, range(36, 42), 2.2, -2) & ~_region(points, range(42, 48), 2.2, -2))
    lum = cv2.cvtColor(np.clip(texture, 0, 255).astype(np.uint8), cv2.COLOR_RGB2LAB)[..., 0].astype(np.float32)
    m = skin.astype(np.float32)
    base = cv2.GaussianBlur(lum * m, (0, 0), iod / 3) / np.maximum(cv2.GaussianBlur(m, (0, 0), iod / 3), 1e-3)
    fine = lum - cv2.GaussianBlur(lum, (0, 0), 1.5)
    mid = cv2.GaussianBlur(lum, (0, 0), 1.5) - cv2.GaussianBlur(lum, (0, 0), 5)
    return {"glare": round(float(np.mean((lum - base)[beside] > 10)), 4),
            "brow_speckle": round(float(np.std(fine[band]) / max(float(np.std(mid[band])), 1e-3)), 4),
            "iris_contrast": round(_iris_contrast(lum, points), 2)}


def _iris_contrast(lum: np.ndarray, points: np.ndarray) -> float:
    """The weaker eye's darkness: median lightness of the skin just under the eye minus the darkest 5% of the eye
    opening (lightly smoothed, so one dark pixel does not count as an iris)."""
    smooth = cv2.GaussianBlur(lum, (0, 0), 0.8)
    contrast = []
    for eye in (range(36, 42), range(42, 48)):
        opening = _region(points, eye, 1.0)
        under = _region(points, eye, 2.4, 6) & ~_region(points, eye, 1.6)
        contrast.append(float(np.median(smooth[under])) - float(np.percentile(smooth[opening], 5)))
    return min(contrast)


def flaw_reasons(flaws: dict[str, float]) -> list[str]:
    reasons = []
    if flaws["glare"] > GLARE_LIMIT:
        reasons.append(f"glare or seam beside the mouth ({flaws['glare']:.2f} of the band > {GLARE_LIMIT})")
    if flaws["brow_speckle"] > SPECKLE_LIMIT:
        reasons.append(f"speckled brows (fine/mid detail {flaws['brow_speckle']:.2f} > {SPECKLE_LIMIT})")
    if flaws.get("iris_contrast", IRIS_LIMIT) < IRIS_LIMIT:
        reasons.append(f"smeared eyes (iris {flaws['iris_contrast']:.0f} L units under the skin < {IRIS_LIMIT:.0f})")
    return reasons
