"""The bank's build: stages, settings, and the shipped file with its record."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from editor.anonymize.recognizers import default_recognizers
from editor.anonymize.synthesis import SynthesisStyle
from editor.core.files import file_sha256
from models.training.recognizer_thresholds import embed_identity, identities
from models.training.reproducible_npz import save_npz_reproducible
from models.training.vector_cache import VectorCache

from .calibrate import build_calibration
from .candidates import MIX, appearance_groups, build_candidates
from .frame import Frame
from .select import far_tour, group_blocks, host_apart, host_faces, pair_distances, pick_diverse
from .sources import build_sources
from .stages import Stages

REPO = Path(__file__).resolve().parents[3]
JPEG_QUALITY = 94
KINDS = {"dlib": "dlib", "facenet": "facenet@0.8"}   # each recognizer's vectors in the cache


def settings_from(args: argparse.Namespace) -> dict:
    return {"seed": args.seed, "candidates": args.candidates, "margin": args.margin, "per_group": args.per_group,
            "hosts": args.hosts}


def load_faces(path: Path) -> dict:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def build_faces(out: Path, data: Path, cache_path: Path, people: list[str]) -> None:
    cache = VectorCache(cache_path)
    for n, person in enumerate(people, 1):
        embed_identity(cache, data, person, ["dlib", KINDS["facenet"]])
        if n % 20 == 0:
            cache.save()
            print(f"  {n}/{len(people)} people embedded", flush=True)
    cache.save()
    names, lms, vecs = [], [], {k: [] for k in KINDS}
    for person in people:
        for p in sorted((data / person).glob("*.jpg")):
            name = f"{person}/{p.name}"
            lm = cache.get("landmarks", name)
            if lm is None or np.isnan(lm).any():
                continue
            names.append(name)
            lms.append(lm)
            for k, kind in KINDS.items():
                vecs[k].append(cache.get(kind, name))
    np.savez_compressed(out, names=np.array(names), landmarks=np.array(lms, np.float32),
                        **{f"vec_{k}": np.array(v, np.float32) for k, v in vecs.items()})


def encoded(texture: np.ndarray) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(texture, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    assert ok
    return buf.reshape(-1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.training.identity_bank", description=__doc__)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "celeba")
    ap.add_argument("--work", type=Path, default=REPO / "runs" / "identity_bank")
    ap.add_argument("--cache", type=Path, default=None, help="vector cache (default: WORK/vectors.npz)")
    ap.add_argument("--out", type=Path, default=REPO / "models" / "identities")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--candidates", type=int, default=600)
    ap.add_argument("--margin", type=float, default=0.05,
                    help="every source photo must be at least (1 + margin) x each recognizer's threshold away")
    ap.add_argument("--per-group", type=int, default=120)
    ap.add_argument("--hosts", type=int, default=10, help="training faces per group to measure `apart` on")
    args = ap.parse_args(argv)
    cv2.setNumThreads(2)
    s = settings_from(args)
    train, _ = identities(args.data)
    stages = Stages(args.work)
    recognizers = default_recognizers()

    faces_path = stages.run("faces", {"people": train, "kinds": KINDS}, [],
                            lambda o: build_faces(o, args.data, args.cache or args.work / "vectors.npz", train))
    faces = load_faces(faces_path)
    names = [str(n) for n in faces["names"]]
    landmarks = dict(zip(names, faces["landmarks"]))
    people_of = np.array([n.split("/")[0] for n in names])
    means = np.array([faces["vec_dlib"][people_of == p].mean(axis=0) for p in train])
    centres, labels = appearance_groups(means)
    groups = {p: int(k) for p, k in zip(train, labels)}

    src_path = stages.run("sources", {}, ["faces"], lambda o: build_sources(o, args.data, train, landmarks))
    sources = load_faces(src_path)
    photo_vectors = {r.name: (people_of, faces[f"vec_{r.name}"]) for r in recognizers}
    cal = load_faces(stages.run("calibration", {}, ["sources"],
                                lambda o: build_calibration(o, sources, recognizers, photo_vectors, names)))
    cuts = {r.name: float(cal[f"cut_{r.name}"]) for r in recognizers}
    cand_path = stages.run(
        "candidates", {k: s[k] for k in ("seed", "candidates", "margin")} | {"mix": MIX}, ["calibration"],
        lambda o: build_candidates(o, sources, groups, recognizers, photo_vectors, dict(zip(train, means)), cuts,
                                   args.candidates, args.seed, args.margin))
    cands = load_faces(cand_path)
    frame = Frame(sources["points"])

    def select(o: Path) -> None:
        thresholds = {r.name: r.threshold for r in recognizers}
        dlib = recognizers[0]
        style = SynthesisStyle()
        order, blocks = [], []
        for g in (0, 1):
            pool = np.flatnonzero(cands["passed"] & (cands["group"] == g))
            pair = pair_distances({r.name: cands[f"emb_{r.name}"][pool] for r in recognizers}, thresholds)
            idx = pick_diverse(pair, args.per_group)
            picked = pool[idx]
            hosts = host_faces(args.data, names, landmarks, [p for p in train if groups[p] == g], args.hosts,
                               args.seed + g)
            print(f"  group {g}: {len(pool)} passed, {len(picked)} picked, rendering on {len(hosts)} hosts",
                  flush=True)
            apart = host_apart(cands["textures"][picked], cands["offsets"][picked], frame, hosts,
                               dlib.embedder, dlib.threshold, style)
            # Apart on the most host faces first; among equals, farther on grey.
            tour = far_tour(apart + 0.01 * pair[np.ix_(idx, idx)])
            order += [int(picked[t]) for t in tour]
            blocks.append(apart[np.ix_(tour, tour)])
        np.savez_compressed(o, order=np.array(order), apart=group_blocks(blocks))

    sel = load_faces(stages.run("select", {k: s[k] for k in ("per_group", "hosts", "seed")}, ["candidates"], select))
    write_bank(args.out, cands, sel, frame, centres, recognizers, s, cal)
    return 0


def write_bank(out: Path, cands: dict, sel: dict, frame: Frame, centres: np.ndarray, recognizers, settings: dict,
               cal: dict) -> None:
    order = [int(i) for i in sel["order"]]
    blobs = [encoded(cands["textures"][i]) for i in order]
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in blobs])]).astype(np.int64)
    dlib = recognizers[0]
    decoded = [cv2.cvtColor(cv2.imdecode(b, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(np.float32) for b in blobs]
    descriptors = dlib.embedder.embed_chips([dlib.embedder.chip(frame.on_grey(t), frame.points[:68]) for t in decoded])
    ids = [f"veil-m{k:03d}" for k in range(len(order))]
    out.mkdir(parents=True, exist_ok=True)
    save_npz_reproducible(
        out / "identities.npz", ids=np.array(ids), jpeg=np.concatenate(blobs).astype(np.uint8), offsets=offsets,
        points=frame.points.astype(np.float32), triangles=frame.triangles, ring_triangles=frame.ring_triangles,
        shape_offsets=cands["offsets"][order].astype(np.float32), groups=cands["group"][order].astype(np.int32),
        group_centres=centres, tour=np.arange(len(order)), apart=sel["apart"].astype(np.float32),
        descriptors=descriptors.astype(np.float32))
    record = {
        "recipe": "python -m models.training.identity_bank (models/training/identity_bank)",
        "settings": settings,
        "rule": f"each identity is a morph of {MIX} training people; it ships only if, for every recognizer the "
                "engine uses, its render on grey is at least (1 + margin) x that recognizer's cut from EVERY photo "
                "of each of them; the cut is chosen from data in the same setting (calibrate.py): source photos "
                "rendered on grey against their own person's other photos and every other person's nearest photo",
        "cuts_on_grey": {r.name: {"cut": float(cal[f"cut_{r.name}"]), "tpr": float(cal[f"tpr_{r.name}"]),
                                  "fpr": float(cal[f"fpr_{r.name}"])} for r in recognizers},
        "photo_thresholds": {r.name: r.threshold for r in recognizers},
        "candidates": int(len(cands["passed"])), "passed": int(cands["passed"].sum()), "shipped": len(order),
        "identities": [
            {"id": ids[k], "group": int(cands["group"][i]), "people": cands["people"][i].tolist(),
             "photos": cands["photos"][i].tolist(), "weights": cands["weight"][i].tolist(),
             "nearest": {r.name: dict(zip(cands["people"][i].tolist(),
                                          [float(v) for v in cands[f"nearest_{r.name}"][i]]))
                         for r in recognizers},
             "photos_compared": {r.name: int(cands[f"photos_{r.name}"][i].sum()) for r in recognizers}}
            for k, i in enumerate(order)],
        "smallest_distance_to_a_source": {r.name: float(cands[f"nearest_{r.name}"][order].min()) for r in recognizers},
        "sha256": file_sha256(out / "identities.npz"),
    }
    (out / "build_record.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {out / 'identities.npz'}: {len(order)} identities, sha256 {record['sha256']}", flush=True)
    print("smallest distance to a source photo: " + ", ".join(
        f"{k} {v:.4f} (cut {record['cuts_on_grey'][k]['cut']:.4f})" for k, v in record["smallest_distance_to_a_source"].items()))
