"""Looks like a photo, measured: can a classifier tell Veil's anonymized faces from real ones?

A linear classifier (bench/realism_model.py) on local texture, sharpness and colour features of aligned faces
(bench/realism_features.py) is fitted on the training identities, real photos against anonymized *other* photos
(bench/realism_crops.py), and scored on the validation identities, people it has never seen. 50% accuracy
(AUC 0.5) means it cannot tell them apart; 100% means every anonymized face gives itself away. Target: <= 75%.

Calibration rows run the same protocol with other "fake" classes, to show the measure measures something:
real vs real (two disjoint sets of real photos: must be ~50%), the engine's pixelation and blur fallbacks (must be
~100%), and a light blur inside the face outline (sigma 1.5 px: how sensitive it is to a smudge).

    nice -n 5 .venv/bin/python bench/realism.py --json OUT.json        # the default (--faces 1000): 13 min, 2 cores
    .venv/bin/python bench/realism.py --faces 320 --val-faces 200 --no-calibration  # a quick look

Engine outputs are cached under bench/.cache/realism/ (gitignored; derived from CelebA, never to be committed).
`realism_score(...)` is the same measurement for other scripts (bench/anonymize_bench.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from realism_crops import ANONYMIZED, CACHE, DATA, SPLIT, CropCache, Photo, crops, pick_photos  # noqa: E402
from realism_features import face_features  # noqa: E402
from realism_model import accuracy, roc_auc, train  # noqa: E402

from models.training.split import identities  # noqa: E402

# Training photos, half real and half anonymized. On the engine of commit a51bcd8 the classifier's validation accuracy
# rose from 77% (100 faces a class) to 90% (400) and levelled off near 92% (600 to 800): 500 photos a class (about
# 420 anonymized ones once failed faces are left out) measure the engine nearly as hard as more would, and keep the
# whole run within ~13 minutes on this project's two shared cores (the engine takes ~0.7 s a face there).
DEFAULT_FACES = 1000
DEFAULT_VAL_FACES = 0         # 0 = all 600 validation photos (300 real, 300 anonymized)
# The calibration classes are either trivially told apart or not at all: fewer training photos do for them.
DEFAULT_CALIBRATION_FACES = 800
TARGET = 0.75                 # issue #13: validation accuracy at most this
# Below this many training faces a class the classifier is too weak to judge by (77% at 100 faces against 92% at
# 800 on one engine): a quick run reports its numbers but no verdict on the target.
MIN_VERDICT_FACES = 300
CALIBRATION = {
    "real": "real vs real (disjoint photos)",
    "pixelated": "pixelated (the engine's fallback)",
    "blurred": "blurred (the engine's fallback)",
    "light_blur": "light blur in the face outline (sigma 1.5 px)",
}
BALANCE_SEED = 0


def _feature_version() -> str:
    """Cached features are only reused while the code that crops and describes the faces is unchanged."""
    h = hashlib.sha256()
    for name in ("realism_crops.py", "realism_features.py"):
        h.update((REPO / "bench" / name).read_bytes())
    return h.hexdigest()[:12]


FEATURE_VERSION = _feature_version()      # once, as imported: the code that runs is the code that was hashed


def _features(cache: CropCache, photos: list[Photo], variant: str) -> tuple[np.ndarray, np.ndarray]:
    """Features and identity of each usable photo of `photos` for one variant, reusing (and extending) the
    variant's feature file in the cache folder: a second run, or a call from another benchmark, skips the
    ~30 ms a face of cropping and feature extraction."""
    path = cache.folder / f"features-{variant}-{FEATURE_VERSION}.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as f:
            known = dict(zip(f["keys"].tolist(), f["features"]))
    wanted = [p for p in photos if p.key not in known]
    new = {p.key: face_features(c) for p, c in crops(cache, wanted, variant)}   # one crop in memory at a time
    if new:
        known.update(new)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(known)), features=np.stack(list(known.values())))
        os.replace(tmp, path)                       # atomic: a killed run never leaves a half-written file
    usable = [p for p in photos if p.key in known and _counts(cache, p, variant)]
    if not usable:
        return np.zeros((0, 0), np.float32), np.array([], str)
    return np.stack([known[p.key] for p in usable]), np.array([p.identity for p in usable])


def _counts(cache: CropCache, photo: Photo, variant: str) -> bool:
    """Whether a photo with known features belongs to this variant's class (a face; "anonymized" status)."""
    rec = cache.record(photo)
    return rec["face"] is not None and (photo.role == "real" or variant != ANONYMIZED or rec["status"] == ANONYMIZED)


