"""Same-person thresholds for a masked face against an unmasked reference photo, chosen on training identities.

    nice .venv/bin/python -m models.training.reference_thresholds

For each training identity, PER_PERSON photos get a synthetic mask (models/training/synth_masks.py, fixed seed);
the app's pipeline finds the masked face and its 68 landmarks, and both recognizers embed it as the app would
(editor.services.reference_identity). Same-person pairs: each masked photo against every other, unmasked photo
of its person; different-person pairs: as many random masked-vs-unmasked pairs of two people (seed 0). Each
recognizer's threshold maximises balanced accuracy (editor.anonymize.thresholds.best_threshold), and so does the
limit of the fused score (mean of distance / threshold). The validation identities are measured, never used to
choose. The printed thresholds go into editor/services/reference_identity.py and models/MODEL_CARD.md.

Unmasked embeddings come from the cache that models/training/recognizer_thresholds.py fills (--cache); masked
ones are added to it (it lives in /tmp: it derives from CelebA and is never committed).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np

from editor.anonymize.recognizers import default_recognizers
from editor.anonymize.thresholds import best_threshold, rates
from editor.vision import facenet
from editor.vision.largest_face import largest_face
from models.training.recognizer_thresholds import embed_identity, identities, landmarks
from models.training.synth_masks import MaskLibrary, synthesize
from models.training.vector_cache import VectorCache

REPO = Path(__file__).resolve().parents[2]
PER_PERSON = 4
SEED = 0
MASK_SEED = 14_4
UNMASKED = {"dlib": "dlib", "facenet": f"facenet@{facenet.CHIP_FRACTION}"}


def _photos(data: Path, person: str) -> list[str]:
    return [f"{person}/{p.name}" for p in sorted((data / person).glob("*.jpg"))]


def masked_photos(data: Path, person: str) -> list[str]:
    """The photos of `person` that get a mask: spread over the folder."""
    photos = _photos(data, person)
    return [photos[i] for i in np.linspace(0, len(photos) - 1, PER_PERSON).round().astype(int)]


def embed_masked(cache: VectorCache, data: Path, library: MaskLibrary, person: str) -> None:
    recognizers = default_recognizers()
    for photo in masked_photos(data, person):
        if cache.get("masked-dlib", photo) is not None:
            continue
        truth = landmarks(cache, data, photo)
        face = None
        if truth is not None:
            image = cv2.cvtColor(cv2.imread(str(data / photo), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            rng = np.random.default_rng([MASK_SEED, sum(photo.encode())])
            masked = synthesize(image, truth, library, rng).masked
            face = largest_face(masked)
        for recognizer in recognizers:
            if face is not None:
                vector = recognizer.embed_faces(masked, [face.landmarks68])[0]
            else:
                vector = np.full(128 if recognizer.name == "dlib" else 512, np.nan)
            cache.put(f"masked-{recognizer.name}", photo, vector)


def distances(cache: VectorCache, data: Path, people: list[str], name: str,
              seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(same-person, different-person) distances of masked photos to unmasked ones, for recognizer `name`."""
    queries = []
    for label, person in enumerate(people):
        for photo in masked_photos(data, person):
            v = cache.get(f"masked-{name}", photo)
            if v is not None and np.isfinite(v).all():
                queries.append((label, photo, v))
    g_photos, g_vecs, g_labels = cache.rows_of(data, people, UNMASKED[name])
    g_vecs = g_vecs.astype(np.float64)
    same, different = [], []
    rng = np.random.default_rng(seed)
    for label, photo, v in queries:
        d = np.linalg.norm(g_vecs - v.astype(np.float64), axis=1)
        mine = (g_labels == label) & (g_photos != photo)
        same.append(d[mine])
        others = np.flatnonzero(g_labels != label)
        different.append(d[rng.choice(others, size=int(mine.sum()), replace=False)])
    return np.concatenate(same), np.concatenate(different)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/veil-recognizer-embeddings.npz"))
    args = parser.parse_args()
    celeba = args.data / "celeba"
    library = MaskLibrary(args.data / "mask-templates")
    cache = VectorCache(args.cache)
    train, val = identities(celeba)
    start = time.time()
    for n, person in enumerate(train + val, 1):
        embed_identity(cache, celeba, person, list(UNMASKED.values()))
        embed_masked(cache, celeba, library, person)
        if n % 20 == 0 or n == len(train) + len(val):
            cache.save()
            print(f"  {n}/{len(train) + len(val)} identities ({time.time() - start:.0f} s)", flush=True)

    report: dict = {"per_person": PER_PERSON, "recognizers": {}}
    pairs = {split: {name: distances(cache, celeba, people, name) for name in UNMASKED}
             for split, people in (("train", train), ("validation", val))}
    thresholds = {}
    for name in UNMASKED:
        same, different = pairs["train"][name]
        threshold = round(best_threshold(same, different)[0], 4)
        thresholds[name] = threshold
        report["recognizers"][name] = {
            "threshold": threshold,
            **{split: {"same_pairs": len(pairs[split][name][0]), "different_pairs": len(pairs[split][name][1]),
                       **{k: round(v, 4) for k, v in rates(*pairs[split][name], threshold).items()}}
               for split in pairs}}
    # Pairs line up across recognizers (same queries, same gallery order, same seed) when both found every face.
    fused = {split: tuple(np.mean([p[name][k] / thresholds[name] for name in UNMASKED], axis=0) for k in (0, 1))
             for split, p in pairs.items()
             if len({len(p[name][0]) for name in UNMASKED}) == 1 and len({len(p[name][1]) for name in UNMASKED}) == 1}
    if "train" in fused:
        limit = round(best_threshold(*fused["train"])[0], 4)
        report["fused"] = {"limit": limit, **{split: {k: round(v, 4) for k, v in rates(*f, limit).items()}
                                              for split, f in fused.items()}}
        report["fused_at_1"] = {split: {k: round(v, 4) for k, v in rates(*f, 1.0).items()}
                                for split, f in fused.items()}
    for split in pairs:
        same_calls = [pairs[split][name][0] < thresholds[name] for name in UNMASKED]
        diff_calls = [pairs[split][name][1] < thresholds[name] for name in UNMASKED]
        if len({len(s) for s in same_calls}) == 1 and len({len(d) for d in diff_calls}) == 1:
            for rule, combine in (("refuse_if_either_differs", np.logical_and),
                                  ("refuse_if_both_differ", np.logical_or)):
                tpr = float(np.mean(combine(*same_calls)))
                fpr = float(np.mean(combine(*diff_calls)))
                report.setdefault(rule, {})[split] = {"tpr": round(tpr, 4), "fpr": round(fpr, 4),
                                                      "balanced_accuracy": round((tpr + 1 - fpr) / 2, 4)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
