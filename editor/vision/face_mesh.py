"""The face mesh: 68 landmarks plus forehead points, and a piecewise-affine warp between two meshes.

Shared by the anonymization engine (a synthetic face put on a photo's face) and reference-guided mask removal
(the person's own nose and mouth put under a mask), which live in sibling layers that may not import each other.

A texture is warped from one mesh onto another by mapping every triangle affinely onto the same triangle of the
other mesh, so the result has exactly the target's landmark positions. The warp is computed as one dense map
(a triangle-index raster plus one affine per triangle) and applied with a single cv2.remap, which is several
times faster than warping triangle by triangle.
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


def delaunay(points: np.ndarray) -> np.ndarray:
    """T x 3 indices of a Delaunay triangulation of `points` (N x 2)."""
    pts = np.asarray(points, np.float64)
    lo, hi = pts.min(axis=0) - 10, pts.max(axis=0) + 10
    subdiv = cv2.Subdiv2D((int(np.floor(lo[0])), int(np.floor(lo[1])), int(np.ceil(hi[0] - lo[0])) + 1,
                           int(np.ceil(hi[1] - lo[1])) + 1))
    for p in pts:
        subdiv.insert((float(p[0]), float(p[1])))
    triangles = []
    for tri in subdiv.getTriangleList().reshape(-1, 3, 2):
        # Subdiv2D answers with vertex coordinates: map them back to point indices (its outer frame has none).
        d = np.linalg.norm(pts[None, :, :] - tri[:, None, :], axis=2)
        nearest = d.argmin(axis=1)
        if np.all(d[np.arange(3), nearest] < 1e-3) and len(set(nearest.tolist())) == 3:
            triangles.append(nearest)
    return np.array(triangles, np.int32).reshape(-1, 3)
