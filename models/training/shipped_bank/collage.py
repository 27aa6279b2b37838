"""Collage candidates (eyes, nose, mouth and skin of four people) and the check against every source photo
(source_judges: every recognizer, each at its cut for grey renders)."""

from __future__ import annotations

import cv2
import numpy as np

from editor.anonymize.bank import skin_carried_out
from editor.anonymize.reshape import reshaped_landmarks
from editor.anonymize.synthesis import relit, synthesize_face

from .frame import FRAME, PARTS
from .sources import Sources

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


def source_check(candidate: dict, src: Sources, faces: dict, judges) -> dict:
    """Distance from the identity, rendered on grey, to every photo of each source person by every recognizer
    of `judges` (SourceJudges); the smallest per recognizer decides."""
    return judges.judge(grey_render(candidate["texture"], src), src.points[:68],
                        {p: src.photos_of[p] for p in candidate["people"]},
                        {str(faces["paths"][i]): i for i in candidate["photos"]})


def checked_candidate(rng: np.random.Generator, src: Sources, group_people: list[str], weights: np.ndarray,
                      faces: dict, judges, group: int, passed_by: dict[str, int]) -> dict | None:
    """One collage of `group_people`, kept (with its check, group and blemish residual) only when it passes the
    source check; `passed_by` counts, per recognizer, the candidates it let through."""
    cand = make_candidate(rng, src, group_people, weights)
    check = source_check(cand, src, faces, judges)
    for name, ok in check["passed_by"].items():
        passed_by[name] += ok
    if not check["passed"]:
        return None
    cand.update(check=check, group=group,
                residual=src.blemish(cand["texture"], cv2.erode(src.coverage, np.ones((9, 9), np.uint8)) > 0))
    return cand


def host_embeddings(candidate: dict, hosts: list[tuple[np.ndarray, np.ndarray]], src: Sources, embedder) -> np.ndarray:
    """The candidate rendered by the real engine on each host face, embedded (H x 128)."""
    out = []
    drawn = skin_carried_out(candidate["texture"].astype(np.float32), src.points)    # what the engine draws with
    for rgb, lm in hosts:
        target = reshaped_landmarks(lm, candidate["offsets"], src.points)
        patch = synthesize_face(rgb, lm, drawn, src.points, src.triangles, src.ring_triangles, target)
        img = rgb.copy()
        img[patch.rect.slices] = patch.pixels
        out.append(embedder.embed(img, target))
    return np.array(out)
