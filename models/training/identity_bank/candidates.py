"""Morph candidates and the check that none of them is one of its source people."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from editor.anonymize.synthesis import relit

from .frame import Frame

MIX = 3                   # people per identity
CONCENTRATION = 6.0       # Dirichlet concentration of their shares (high: near-equal shares)
FAR_SHARE = 0.5           # each further person is drawn from the half of the group farthest from those chosen
SHARPEN = 0.4             # detail lost where two faces' fine features do not coincide is partly restored
LIGHT_SIGMA = 1 / 8       # share of the frame: the second source takes the first's light below this scale


def appearance_groups(means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two clusters of people (2-means on their mean dlib descriptors): on CelebA they split by apparent gender;
    a face is only given identities of its own group, so it keeps its broad look."""
    centres = means[[0, int(np.argmax(np.linalg.norm(means - means[0], axis=1)))]]
    for _ in range(100):
        label = np.argmin(((means[:, None] - centres[None]) ** 2).sum(-1), axis=1)
        centres = np.array([means[label == k].mean(axis=0) for k in range(2)])
    return centres.astype(np.float32), label


def morph(textures: list[np.ndarray], weights: np.ndarray, frame: Frame) -> np.ndarray:
    """The textures (in the frame) mixed by `weights`, all under the first one's light, with the outline's outside
    filled with the face's own skin (the engine's blend reaches a little past the outline)."""
    cover = frame.coverage
    first = textures[0].astype(np.float32)
    lit = [first] + [relit(t.astype(np.float32), first, cover, LIGHT_SIGMA * frame.size) for t in textures[1:]]
    mixed = sum(w * t for w, t in zip(weights, lit))
    mixed = mixed + SHARPEN * (mixed - cv2.GaussianBlur(mixed, (0, 0), 1.0))
    outside = (cv2.erode(cover, np.ones((3, 3), np.uint8)) < 0.5).astype(np.uint8)
    return cv2.inpaint(np.clip(np.round(mixed), 0, 255).astype(np.uint8), outside, 7, cv2.INPAINT_TELEA)


def pick_people(rng: np.random.Generator, members: list[str], person_means: dict[str, np.ndarray]) -> list[str]:
    """MIX people of a group: the first at random, each next one among the half of the rest farthest (mean dlib
    descriptor) from those already chosen: a morph of look-alikes would look like both of them."""
    chosen = [str(rng.choice(members))]
    while len(chosen) < MIX:
        rest = [m for m in members if m not in chosen]
        far = np.array([min(np.linalg.norm(person_means[m] - person_means[c]) for c in chosen) for m in rest])
        top = [rest[i] for i in np.argsort(-far)[: max(1, int(len(rest) * FAR_SHARE))]]
        chosen.append(str(rng.choice(top)))
    return chosen


def build_candidates(out: Path, sources: dict, groups: dict[str, int], recognizers, photo_vectors: dict,
                     person_means: dict[str, np.ndarray], cuts: dict[str, float], count: int, seed: int,
                     margin: float) -> None:
    """`count` morphs (alternating groups), each embedded on grey by every recognizer and compared with every
    photo of each of its people (`photo_vectors[name]`: (people labels, vectors)); `passed` when every distance is
    at least (1 + margin) times the recognizer's cut for this setting (calibrate.py)."""
    frame = Frame(sources["points"])
    names = [str(n) for n in sources["names"]]
    person = np.array([n.split("/")[0] for n in names])
    by_group = {g: sorted({p for p in person if groups[p] == g}) for g in (0, 1)}
    textures, rows = [], []
    for c in range(count):
        rng = np.random.default_rng([seed, c])
        group = c % 2
        chosen = pick_people(rng, by_group[group], person_means)
        photos = [int(rng.choice(np.flatnonzero(person == p))) for p in chosen]
        weights = rng.dirichlet([CONCENTRATION] * MIX)
        texture = morph([sources["textures"][i] for i in photos], weights, frame)
        offsets = sum(w * frame.shape_offsets(sources["landmarks"][i]) for w, i in zip(weights, photos))
        grey = frame.on_grey(texture.astype(np.float32))
        row = {"group": group, "people": chosen, "photos": [names[i] for i in photos],
               "weight": [round(float(w), 4) for w in weights], "offsets": offsets, "embeddings": {}, "nearest": {}}
        passed = True
        for rec in recognizers:
            emb = rec.embedder.embed(grey, frame.points[:68])
            labels, vectors = photo_vectors[rec.name]
            nearest = {}
            for p in chosen:
                d = np.linalg.norm(vectors[labels == p] - emb[None], axis=1)
                nearest[str(p)] = {"photos": int(len(d)), "min_distance": round(float(d.min()), 4)}
                passed &= bool(d.min() >= (1 + margin) * cuts[rec.name])
            row["embeddings"][rec.name] = emb
            row["nearest"][rec.name] = nearest
        row["passed"] = passed
        textures.append(texture)
        rows.append(row)
        if (c + 1) % 100 == 0:
            print(f"  {c + 1}/{count} candidates, {sum(r['passed'] for r in rows)} passed", flush=True)
    names_rec = [r.name for r in recognizers]
    np.savez_compressed(
        out, textures=np.array(textures, np.uint8), offsets=np.array([r["offsets"] for r in rows], np.float32),
        group=np.array([r["group"] for r in rows]), passed=np.array([r["passed"] for r in rows]),
        weight=np.array([r["weight"] for r in rows]), people=np.array([r["people"] for r in rows]),
        photos=np.array([r["photos"] for r in rows]),
        **{f"emb_{n}": np.array([r["embeddings"][n] for r in rows], np.float32) for n in names_rec},
        **{f"nearest_{n}": np.array([[r["nearest"][n][p]["min_distance"] for p in r["people"]] for r in rows])
           for n in names_rec},
        **{f"photos_{n}": np.array([[r["nearest"][n][p]["photos"] for p in r["people"]] for r in rows])
           for n in names_rec})
