"""The new identity's face shape: small moves of the brows, nose and eyes, inside the landmark-error budget.

A recognizer reads identity from shape as much as from skin texture: with the texture alone replaced, dlib still
matched a third of the faces to their originals. Each bank identity carries its own shape (its neutral landmarks'
deviation from the mean shape). That deviation is mapped into the target's pose and added to the target's own
landmarks on the features where shape carries identity per unit of landmark error (brows, nose, eye placement
and size; measured against jaw and mouth, which changed dlib's distance least). Eyes move rigidly (shift and
scale), so an eye's openness (a closed eye, a wink) is kept, and the mouth and jaw do not move at all (expression,
pose). The move is scaled to a fixed mean error, BUDGET of the inter-ocular distance, but never to more than
MAX_GAIN times the identity's own deviation, capped per point, and each brow keeps its gap to the eye within
GAP_LIMIT: an unbounded scaling made caricatures whose stretched eyelids showed as dark smudges.
"""

from __future__ import annotations

import numpy as np

from .mesh import LEFT_EYE, RIGHT_EYE

BUDGET = 0.035            # mean landmark move over the 68 points, share of the inter-ocular distance
CAP = 0.15                # no point moves further than this share of the inter-ocular distance
MAX_GAIN = 3.0            # an identity's shape is exaggerated at most this much
GAP_LIMIT = 0.12          # the brow-to-eye gap changes by at most this share: a wider one stretches the eyelid's
                          # shading into a dark smudge, a narrower one squashes the lid
EYE_SCALE_LIMIT = 0.15    # an eye grows or shrinks by at most this share: the exaggerated shape of some identities
                          # halved the eyes (the texture's eye squeezed into a slit, gone) or made them 1.5x wider
RESHAPED = slice(17, 48)  # brows 17-26, nose 27-35, eyes 36-47


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2 x 3 least-squares similarity (rotation, uniform scale, shift) mapping src points onto dst (Umeyama)."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    s, d = src - mu_s, dst - mu_d
    u, sv, vt = np.linalg.svd(d.T @ s / len(src))
    flip = np.diag([1.0, -1.0 if np.linalg.det(u) * np.linalg.det(vt) < 0 else 1.0])
    rot = u @ flip @ vt
    scale = float(np.trace(np.diag(sv) @ flip) / max(s.var(axis=0).sum(), 1e-12))
    return np.hstack([scale * rot, (mu_d - scale * rot @ mu_s)[:, None]])


def _rigid_eyes(landmarks: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    out = offsets.copy()
    for eye in (RIGHT_EYE, LEFT_EYE):
        pts = landmarks[eye]
        moved = pts + offsets[eye]
        scale = np.sqrt(abs(np.linalg.det(similarity(pts, moved)[:, :2])))
        centre = pts.mean(axis=0)
        out[eye] = moved.mean(axis=0) + scale * (pts - centre) - pts
    return out


def _limit_brow_gaps(lm: np.ndarray, offsets: np.ndarray) -> None:
    """Shift each brow's offsets along the face's up direction so its gap to the eye stays within GAP_LIMIT."""
    up = lm[27] - lm[8]
    up /= max(float(np.linalg.norm(up)), 1e-6)
    for brow, eye in ((slice(17, 22), RIGHT_EYE), (slice(22, 27), LEFT_EYE)):
        gap = float((lm[brow].mean(axis=0) - lm[eye].mean(axis=0)) @ up)
        new_gap = float(((lm[brow] + offsets[brow]).mean(axis=0) - (lm[eye] + offsets[eye]).mean(axis=0)) @ up)
        limited = float(np.clip(new_gap, gap * (1 - GAP_LIMIT), gap * (1 + GAP_LIMIT)))
        offsets[brow] += up * (limited - new_gap)


def _limit_eye_scales(lm: np.ndarray, offsets: np.ndarray) -> None:
    """Scale each moved eye about its own centre so its size stays within EYE_SCALE_LIMIT of the original's."""
    for eye in (RIGHT_EYE, LEFT_EYE):
        pts = lm[eye]
        moved = pts + offsets[eye]
        size = np.sqrt(abs(np.linalg.det(similarity(pts, moved)[:, :2])))
        limited = float(np.clip(size, 1.0 - EYE_SCALE_LIMIT, 1.0 + EYE_SCALE_LIMIT))
        if abs(limited - size) > 1e-9:
            centre = moved.mean(axis=0)
            offsets[eye] = centre + (limited / size) * (moved - centre) - pts


def reshaped_landmarks(landmarks68: np.ndarray, shape_offsets: np.ndarray, bank_points: np.ndarray,
                       budget: float = BUDGET) -> np.ndarray:
    """The target's landmarks with the identity's shape (68 x 2 offsets in the bank frame) mixed in."""
    lm = np.asarray(landmarks68, np.float64)
    if budget <= 0:
        return lm.copy()
    to_target = similarity(bank_points[:68], lm)
    offsets = np.asarray(shape_offsets, np.float64) @ to_target[:, :2].T
    offsets = _rigid_eyes(lm, offsets)
    keep = np.zeros((68, 1))
    keep[RESHAPED] = 1.0
    offsets *= keep
    iod = max(float(np.linalg.norm(lm[36] - lm[45])), 1e-6)
    mean_move = float(np.linalg.norm(offsets, axis=1).mean()) / iod
    if mean_move < 1e-9:
        return lm.copy()
    # A larger budget (the Strong strength) raises the exaggeration and per-point limits with it.
    scale = budget / BUDGET
    offsets *= min(budget / mean_move, MAX_GAIN * scale)
    length = np.linalg.norm(offsets, axis=1, keepdims=True) / iod
    offsets *= np.minimum(1.0, CAP * scale / np.maximum(length, 1e-12))
    _limit_eye_scales(lm, offsets)
    _limit_brow_gaps(lm, offsets)
    return lm + offsets
