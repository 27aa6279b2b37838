"""Reshaping a face mesh: a ring around the face held fixed while inner points move (liquify), and a smooth
thin-plate-spline warp. The mesh itself and the piecewise-affine warp live in editor.vision.face_mesh (mask
removal with a reference uses them too); they are re-exported here for the engine's modules.
"""

from __future__ import annotations

import cv2
import numpy as np

from editor.vision.face_mesh import (BROWS, INNER_MOUTH, JAW, LEFT_EYE, N_POINTS, RIGHT_EYE, face_outline,
                                     fill_polygon, mesh_points, warp_to_mesh)

__all__ = ["BROWS", "INNER_MOUTH", "JAW", "LEFT_EYE", "N_POINTS", "RIGHT_EYE", "face_outline", "fill_polygon",
           "mesh_points", "warp_to_mesh", "RING_ANCHORS", "RING_SCALE", "ring_points", "liquify", "smooth_warp"]

# The outline anchors (jaw left to right, then the top forehead row right to left) and the ring around them:
# ring points stay fixed while inner points move, so a reshaped face blends into its surroundings smoothly.
RING_ANCHORS = tuple(range(0, 17, 2)) + tuple(range(87, 77, -2))
RING_SCALE = 1.35


def ring_points(points: np.ndarray) -> np.ndarray:
    centre = points[:68].mean(axis=0)
    return centre + RING_SCALE * (points[list(RING_ANCHORS)] - centre)


def liquify(image: np.ndarray, points: np.ndarray, moved: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """`image` (float32) with the mesh `points` moved to `moved`; `triangles` index the mesh plus its ring.

    Only triangles with a moved corner are re-sampled, so every other pixel keeps its exact value.
    """
    src = np.concatenate([points, ring_points(points)])
    dst = np.concatenate([moved, ring_points(points)])
    shift = np.linalg.norm(dst - src, axis=1) > 1e-3
    active = triangles[shift[triangles].any(axis=1)]
    if len(active) == 0:
        return image
    warped, coverage = warp_to_mesh(image, src, dst, active, image.shape[:2])
    inside = coverage > 0
    out = image.copy()
    out[inside] = warped[inside]
    return out


def _tps_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    return d2 * np.log(np.maximum(d2, 1e-12))


def smooth_warp(texture: np.ndarray, src_points: np.ndarray, dst_points: np.ndarray, out_shape: tuple[int, int],
                step: int = 4) -> np.ndarray:
    """Warp `texture` so `src_points` land on `dst_points`, with a thin-plate spline instead of triangles.

    A piecewise-affine warp bends along every triangle edge, which shows as creases across smooth skin when a
    face is far from the mean shape (a wide smile, a tilted head); the spline bends smoothly everywhere. It is
    evaluated every `step` pixels and interpolated, which is exact enough for a map this smooth.
    """
    dst = np.asarray(dst_points, np.float64)
    src = np.asarray(src_points, np.float64)
    scale = max(float(np.ptp(dst, axis=0).max()), 1.0)     # well-conditioned: fit in units of the face size
    p = dst / scale
    n = len(p)
    system = np.zeros((n + 3, n + 3))
    system[:n, :n] = _tps_kernel(p, p) + 1e-6 * np.eye(n)
    system[:n, n] = 1.0
    system[:n, n + 1:] = p
    system[n, :n] = 1.0
    system[n + 1:, :n] = p.T
    rhs = np.zeros((n + 3, 2))
    rhs[:n] = src
    coef = np.linalg.solve(system, rhs)
    h, w = out_shape
    gy, gx = np.mgrid[0:h + step:step, 0:w + step:step].astype(np.float64)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1) / scale
    mapped = _tps_kernel(grid, p) @ coef[:n] + coef[n] + grid @ coef[n + 1:]
    coarse = mapped.reshape(gx.shape + (2,)).astype(np.float32)
    # Bilinear between the samples, which sit at multiples of `step` (cv2.resize would shift them half a cell).
    at_x, at_y = np.meshgrid(np.arange(w, dtype=np.float32) / step, np.arange(h, dtype=np.float32) / step)
    dense = cv2.remap(coarse, at_x, at_y, cv2.INTER_LINEAR)
    map_x, map_y = np.ascontiguousarray(dense[..., 0]), np.ascontiguousarray(dense[..., 1])
    return cv2.remap(np.asarray(texture, np.float32), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
