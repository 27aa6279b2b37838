"""Identities rendered on host faces, how often two of them stay apart, and the tour that orders each group."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from editor.anonymize.bank import skin_carried_out
from editor.anonymize.identity import SAME_PERSON, distance
from editor.anonymize.reshape import reshaped_landmarks
from editor.anonymize.synthesis import synthesize_face
from editor.core.image_io import load_image

TOUR_HOSTS = 48                # training faces per group the identities are rendered on to order the tour
TOUR_APART = 0.85              # a group's tour neighbours should be apart on this share of the hosts...
MIN_GROUP = 15                 # ...and identities close to many others are dropped for it, down to this many
LANES = 3                      # group sizes stay a multiple of this: the shipped bank's tours were pruned so that
                               # three retry lanes never meet on one identity, and a rebuild reproduces that bank
POOL_FOR_TOUR = 24             # pruned_tour costs seconds a step on more: a larger pool is thinned to this first


def host_pair_distances(host_embs: np.ndarray) -> np.ndarray:
    """N x N: distance between two candidates rendered on the same host, averaged over the hosts."""
    return np.mean([np.linalg.norm(host_embs[:, h, None] - host_embs[None, :, h], axis=2)
                    for h in range(host_embs.shape[1])], axis=0)


def host_apart_share(host_embs: np.ndarray, threshold: float = SAME_PERSON) -> np.ndarray:
    """M x M: on what share of the hosts two identities' renders (M x hosts x D) are >= `threshold` apart."""
    return apart_for_all([(host_embs, threshold)])


def apart_for_all(judged: Sequence[tuple[np.ndarray, float]]) -> np.ndarray:
    """M x M: on what share of the hosts two identities' renders are another person for every recognizer at once;
    `judged` holds each recognizer's renders (M x hosts x D) with its same-person threshold. Two seeds give two
    people only when every recognizer the engine verifies with says so, so the tour is ordered by that."""
    apart = None
    for embs, threshold in judged:
        each = np.stack([np.linalg.norm(embs[:, None, h] - embs[None, :, h], axis=2) >= threshold
                         for h in range(embs.shape[1])], axis=2)
        apart = each if apart is None else apart & each
    return apart.mean(axis=2)


def far_tour(pair: np.ndarray, mean_first: bool = False) -> list[int]:
    """A cyclic order whose neighbours are far apart: greedy farthest-next from every start, then 2-opt moves
    that raise the closest neighbour pair (with `mean_first`, the mean over the neighbours, then the closest);
    the best tour wins."""
    n = len(pair)

    def edges(order: list[int]) -> np.ndarray:
        return pair[order, order[1:] + order[:1]]

    def score(order: list[int]) -> tuple[float, float]:
        e = edges(order)
        return (float(e.mean()), float(e.min())) if mean_first else (float(e.min()), float(e.mean()))

    best = None
    for start in range(n):
        order = [start]
        while len(order) < n:
            d = pair[order[-1]].copy()
            d[order] = -1
            order.append(int(np.argmax(d)))
        improved = True
        while improved:
            improved = False
            for i in range(1, n - 1):
                for j in range(i + 1, n):
                    candidate = order[:i] + order[i:j + 1][::-1] + order[j + 1:]
                    if score(candidate) > score(order):
                        order, improved = candidate, True
        if best is None or score(order) > score(best):
            best = order
    return best


def training_hosts(data: Path, faces: dict, centres: np.ndarray, per_group: int, seed: int) -> list[list[tuple]]:
    """`per_group` photos of different training people per appearance group (any pose, as the photos to be
    anonymized come), as (RGB, 68 landmarks)."""
    rng = np.random.default_rng(seed)
    person = [p.split("/")[0] for p in faces["paths"]]
    hosts: list[list[tuple]] = [[], []]
    seen: set[str] = set()
    for i in rng.permutation(len(person)):
        group = int(np.argmin([distance(faces["emb"][i], c) for c in centres]))
        if person[i] in seen or len(hosts[group]) >= per_group:
            continue
        seen.add(person[i])
        hosts[group].append((load_image(data / faces["paths"][i]).pixels, faces["lm"][i].astype(np.float64)))
    return hosts


