"""The bank's frame: one mean-shape mesh (68 landmarks + forehead points) in a square texture, with room beyond
the face outline (the engine blends the new face a little past the outline)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from editor.anonymize.mesh import face_outline, fill_polygon, mesh_points, ring_points, smooth_warp
from editor.anonymize.reshape import similarity

SIZE = 192                # texture side in pixels
MARGIN = 0.12             # share of the side left around the mesh on each side


def mean_mesh(meshes: np.ndarray, size: int = SIZE, margin: float = MARGIN) -> np.ndarray:
    """Generalised Procrustes mean of the meshes, scaled and centred in the frame."""
    ref = meshes[0]
    for _ in range(4):
        aligned = []
        for m in meshes:
            t = similarity(m, ref)
            aligned.append(m @ t[:, :2].T + t[:, 2])
        ref = np.mean(aligned, axis=0)
    lo, hi = ref.min(axis=0), ref.max(axis=0)
    scale = size * (1 - 2 * margin) / float((hi - lo).max())
    return (ref - (lo + hi) / 2) * scale + size / 2


def delaunay(points: np.ndarray) -> np.ndarray:
    """Delaunay triangles (as point indices) with OpenCV's Subdiv2D."""
    lo, hi = points.min(axis=0) - 10, points.max(axis=0) + 10
    sub = cv2.Subdiv2D((int(lo[0]), int(lo[1]), int(hi[0] - lo[0]) + 1, int(hi[1] - lo[1]) + 1))
    for p in points:
        sub.insert((float(p[0]), float(p[1])))
    tris = []
    for t in sub.getTriangleList().reshape(-1, 3, 2):
        idx = [int(np.argmin(np.linalg.norm(points - v, axis=1))) for v in t]
        if len(set(idx)) == 3 and np.allclose(points[idx], t, atol=1e-3):
            tris.append(sorted(idx))
    return np.array(sorted(set(map(tuple, tris))), np.int32)


@dataclass(frozen=True, eq=False)
class Frame:
    """The mesh and what derives from it, each computed once (a candidate loop reads the coverage per morph)."""

    points: np.ndarray            # N_POINTS x 2
    size: int = SIZE

    @cached_property
    def triangles(self) -> np.ndarray:
        return delaunay(self.points)

    @cached_property
    def ring_triangles(self) -> np.ndarray:
        return delaunay(np.concatenate([self.points, ring_points(self.points)]))

    @cached_property
    def coverage(self) -> np.ndarray:
        return fill_polygon((self.size, self.size), face_outline(self.points))

    def warped(self, rgb: np.ndarray, landmarks68: np.ndarray) -> np.ndarray:
        """A photo's face in the frame (float32 RGB), smooth (thin-plate spline) so no triangle creases show."""
        return smooth_warp(rgb.astype(np.float32), mesh_points(landmarks68), self.points, (self.size, self.size))

    def shape_offsets(self, landmarks68: np.ndarray) -> np.ndarray:
        """The face's 68 landmarks, similarity-aligned to the frame, minus the mean shape: its own shape."""
        lm = np.asarray(landmarks68, np.float64)
        t = similarity(lm, self.points[:68])
        return lm @ t[:, :2].T + t[:, 2] - self.points[:68]

    def on_grey(self, texture: np.ndarray) -> np.ndarray:
        """The texture inside the face outline on mid grey: what the recognizers judge an identity by."""
        cov = self.coverage[..., None]
        return np.clip(cov * texture + (1 - cov) * 128.0, 0, 255).astype(np.uint8)


def frame_for(landmarks: list[np.ndarray]) -> Frame:
    return Frame(mean_mesh(np.array([mesh_points(lm) for lm in landmarks])))
