"""Which passing candidates ship: far apart from each other, and ordered so that neighbouring seeds differ."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from editor.anonymize.bank import skin_carried_out
from editor.anonymize.reshape import reshaped_landmarks
from editor.anonymize.synthesis import SynthesisStyle, synthesize_face
from editor.core.image_io import load_image

from .frame import Frame


def pair_distances(embeddings: dict[str, np.ndarray], thresholds: dict[str, float]) -> np.ndarray:
    """N x N: for each pair, the smaller of the recognizers' distances, each in units of its threshold."""
    out = None
    for name, e in embeddings.items():
        d = np.linalg.norm(e[:, None] - e[None], axis=2) / thresholds[name]
        out = d if out is None else np.minimum(out, d)
    return out


def pick_diverse(pair: np.ndarray, count: int) -> list[int]:
    """Greedy max-min selection: each pick is the candidate farthest from all picked so far."""
    chosen = [int(np.argmax(pair.sum(axis=1)))]
    while len(chosen) < min(count, len(pair)):
        d = pair[:, chosen].min(axis=1)
        d[chosen] = -1
        chosen.append(int(np.argmax(d)))
    return chosen


def group_blocks(blocks: list[np.ndarray]) -> np.ndarray:
    """The bank's N x N `apart` from each group's block (groups consecutive in the file); identities of two
    groups never meet on one face, so they count as always apart."""
    n = sum(len(b) for b in blocks)
    out = np.ones((n, n), np.float32)
    at = 0
    for b in blocks:
        out[at: at + len(b), at: at + len(b)] = b
        at += len(b)
    np.fill_diagonal(out, 0.0)
    return out


def far_tour(score: np.ndarray) -> list[int]:
    """A cyclic order whose neighbours score high: greedy best-next from the best start, then 2-opt passes that
    raise the weakest neighbour pair."""
    n = len(score)
    best = None
    for start in range(min(n, 8)):
        order = [start]
        while len(order) < n:
            s = score[order[-1]].copy()
            s[order] = -np.inf
            order.append(int(np.argmax(s)))
        if best is None or _tour_value(score, order) > _tour_value(score, best):
            best = order
    for _ in range(3):
        improved = False
        for i in range(1, n - 1):
            for j in range(i + 1, n):
                cand = best[:i] + best[i:j + 1][::-1] + best[j + 1:]
                if _tour_value(score, cand) > _tour_value(score, best):
                    best, improved = cand, True
        if not improved:
            break
    return best


def _tour_value(score: np.ndarray, order: list[int]) -> tuple[float, float]:
    e = score[order, order[1:] + order[:1]]
    return float(e.min()), float(e.mean())


def host_apart(textures: np.ndarray, offsets: np.ndarray, frame: Frame, hosts: list[tuple[np.ndarray, np.ndarray]],
               embedder, threshold: float, style: SynthesisStyle) -> np.ndarray:
    """M x M: on what share of the host faces two identities, each put on the face by the engine's synthesis,
    are at least `threshold` apart for the recognizer (dlib: the bank's own space)."""
    triangles, ring = frame.triangles, frame.ring_triangles
    per_host = []
    for rgb, lm in hosts:
        chips = []
        for tex, off in zip(textures, offsets):
            target = reshaped_landmarks(lm, off, frame.points)
            drawn = skin_carried_out(tex.astype(np.float32), frame.points)      # what the engine draws with
            patch = synthesize_face(rgb, lm, drawn, frame.points, triangles, ring, target, style)
            img = rgb.copy()
            view = img[patch.rect.slices]
            view[patch.mask] = patch.pixels[patch.mask]
            chips.append(embedder.chip(img, target))
        per_host.append(embedder.embed_chips(chips))
    embs = np.stack(per_host, axis=1)                       # M x H x D
    return (np.linalg.norm(embs[:, None] - embs[None], axis=3) >= threshold).mean(axis=2)


def host_faces(data: Path, names: list[str], landmarks: dict[str, np.ndarray], people: list[str], count: int,
               seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """One photo each of `count` of `people` (seeded): faces in any pose, as the engine meets them."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(sorted(people), size=min(count, len(people)), replace=False)
    out = []
    for p in chosen:
        photos = sorted(n for n in names if n.startswith(p + "/"))
        if photos:
            name = photos[int(rng.integers(len(photos)))]
            out.append((load_image(data / name).pixels, landmarks[name]))
    return out