def rendered_apart(bank, members: list[int], hosts: list[tuple], recognizers, style) -> np.ndarray:
    """M x M: on what share of the hosts two identities, each rendered by the engine's path, are another person
    for every recognizer (`recognizers`: the engine's, each with its data-chosen threshold)."""
    return rendered_apart_looks(bank, [(bank.texture(k), bank.shape_offsets[k]) for k in members], hosts,
                                recognizers, style)


def rendered_apart_looks(mesh, looks: list[tuple[np.ndarray, np.ndarray]], hosts: list[tuple], recognizers,
                         style) -> np.ndarray:
    """`rendered_apart` for (texture, shape offsets) pairs, in the frame of `mesh` (a bank)."""
    embs = rendered_embeddings(mesh, looks, hosts, recognizers, style)
    return apart_for_all([(embs[r.name], r.threshold) for r in recognizers])


def rendered_embeddings(mesh, looks: list[tuple[np.ndarray, np.ndarray]], hosts: list[tuple], recognizers,
                        style) -> dict[str, np.ndarray]:
    """Each (texture, shape offsets) rendered by the engine's path on each host and embedded by each recognizer:
    {name: M x H x D}. `mesh` gives the frame (a bank)."""
    embs: dict[str, np.ndarray] = {}
    drawn = [skin_carried_out(texture, mesh.points) for texture, _ in looks]     # what the engine draws with
    for h, (rgb, lm) in enumerate(hosts):
        for m, (_, offsets) in enumerate(looks):
            target = reshaped_landmarks(lm, offsets, mesh.points)
            patch = synthesize_face(rgb, lm, drawn[m], mesh.points, mesh.triangles, mesh.ring_triangles, target,
                                    style)
            img = rgb.copy()
            img[patch.rect.slices][patch.mask] = patch.pixels[patch.mask]
            for rec in recognizers:
                vector = rec.embed_faces(img, [target])[0]
                if rec.name not in embs:
                    embs[rec.name] = np.zeros((len(looks), len(hosts), len(vector)), np.float32)
                embs[rec.name][m, h] = vector
    return embs


def thinned(apart: np.ndarray, size: int) -> list[int]:
    """Indices of at most `size` identities: while more remain, the one whose second-best partner (a tour
    gives each identity two neighbours) is closest on the most hosts is dropped."""
    idx = list(range(len(apart)))
    while len(idx) > size:
        sub = apart[np.ix_(idx, idx)]
        second = np.sort(sub, axis=1)[:, -2]
        idx.pop(int(np.lexsort((sub.mean(axis=1), second))[0]))
    return idx


def pruned_tour(apart: np.ndarray, target: float, min_size: int) -> tuple[list[int], list[tuple[int, float, float]]]:
    """The best tour (neighbours apart on the most hosts) after dropping, one at a time, the identity whose removal
    raises the tour's share the most, while it is under `target` and more than `min_size` remain, and until the
    count is a multiple of LANES: an identity that looks like
    many others on real faces forces close neighbours onto the tour. Returns the tour (indices into `apart`)
    and the drops as (index, share before, share after)."""
    def best(idx: list[int]) -> tuple[float, list[int]]:
        sub = apart[np.ix_(idx, idx)]
        order = far_tour(sub, mean_first=True)
        return float(sub[order, order[1:] + order[:1]].mean()), [idx[i] for i in order]

    idx = list(range(len(apart)))
    share, order = best(idx)
    drops = []
    while (share < target and len(idx) > min_size) or len(idx) % LANES:
        gains = {r: best([i for i in idx if i != r]) for r in idx}
        r = max(gains, key=lambda k: gains[k][0])
        drops.append((r, share, gains[r][0]))
        idx.remove(r)
        share, order = gains[r]
    return order, drops
