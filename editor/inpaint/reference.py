"""Reference-guided mask removal: the person's own nose, mouth and chin, taken from another photo of them.

The learned face model can only guess what a mask hides. When the user has an unmasked photo of the same person
(a client's portrait, an ID photo), its lower face is the real one. Per face:

1. **Where the hidden landmarks are.** dlib's 68 points on a masked face are reliable above the mask (brows,
   eyes, nose bridge) and guesswork below it. `hidden_landmarks` maps the reference's points onto the masked
   face by the similarity that best fits the visible ones (the reference's proportions at the masked face's
   position, size and roll); the caller may combine that with other estimates (editor.services.reference_unmask
   averages it with dlib's points on the learned model's fill).
2. **Warp.** The reference face is cut into triangles over its 68 points plus forehead points
   (editor.vision.face_mesh) and each triangle is mapped affinely onto the masked face's mesh: pose and
   expression follow the masked face wherever its landmarks are known.
3. **Relight.** The reference was taken under other light. The log-ratio photo/reference per channel is taken
   over the face: the known pixels in a ring around the hole, and the learned model's fill inside it (blurry, but
   its low frequencies are the light the model read from the whole face). A Gaussian of LIGHT_SIGMA eye
   distances spreads it (normalised convolution, held to the mean far from any sample): a smooth gain field that
   carries the photo's colour and shading onto the reference's texture, but none of the fill's blur. Measuring
   the ring alone left bright seams where the ring is short (the mask's sides reach the hair), which the fill
   removes.
4. **Blend.** Inside the face outline the relit reference replaces the learned model's fill, faded in over a
   band along the outline; beyond it (neck, background under the jaw) the model's fill stays. The hole's own
   feathered alpha then blends the result into the photo, as for the model alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from editor.core.geometry import Rect
from editor.vision.face_mesh import delaunay, face_outline, mesh_points, warp_to_mesh

# 68-point indices visible above a face mask: brows, the top of the nose bridge, both eyes.
VISIBLE = tuple(range(17, 29)) + tuple(range(36, 48))
RING_WIDTH = 0.5         # eye distances of known skin around the hole that join in setting the light
LIGHT_SIGMA = 0.45       # eye distances: the gain field's blur (low frequency only: no detail leaks in)
OUTLINE_FEATHER = 0.15   # eye distances over which the reference fades in inside the face outline
PRIOR_WEIGHT = 0.05      # how strongly the mean gain holds far from every sample


@dataclass(frozen=True)
class ReferenceFace:
    """The unmasked photo of the same person (RGB uint8) and its face's 68 landmarks."""

    image: np.ndarray
    landmarks68: np.ndarray


@dataclass(frozen=True)
class ReferenceFill:
    rect: Rect               # the image rect whose new pixels are `pixels`
    pixels: np.ndarray
    covered: float           # share of the hole the reference filled (the rest is the model's)


def eye_distance(landmarks68: np.ndarray) -> float:
    lm = np.asarray(landmarks68, np.float64)
    return float(np.linalg.norm(lm[36:42].mean(0) - lm[42:48].mean(0)))


def hidden_landmarks(masked68: np.ndarray, reference68: np.ndarray) -> np.ndarray:
    """68 landmarks for a masked face: its own visible ones, the rest the reference's mapped by the similarity
    that fits the visible ones best."""
    target = np.asarray(masked68, np.float64)
    source = np.asarray(reference68, np.float64)
    idx = list(VISIBLE)
    matrix, _ = cv2.estimateAffinePartial2D(source[idx], target[idx], method=cv2.LMEDS)
    if matrix is None:
        raise ValueError("the visible landmarks do not give a usable alignment")
    mapped = source @ matrix[:, :2].T + matrix[:, 2]
    mapped[idx] = target[idx]
    return mapped


def _scaled_reference(reference: ReferenceFace, target_eyes: float) -> tuple[np.ndarray, np.ndarray]:
    """The reference's face crop, shrunk (area-averaged) when its face is bigger than the target's, so the warp
    never samples it sparsely; and its landmarks in that crop."""
    lm = np.asarray(reference.landmarks68, np.float64)
    h, w = reference.image.shape[:2]
    eyes = eye_distance(lm)
    lo = np.floor(lm.min(axis=0) - 1.5 * eyes).astype(int)
    hi = np.ceil(lm.max(axis=0) + 1.5 * eyes).astype(int)
    x0, y0 = max(0, lo[0]), max(0, lo[1])
    x1, y1 = min(w, hi[0]), min(h, hi[1])
    crop = reference.image[y0:y1, x0:x1]
    lm = lm - [x0, y0]
    scale = target_eyes / max(eyes, 1e-6)
    if scale < 0.8:
        small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        fx, fy = small.shape[1] / crop.shape[1], small.shape[0] / crop.shape[0]
        lm = (lm + 0.5) * [fx, fy] - 0.5          # pixel centres
        crop = small
    return crop, lm


