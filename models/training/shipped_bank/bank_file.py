"""The bank file (identities.npz): encoded textures, the frame's mesh, groups, tour, `apart` and descriptors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from editor.anonymize.mesh import face_outline, fill_polygon
from models.training.reproducible_npz import save_npz_reproducible

from .frame import FRAME

JPEG_QUALITY = 92


def texture_descriptors(jpeg: np.ndarray, offsets: np.ndarray, points: np.ndarray, embedder) -> np.ndarray:
    """Each identity as the engine decodes it, rendered on grey at the mean shape, embedded (N x 128): the engine
    retries a face with the identities farthest from it first."""
    mesh = np.asarray(points, np.float64)
    cover = fill_polygon((FRAME, FRAME), face_outline(mesh))[..., None]
    out = []
    for k in range(len(offsets) - 1):
        bgr = cv2.imdecode(jpeg[offsets[k]: offsets[k + 1]], cv2.IMREAD_COLOR)
        texture = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32)
        grey = np.clip(cover * texture + (1 - cover) * 128.0, 0, 255).astype(np.uint8)
        out.append(embedder.embed(grey, mesh[:68]))
    return np.array(out, np.float32)


def write_bank(out: Path, picked: list[dict], src, centres: np.ndarray, embedder, apart: np.ndarray,
               jpeg: list[np.ndarray] | None = None) -> Path:
    """`picked` is in tour order (each group's identities consecutive), so the tour is simply 0..N-1. `src` gives
    the frame's mesh (Sources, or a bank); `apart` (N x N, in `picked`'s order) on what share of host faces two
    identities' renders are >= 0.6 apart; `jpeg`, when given, are the textures already encoded (kept as they are:
    a second encoding would blur them)."""
    blobs = list(jpeg) if jpeg is not None else []
    for c in picked if jpeg is None else []:
        blobs.append(encoded(c["texture"]))
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in blobs])]).astype(np.int64)
    jpeg = np.concatenate(blobs).astype(np.uint8)
    descriptors = texture_descriptors(jpeg, offsets, src.points.astype(np.float32), embedder)
    return save_npz_reproducible(
        out / "identities.npz", ids=np.array([c["id"] for c in picked]), jpeg=jpeg, offsets=offsets,
        points=src.points.astype(np.float32), triangles=src.triangles, ring_triangles=src.ring_triangles,
        shape_offsets=np.array([c["offsets"] for c in picked], np.float32),
        groups=np.array([c["group"] for c in picked], np.int32), group_centres=centres,
        tour=np.arange(len(picked)), apart=np.asarray(apart, np.float32), descriptors=descriptors)


def jpeg_of(bank, k: int) -> np.ndarray:
    return bank.jpeg[bank.offsets[k]: bank.offsets[k + 1]]


def encoded(texture: np.ndarray) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(np.round(texture).astype(np.uint8), cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return buf.ravel()
