"""The face mesh: 68 landmarks plus forehead points, and a piecewise-affine warp between two meshes.

A face texture lives in a fixed frame (the identity bank's mean shape). To put it on a face in a photo, every
triangle of the mesh is mapped affinely onto the same triangle of that face's mesh, so the new face has exactly
the target's landmark positions. The warp is computed as one dense map (a triangle-index raster plus one affine
per triangle) and applied with a single cv2.remap, which is several times faster than warping triangle by triangle.
"""

from __future__ import annotations

import cv2
import numpy as np

BROWS = slice(17, 27)
FOREHEAD_RAISE = (0.35, 0.7)      # rows of forehead points, in nose lengths above the brows
JAW = slice(0, 17)
RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)
INNER_MOUTH = slice(60, 68)
OUTER_MOUTH = slice(48, 60)
N_POINTS = 68 + 2 * 10


def mesh_points(landmarks68: np.ndarray) -> np.ndarray:
    """68 landmarks plus two rows of forehead points raised from the brows along the face's up direction."""
    lm = np.asarray(landmarks68, np.float64)
    up = lm[27] - lm[8]
    up /= max(float(np.linalg.norm(up)), 1e-6)
    nose_length = float(np.linalg.norm(lm[33] - lm[27]))
    brows = lm[BROWS]
    rows = [brows + up * k * nose_length for k in FOREHEAD_RAISE]
    return np.concatenate([lm, *rows])


def face_outline(points: np.ndarray) -> np.ndarray:
    """Convex outline of a mesh (jaw and top forehead row): the area a new face may cover."""
    return cv2.convexHull(np.concatenate([points[JAW], points[-10:]]).astype(np.float32)).reshape(-1, 2)


def fill_polygon(shape: tuple[int, int], polygon: np.ndarray, value: float = 1.0) -> np.ndarray:
    """float32 mask of `shape` with the polygon filled (sub-pixel vertices, anti-aliased edge)."""
    mask = np.zeros(shape, np.float32)
    pts = np.round(np.asarray(polygon, np.float64) * 16).astype(np.int32)
    cv2.fillPoly(mask, [pts], value, lineType=cv2.LINE_AA, shift=4)
    return mask


def _affines(src: np.ndarray, dst: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """T x 2 x 3 matrices mapping each destination triangle onto its source triangle."""
    d = dst[triangles]                                  # T x 3 x 2
    s = src[triangles]
    ones = np.ones((len(triangles), 3, 1))
    a = np.concatenate([d, ones], axis=2)               # T x 3 x 3
    # Degenerate (zero-area) triangles get a pseudo-inverse: they cover no pixel anyway.
    inv = np.linalg.pinv(a)
    return np.transpose(inv @ s, (0, 2, 1))             # T x 2 x 3


def warp_to_mesh(texture: np.ndarray, src_points: np.ndarray, dst_points: np.ndarray, triangles: np.ndarray,
                 out_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Warp `texture` (any channels) from its mesh onto `dst_points` in an image of `out_shape`.

    Returns (warped float32, coverage mask float32 in [0, 1]); pixels outside every triangle are 0.
    """
    h, w = out_shape
    labels = np.zeros((h, w), np.int32)
    dst = np.asarray(dst_points, np.float64)
    for i, tri in enumerate(triangles):
        pts = np.round(dst[tri] * 16).astype(np.int32)
        cv2.fillConvexPoly(labels, pts, i + 1, lineType=cv2.LINE_8, shift=4)
    mats = _affines(np.asarray(src_points, np.float64), dst, triangles)
    ys, xs = np.nonzero(labels)
    m = mats[labels[ys, xs] - 1]
    map_x = np.full((h, w), -1.0, np.float32)
    map_y = np.full((h, w), -1.0, np.float32)
    map_x[ys, xs] = m[:, 0, 0] * xs + m[:, 0, 1] * ys + m[:, 0, 2]
    map_y[ys, xs] = m[:, 1, 0] * xs + m[:, 1, 1] * ys + m[:, 1, 2]
    tex = np.asarray(texture, np.float32)
    warped = cv2.remap(tex, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    coverage = (labels > 0).astype(np.float32)
    if warped.ndim == 3:
        warped *= coverage[..., None]
    else:
        warped *= coverage
    return warped, coverage


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
