"""Collage candidates (eyes, nose, mouth and skin of four people) and the check against every source photo."""

from __future__ import annotations

import cv2
import numpy as np

from editor.anonymize.identity import SAME_PERSON, distance
from editor.anonymize.reshape import reshaped_landmarks
from editor.anonymize.synthesis import relit, synthesize_face

from .frame import FRAME, PARTS
from .sources import Sources

MIN_SOURCE_DISTANCE = SAME_PERSON
NATURAL_SHARE = 0.5            # candidates with the worst blemishes (odd colours, leftovers) are not shipped


def grey_render(texture: np.ndarray, src: Sources) -> np.ndarray:
    cov = src.coverage[..., None]
    return np.clip(cov * texture + (1 - cov) * 128.0, 0, 255).astype(np.uint8)


def make_candidate(rng: np.random.Generator, src: Sources, group_people: list[str], weights: np.ndarray) -> dict:
    """Four parts, each from a different person's photo that is clean in that part."""
    people, photos = [], []
    for k in range(len(PARTS)):
        options = [i for p in group_people if p not in people for i in src.by_person[p] if i in src.eligible[k]]
        photo = int(options[rng.integers(len(options))])
        photos.append(photo)
        people.append(str(src.person[photo]))
    skin = src.textures[photos[3]]
    parts = [relit(src.textures[i], skin, src.coverage, FRAME / 25) for i in photos[:3]] + [skin]
    texture = np.clip(sum(w[..., None] * t for w, t in zip(weights, parts)), 0, 255)
    # Continue the skin past the outline, so the engine's smooth warp never samples black at the face's edge.
    outside = (src.coverage < 0.5).astype(np.uint8)
    texture = cv2.inpaint(np.round(texture).astype(np.uint8), outside, 5, cv2.INPAINT_TELEA).astype(np.float64)
    offsets = np.zeros((68, 2))
    offsets[17:27] = src.offsets[photos[0]][17:27]
    offsets[36:48] = src.offsets[photos[0]][36:48]
    offsets[27:36] = src.offsets[photos[1]][27:36]
    return {"people": people, "photos": photos, "texture": texture, "offsets": offsets}


def source_check(candidate: dict, src: Sources, faces: dict, embedder) -> dict:
    """Distance from the identity to every photo of each source person; the smallest decides."""
    emb = embedder.embed(grey_render(candidate["texture"], src), src.points[:68])
    per_person = {}
    for p in candidate["people"]:
        d = [distance(emb, faces["emb"][i]) for i in src.photos_of[p]]
        per_person[p] = {"photos": len(d), "min_distance": round(min(d), 4)}
    built_from = {str(faces["paths"][i]): round(distance(emb, faces["emb"][i]), 4) for i in candidate["photos"]}
    worst = min(v["min_distance"] for v in per_person.values())
    return {"embedding": emb, "per_person": per_person, "built_from": built_from, "min_distance": worst}


def host_embeddings(candidate: dict, hosts: list[tuple[np.ndarray, np.ndarray]], src: Sources, embedder) -> np.ndarray:
    """The candidate rendered by the real engine on each host face, embedded (H x 128)."""
    out = []
    for rgb, lm in hosts:
        target = reshaped_landmarks(lm, candidate["offsets"], src.points)
        patch = synthesize_face(rgb, lm, candidate["texture"].astype(np.float32), src.points, src.triangles,
                                src.ring_triangles, target)
        img = rgb.copy()
        img[patch.rect.slices] = patch.pixels
        out.append(embedder.embed(img, target))
    return np.array(out)
