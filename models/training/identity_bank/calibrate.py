"""How far an identity must be from a person to not be that person, in the setting the bank checks in.

A candidate is judged as a texture rendered on grey at the mean shape, against the nearest of a person's 30
photos: a setting unlike the photo pairs the recognizers' thresholds were chosen on (on grey, every face sits
nearer to everyone's nearest photo). So the cut is chosen the same way in this setting: each source photo is
rendered on grey like a candidate, its own person's nearest other photo is a same-person distance and every other
training person's nearest photo a different-person distance, and the cut maximises balanced accuracy
(editor.anonymize.thresholds.best_threshold).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from editor.anonymize.thresholds import best_threshold, rates

from .frame import Frame


def nearest_per_person(vectors: np.ndarray, people: np.ndarray, emb: np.ndarray) -> dict[str, float]:
    d = np.linalg.norm(vectors - emb[None], axis=1)
    return {str(p): float(d[people == p].min()) for p in np.unique(people)}


def build_calibration(out: Path, sources: dict, recognizers, photo_vectors: dict, names: list[str]) -> None:
    np.savez(out, **calibration(sources, recognizers, photo_vectors, names))


def calibration(sources: dict, recognizers, photo_vectors: dict, names: list[str]) -> dict[str, np.ndarray]:
    """Per recognizer: cut_NAME (the grey cut), tpr_NAME and fpr_NAME at it, balanced_NAME (its balanced accuracy),
    same_NAME (each source photo's same-person distance) and different_NAME (the different-person distances).
    `sources`: points (the frame's mesh), names and textures (the source photos in the frame, any side);
    `photo_vectors`: recognizer name -> (person of each photo, its vector), the photos `names` in that order."""
    frame = Frame(np.asarray(sources["points"]), size=int(np.asarray(sources["textures"][0]).shape[0]))
    all_names = np.array(names)
    arrays = {}
    for rec in recognizers:
        people, vectors = photo_vectors[rec.name]
        same, different = [], []
        for name, texture in zip(sources["names"], sources["textures"]):
            me = str(name).split("/")[0]
            emb = rec.embedder.embed(frame.on_grey(texture.astype(np.float32)), frame.points[:68])
            own = (people == me) & (all_names != str(name))       # the photo itself left out
            same.append(float(np.linalg.norm(vectors[own] - emb[None], axis=1).min()))
            near = nearest_per_person(vectors[people != me], people[people != me], emb)
            different += list(near.values())
        cut, balanced = best_threshold(same, different)
        r = rates(same, different, cut)
        print(f"  {rec.name}: cut {cut:.4f} on grey (balanced accuracy {balanced:.3f}, "
              f"same-person median {np.median(same):.3f}, different-person median {np.median(different):.3f})",
              flush=True)
        arrays[f"cut_{rec.name}"] = np.float64(cut)
        arrays[f"tpr_{rec.name}"] = np.float64(r["tpr"])
        arrays[f"fpr_{rec.name}"] = np.float64(r["fpr"])
        arrays[f"balanced_{rec.name}"] = np.float64(balanced)
        arrays[f"same_{rec.name}"] = np.array(same)
        arrays[f"different_{rec.name}"] = np.array(different)
    return arrays
