"""Source photos: frontal, neutral, sharp, evenly lit and unoccluded photos of the training people, in the frame."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from editor.anonymize.skin import to_lab
from editor.core.image_io import load_image

from .frame import Frame, frame_for

PER_PERSON = 3            # best photos kept per person
CLEAN_SHARE = 0.6         # photos whose worst local difference from the mean face is among the lowest 60%
EVEN_SHARE = 0.7          # ... whose left-right lighting difference is among the lowest 70%
SHARP_SHARE = 0.7         # ... and whose fine detail is among the highest 70%


def is_frontal_neutral(lm: np.ndarray) -> bool:
    """Nose centred between the jaw ends, both eyes open, mouth closed: a clean texture source."""
    yaw = (lm[30, 0] - lm[0, 0]) / max(lm[16, 0] - lm[0, 0], 1e-6)

    def openness(a, b, c, d, e, f):
        return (np.linalg.norm(lm[b] - lm[f]) + np.linalg.norm(lm[c] - lm[e])) / (2 * np.linalg.norm(lm[a] - lm[d]))
    eyes = min(openness(36, 37, 38, 39, 40, 41), openness(42, 43, 44, 45, 46, 47))
    mouth = np.linalg.norm(lm[62] - lm[66]) / max(np.linalg.norm(lm[60] - lm[64]), 1e-6)
    return abs(yaw - 0.5) < 0.06 and eyes > 0.22 and mouth < 0.1


def quality(texture: np.ndarray, mean_texture: np.ndarray, frame: Frame) -> dict[str, float]:
    """blemish: the worst local difference from the mean face (hair over an eye, glasses, a hand, text);
    uneven: left-right lightness difference of the cheeks; detail: fine lightness detail inside the face."""
    inner = cv2.erode(frame.coverage, np.ones((15, 15), np.uint8)) > 0
    local = cv2.GaussianBlur(np.abs(texture - mean_texture).mean(axis=2).astype(np.float32), (0, 0), frame.size / 24)
    lightness = to_lab(texture)[..., 0]
    cx = frame.points[30, 0]
    rows = slice(int(frame.points[29, 1]), int(frame.points[33, 1]))
    half = frame.size // 5
    left = lightness[rows, int(cx - half): int(cx - half / 3)]
    right = lightness[rows, int(cx + half / 3): int(cx + half)]
    fine = lightness - cv2.GaussianBlur(lightness, (0, 0), 1.5)
    return {"blemish": float(local[inner].max()), "uneven": float(abs(left.mean() - right.mean())),
            "detail": float(np.abs(fine[inner]).mean())}


def build_sources(out: Path, data: Path, people: list[str], landmarks: dict[str, np.ndarray]) -> None:
    """Writes the chosen photos' textures (uint8), names, people, landmarks and the frame's mesh to `out`."""
    names = sorted(p for p, lm in landmarks.items() if p.split("/")[0] in set(people) and is_frontal_neutral(lm))
    frame = frame_for([landmarks[p] for p in names])
    textures = np.array([frame.warped(load_image(data / p).pixels, landmarks[p]) for p in names], np.float32)
    mean_texture = textures.mean(axis=0)
    scores = [quality(t, mean_texture, frame) for t in textures]
    blemish, uneven, detail = (np.array([s[k] for s in scores]) for k in ("blemish", "uneven", "detail"))
    ok = ((blemish <= np.quantile(blemish, CLEAN_SHARE)) & (uneven <= np.quantile(uneven, EVEN_SHARE))
          & (detail >= np.quantile(detail, 1 - SHARP_SHARE)))
    keep: list[int] = []
    per: dict[str, int] = {}
    for i in sorted(np.flatnonzero(ok), key=lambda i: blemish[i]):
        person = names[i].split("/")[0]
        if per.get(person, 0) < PER_PERSON:
            per[person] = per.get(person, 0) + 1
            keep.append(int(i))
    keep.sort()
    print(f"  sources: {len(keep)} photos of {len(per)} people (of {len(names)} frontal, neutral ones)", flush=True)
    np.savez_compressed(
        out, points=frame.points, names=np.array([names[i] for i in keep]),
        textures=np.clip(np.round(textures[keep]), 0, 255).astype(np.uint8),
        landmarks=np.array([landmarks[names[i]] for i in keep], np.float32),
        blemish=blemish[keep], uneven=uneven[keep], detail=detail[keep])