def _gain_field(photo: np.ndarray, warped: np.ndarray, where: np.ndarray, sigma: float) -> np.ndarray:
    """Per-channel log gain photo/reference: measured `where`, spread smoothly over the whole area."""
    log_ratio = np.log1p(photo) - np.log1p(warped)
    weight = where.astype(np.float32)
    if weight.sum() < 1:
        return np.zeros_like(photo)
    mean = (log_ratio * weight[..., None]).sum(axis=(0, 1)) / weight.sum()
    blur = lambda a: cv2.GaussianBlur(a, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
    spread = blur(weight)
    prior = PRIOR_WEIGHT * float(spread.max())
    numerator = blur(np.ascontiguousarray(log_ratio * weight[..., None]))
    return (numerator + prior * mean) / (spread + prior)[..., None]


def fill_from_reference(photo: np.ndarray, model_fill: np.ndarray, hole_rect: Rect, hole_alpha: np.ndarray,
                        target68: np.ndarray, reference: ReferenceFace) -> ReferenceFill:
    """New pixels for `hole_rect`: the reference's face warped onto `target68`, relit and blended.

    `photo` is the masked photo (its pixels outside the hole are what the light is matched to), `model_fill` the
    same photo with the learned model's fill in the hole (kept where the reference's face does not reach),
    `hole_alpha` the hole's uint8 alpha over `hole_rect` (255 = replaced).
    """
    height, width = photo.shape[:2]
    eyes = eye_distance(target68)
    crop, ref68 = _scaled_reference(reference, eyes)
    dst_mesh = mesh_points(target68)
    outline = face_outline(dst_mesh)
    lo = np.floor(np.minimum(outline.min(axis=0), [hole_rect.x0, hole_rect.y0]) - RING_WIDTH * eyes).astype(int)
    hi = np.ceil(np.maximum(outline.max(axis=0), [hole_rect.x1, hole_rect.y1]) + RING_WIDTH * eyes).astype(int)
    area = Rect(int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1])).clip(width, height)
    offset = np.array([area.x0, area.y0], np.float64)

    src_mesh = mesh_points(ref68)
    warped, coverage = warp_to_mesh(crop, src_mesh, dst_mesh - offset, delaunay(src_mesh),
                                    (area.height, area.width))
    hole = np.zeros((area.height, area.width), np.float32)
    hy, hx = hole_rect.y0 - area.y0, hole_rect.x0 - area.x0
    hole[hy:hy + hole_rect.height, hx:hx + hole_rect.width] = hole_alpha.astype(np.float32) / 255.0

    # Where the reference's face is, measured inwards from its outline: the ring must be on skin, and the
    # reference fades in over a band along the outline.
    inside = cv2.distanceTransform((coverage > 0).astype(np.uint8), cv2.DIST_L2, 3)
    from_hole = cv2.distanceTransform((hole == 0).astype(np.uint8), cv2.DIST_L2, 3)
    near = (from_hole <= RING_WIDTH * eyes) & (inside > 2)
    known = photo[area.slices].astype(np.float32)
    base = model_fill[area.slices].astype(np.float32)
    # The light comes from the photo around the hole and from the model's fill inside it: the fill is blurry, but
    # its low frequencies (shading, colour) are what the model learnt from the whole face, and they are all the
    # gain field keeps.
    gain = _gain_field(base, warped, near, LIGHT_SIGMA * eyes)
    relit = np.clip(np.expm1(np.log1p(warped) + gain), 0, 255)

    face_weight = np.clip(inside / max(OUTLINE_FEATHER * eyes, 1.0), 0.0, 1.0)[..., None]
    inner = face_weight * relit + (1.0 - face_weight) * base
    a = hole[..., None]
    blended = known * (1.0 - a) + inner * a
    out = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    local = out[hy:hy + hole_rect.height, hx:hx + hole_rect.width]
    in_hole = hole_alpha > 0
    covered = float(face_weight[hy:hy + hole_rect.height, hx:hx + hole_rect.width, 0][in_hole].mean()) \
        if in_hole.any() else 0.0
    return ReferenceFill(hole_rect, local, covered)

