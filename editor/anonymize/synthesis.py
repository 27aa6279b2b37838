"""Put a bank identity on one face of a photo, keeping its geometry, expression, gaze, skin tone and lighting.

Steps, on a crop around the face at a working resolution (the face at most WORK_SIDE pixels across):
0. reshape: move the original's brows, nose and eyes to the new identity's shape (`reshape.py`), warping the
   photo itself so the moved features and their surroundings stay continuous;
1. warp the identity's texture from the bank's mean shape onto the face's mesh (68 landmarks + forehead), so every
   landmark lands where the original's was (pose, expression, closed eyes follow from the geometry);
2. re-light: multiply by the ratio of the original's and the new face's low-pass images inside the face, which
   carries over skin tone, colour cast and shading while the identity's mid frequencies stay;
3. keep the original's eye openings (iris, sclera: the gaze) and mouth opening (teeth, tongue), feathered;
4. alpha-blend with an eroded, feathered face mask, so the edge lies on skin and shows no seam.
Only the change is brought back to full resolution (upsampled difference), so pixels outside the mask are
untouched and the photo's own grain stays.

Measured on 60 CelebA validation faces (bench/anonymize_bench.py) and left out: keeping the original's lips
(dlib matched more faces to their originals) and laying the original's fine grain over the new face (likewise:
-0.02 mean identity distance); a re-lighting low-pass of 0.5 eye distances kept more identity than 0.25.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from editor.core.geometry import Rect

from .mesh import (INNER_MOUTH, JAW, LEFT_EYE, RIGHT_EYE, face_outline, fill_polygon, liquify, mesh_points,
                   ring_points, smooth_warp)

WORK_SIDE = 256           # longest side of the face outline in the working crop


@dataclass(frozen=True)
class SynthesisStyle:
    """How strongly the new face follows the original (shares of the inter-ocular distance)."""

    light_sigma: float = 0.5      # low-pass of the re-lighting ratio: larger keeps more of the identity's shading
    edge_inset: float = 0.06      # the blend mask's edge lies this far inside the face outline
    edge_feather: float = 0.10    # softness of that edge
    keep_eyes: bool = True        # keep the original eye openings (gaze, iris colour, closed-eye lashes)
    keep_mouth: bool = True       # keep the original mouth opening (teeth, tongue)


@dataclass(frozen=True)
class FacePatch:
    """The anonymized pixels of `rect` and where inside it they differ from the photo (bool mask)."""

    rect: Rect
    pixels: np.ndarray
    mask: np.ndarray


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(x, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT)


def _crop_rect(points: np.ndarray, width: int, height: int) -> Rect:
    outline = np.concatenate([face_outline(points), ring_points(points)])
    lo, hi = outline.min(axis=0), outline.max(axis=0)
    pad = 2
    return Rect(int(np.floor(lo[0] - pad)), int(np.floor(lo[1] - pad)),
                int(np.ceil(hi[0] + pad)), int(np.ceil(hi[1] + pad))).clip(width, height)


def relit(new: np.ndarray, original: np.ndarray, support: np.ndarray, sigma: float) -> np.ndarray:
    """`new` times the ratio of low-pass(original) to low-pass(new), both averaged over `support` only."""
    weight = _blur(support, sigma)[..., None] + 1e-4
    low_orig = _blur(original * support[..., None], sigma) / weight
    low_new = _blur(new * support[..., None], sigma) / weight
    return new * np.clip((low_orig + 2.0) / (low_new + 2.0), 0.25, 4.0)


def _kept_openings(shape: tuple[int, int], pts: np.ndarray, iod: float, style: SynthesisStyle) -> np.ndarray:
    keep = np.zeros(shape, np.float32)
    if style.keep_eyes:
        for eye in (RIGHT_EYE, LEFT_EYE):
            keep = np.maximum(keep, fill_polygon(shape, pts[eye]))
    if style.keep_mouth:
        keep = np.maximum(keep, fill_polygon(shape, pts[INNER_MOUTH]))
    if keep.any():
        keep = np.clip(_blur(keep, max(0.6, 0.03 * iod)) * 1.5, 0.0, 1.0)
    return keep


def _blend_mask(shape: tuple[int, int], pts: np.ndarray, iod: float, style: SynthesisStyle) -> np.ndarray:
    """1 on the inner face, falling to 0 before the outline (jaw, and the upper forehead fades out)."""
    lower_forehead = pts[68:78]
    core = fill_polygon(shape, cv2.convexHull(np.concatenate([pts[JAW], lower_forehead]).astype(np.float32))
                        .reshape(-1, 2))
    inset = max(1, int(round(style.edge_inset * iod)))
    core = cv2.erode(core, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * inset + 1, 2 * inset + 1)))
    outer = fill_polygon(shape, face_outline(pts))
    return _blur(core, max(0.8, style.edge_feather * iod)) * outer


def synthesize_face(image: np.ndarray, landmarks68: np.ndarray, texture: np.ndarray, bank_points: np.ndarray,
                    triangles: np.ndarray, ring_triangles: np.ndarray, target68: np.ndarray | None = None,
                    style: SynthesisStyle = SynthesisStyle()) -> FacePatch:
    """The face with these landmarks re-drawn with `texture` (an identity in the bank's frame, whose mesh is
    `bank_points` / `triangles`), its features moved to `target68` (default: where they are)."""
    height, width = image.shape[:2]
    points = mesh_points(landmarks68)
    rect = _crop_rect(points, width, height)
    crop = image[rect.slices]
    extent = float(np.ptp(face_outline(points), axis=0).max())
    scale = min(1.0, WORK_SIDE / max(extent, 1.0))
    work_size = (max(1, round(rect.width * scale)), max(1, round(rect.height * scale)))
    work = cv2.resize(crop, work_size, interpolation=cv2.INTER_AREA) if scale < 1.0 else crop
    original = work.astype(np.float32)
    sx, sy = work_size[0] / rect.width, work_size[1] / rect.height
    pts = (points - (rect.x0, rect.y0)) * (sx, sy)
    if target68 is not None:
        moved = pts.copy()
        moved[:68] = (np.asarray(target68, np.float64) - (rect.x0, rect.y0)) * (sx, sy)
        work = liquify(original, pts, moved, ring_triangles)
        pts = moved
    else:
        work = original
    shape = work.shape[:2]

    new = smooth_warp(texture, bank_points, pts, shape)
    coverage = fill_polygon(shape, face_outline(pts))
    iod = float(np.linalg.norm(pts[RIGHT_EYE].mean(axis=0) - pts[LEFT_EYE].mean(axis=0)))
    keep = _kept_openings(shape, pts, iod, style)
    # The openings are left out of the lighting estimate: a dark open mouth or eye would bleed into the skin.
    new = relit(new, work, coverage * (1.0 - keep), max(1.0, style.light_sigma * iod))
    keep = keep[..., None]
    new = keep * work + (1.0 - keep) * new
    alpha = (_blend_mask(shape, pts, iod, style) * coverage)[..., None]
    delta = alpha * new + (1.0 - alpha) * work - original
    changed = np.abs(delta).max(axis=2) > 0
    if scale < 1.0:
        delta = cv2.resize(delta, (rect.width, rect.height), interpolation=cv2.INTER_LINEAR)
        changed = cv2.resize(changed.astype(np.uint8), (rect.width, rect.height), interpolation=cv2.INTER_LINEAR) > 0
        changed = cv2.dilate(changed.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    out = np.clip(crop.astype(np.float32) + delta + 0.5, 0, 255).astype(np.uint8)
    out[~changed] = crop[~changed]
    return FacePatch(rect, out, changed)