def _balanced(real: tuple[np.ndarray, np.ndarray], fake: tuple[np.ndarray, np.ndarray],
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As many real as fake faces (the larger class drawn at random), so 50% is chance."""
    n = min(len(real[0]), len(fake[0]))
    picks = [rng.choice(len(side[0]), n, replace=False) for side in (real, fake)]
    x = np.concatenate([real[0][picks[0]], fake[0][picks[1]]])
    y = np.concatenate([np.zeros(n), np.ones(n)])
    groups = np.concatenate([real[1][picks[0]], fake[1][picks[1]]])
    return x, y, groups


def evaluate(train_real, train_fake, val_real, val_fake) -> dict:
    """Fit on the training pairs of (features, identities), score on the validation ones."""
    rng = np.random.default_rng(BALANCE_SEED)
    x, y, groups = _balanced(train_real, train_fake, rng)
    xv, yv, _ = _balanced(val_real, val_fake, rng)
    if len(y) < 8 or len(yv) < 2:
        raise ValueError(f"too few faces to measure realism ({len(y)} training, {len(yv)} validation)")
    model, info = train(x, y, groups)
    p, pv = model.score(x), model.score(xv)
    return {"train_faces_per_class": len(y) // 2, "val_faces_per_class": len(yv) // 2,
            "train_accuracy": accuracy(p, y), "cv_accuracy": info["cv_accuracy"],
            "val_accuracy": accuracy(pv, yv), "val_auc": roc_auc(pv, yv),
            "strength": info["strength"], "cv_by_strength": info["cv_by_strength"]}


def realism_score(faces: int = DEFAULT_FACES, *, val_faces: int = DEFAULT_VAL_FACES, seed: int = 1,
                  engine=None, options: object = None, calibration: Sequence[str] = (),
                  calibration_faces: int = DEFAULT_CALIBRATION_FACES, data: Path = DATA, split: Path = SPLIT,
                  cache: Path = CACHE, log: Optional[Callable[[str], None]] = None) -> dict:
    """The realism measure: validation accuracy and AUC of the real-vs-anonymized classifier, its training and
    cross-validated accuracy; plus one row per calibration variant asked for (keys of CALIBRATION), fitted on
    the first `calibration_faces` of the training photos.

    `engine` is any object with `.bank.ids`, `.pipeline` and `.anonymize(image, faces, seed[, options])`
    returning (image, outcomes with .status); default: a fresh AnonymizeEngine(). `options` (an AnonymizeOptions,
    e.g. another strength) is passed on when given, and names its own cache folder.
    """
    say = log or (lambda s: None)
    if engine is None:
        from editor.anonymize.engine import AnonymizeEngine
        engine = AnonymizeEngine()
    start = time.time()
    train_ids, val_ids = identities(data, split)
    train_photos, val_photos = pick_photos(data, train_ids, faces), pick_photos(data, val_ids, val_faces)
    store = CropCache(cache, engine, engine.pipeline, seed, options)
    every = train_photos + val_photos
    store.fill(every, lambda n, total: n % 100 == 0 and say(f"engine: {n}/{total} photos "
                                                            f"({time.time() - start:.0f} s)"))
    say(f"engine outputs ready in {time.time() - start:.0f} s (cache {store.folder})")

    def side(photos: list[Photo], role: str, variant: str):
        return _features(store, [p for p in photos if p.role == role], variant)

    fakes = [p for p in every if p.role == "fake" and store.records[p.key]["face"] is not None]
    statuses = [store.records[p.key]["status"] for p in fakes]
    result = {"seed": seed, "target": TARGET, "cache": str(store.folder),
              "anonymized_share": float(np.mean([s == ANONYMIZED for s in statuses])) if statuses else 0.0,
              "statuses": {s: statuses.count(s) for s in sorted(set(statuses))}}
    val_real = side(val_photos, "real", "real")
    result.update(evaluate(side(train_photos, "real", "real"), side(train_photos, "fake", ANONYMIZED),
                           val_real, side(val_photos, "fake", ANONYMIZED)))
    enough = result["train_faces_per_class"] >= MIN_VERDICT_FACES
    result["met"] = result["val_accuracy"] <= TARGET if enough else None
    say(f"anonymized: validation accuracy {result['val_accuracy']:.3f} ({time.time() - start:.0f} s)")
    calibration_photos = pick_photos(data, train_ids, min(calibration_faces, faces) if faces else calibration_faces)
    result["calibration"] = {}
    for variant in calibration:
        row = evaluate(side(calibration_photos, "real", "real"), side(calibration_photos, "fake", variant),
                       val_real, side(val_photos, "fake", variant))
        result["calibration"][variant] = row
        say(f"calibration {variant}: validation accuracy {row['val_accuracy']:.3f} ({time.time() - start:.0f} s)")
    result["seconds"] = round(time.time() - start, 1)
    return result


def table(r: dict, command: str) -> str:
    def row(name: str, m: dict, target: str = "") -> str:
        return (f"| {name} | {m['train_faces_per_class']} / {m['val_faces_per_class']} | {m['train_accuracy']:.1%} "
                f"| {m['cv_accuracy']:.1%} | **{m['val_accuracy']:.1%}** | {m['val_auc']:.3f} | {target} |")
    lines = [f"Measured with `{command}` ({r['seconds']:.0f} s). Faces per class: training / validation "
             f"identities. Engine statuses of the fake-role photos: {r['statuses']}.", "",
             "| fake class vs real photos | faces per class | training acc. | CV acc. (training ids) "
             "| validation acc. | validation AUC | target |", "| --- | --- | --- | --- | --- | --- | --- |",
             row(f"anonymized (seed {r['seed']})", r, f"<= {TARGET:.0%}: " + (
                 f"no verdict (under {MIN_VERDICT_FACES} training faces a class)" if r["met"] is None
                 else "met" if r["met"] else "**not met**"))]
    lines += [row(f"calibration: {CALIBRATION[k]}", m) for k, m in r["calibration"].items()]
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--split", type=Path, default=SPLIT)
    ap.add_argument("--faces", type=int, default=DEFAULT_FACES,
                    help="training-identity photos, half real and half anonymized (0 = all 4,800)")
    ap.add_argument("--val-faces", type=int, default=DEFAULT_VAL_FACES,
                    help="validation-identity photos, half real and half anonymized (0 = all 600)")
    ap.add_argument("--calibration-faces", type=int, default=DEFAULT_CALIBRATION_FACES,
                    help="training photos for each calibration row (at most --faces)")
    ap.add_argument("--seed", type=int, default=1, help="the engine's seed")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--no-calibration", action="store_true", help="skip the calibration rows")
    ap.add_argument("--json", type=Path, default=None, help="write the result here")
    ap.add_argument("--style", default="", help="JSON of SynthesisStyle fields to change (first try and retries): "
                                               "an engine variant, compared on the cross-validated accuracy")
    args = ap.parse_args(argv)
    cv2.setNumThreads(2)
    options = None
    if args.style:
        from editor.anonymize.engine import AnonymizeOptions
        options = AnonymizeOptions().with_style(**json.loads(args.style))
    result = realism_score(args.faces, val_faces=args.val_faces, seed=args.seed, data=args.data, split=args.split,
                           options=options,
                           cache=args.cache, calibration=() if args.no_calibration else tuple(CALIBRATION),
                           calibration_faces=args.calibration_faces,
                           log=lambda s: print(s, file=sys.stderr, flush=True))
    command = "python bench/realism.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(table(result, command.strip()))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
