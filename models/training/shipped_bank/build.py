"""Stage 2: make collage candidates, keep those far from every source photo, pick each group's far-apart set."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time

import numpy as np

from editor.anonymize.identity import default_embedder
from editor.core.atomic import atomic_write_bytes
from editor.core.image_io import load_image
from models.training.identity_bank.select import group_blocks, pick_diverse
from models.training.identity_bank.sources import is_frontal_neutral

from .bank_file import write_bank
from .collage import NATURAL_SHARE, checked_candidate, host_embeddings
from .frame import PARTS, part_weights
from .source_judges import SourceJudges
from .sources import appearance_groups, build_sources
from .tours import far_tour, host_apart_share, host_pair_distances


def build(args: argparse.Namespace, faces: dict, identities: list[str], validation: set[str],
          argv: list[str] | None) -> int:
    """Write --out's identities.npz and build_record.json: --candidates collages, those that every recognizer
    sees at least its required distance from every photo of their four source people (SourceJudges, calibrated
    here once on the build's source photos), the more natural half, and --count of them picked far apart on
    --hosts host faces (half per appearance group), in tour order."""
    rng, people, host_people, src = build_sources(args, faces, identities)
    centres, group_of = appearance_groups(faces, people)
    hosts = []
    for p in sorted(host_people):
        own = [i for i, q in enumerate(faces["paths"]) if q.startswith(p + "/")]
        i = next((i for i in own if is_frontal_neutral(faces["lm"][i])), own[0])
        hosts.append((load_image(args.data / faces["paths"][i]).pixels, faces["lm"][i].astype(np.float64)))
    weights = part_weights(src.points)
    embedder = default_embedder()
    judges = SourceJudges.calibrated(src, faces, args.source_margin)
    print("source check: every photo of each source person at least " + ", ".join(
        f"{n} {d:.4f}" for n, d in judges.required.items()) + " away", flush=True)

    accepted, rejected = [], 0
    passed_by = {n: 0 for n in judges.required}
    start = time.time()
    for n in range(args.candidates):
        group = n % 2
        members = [p for p in src.by_person if group_of[p] == group and p in src.by_person]
        cand = checked_candidate(rng, src, members, weights, faces, judges, group, passed_by)
        if cand is None:
            rejected += 1
            continue
        cand["hosts"] = host_embeddings(cand, hosts, src, embedder)
        accepted.append(cand)
        if n % 20 == 0:
            print(f"candidate {n}/{args.candidates}: {len(accepted)} accepted, {rejected} too close to a source "
                  f"(passed by {passed_by}) ({time.time() - start:.0f} s)", flush=True)
    chosen, within, neighbours, shares = [], [], [], []
    for group in (0, 1):
        members = [i for i, c in enumerate(accepted) if c["group"] == group]
        natural = sorted(members, key=lambda i: accepted[i]["residual"])[: int(len(members) * NATURAL_SHARE)]
        if not natural:
            raise SystemExit(f"{len(members)} of {args.candidates} candidates of appearance group {group} passed the "
                             f"source check (passed by {passed_by}): too few to pick from; make more --candidates.")
        pair = host_pair_distances(np.array([accepted[i]["hosts"] for i in natural]))
        picks = pick_diverse(pair, args.count // 2)
        picks = [picks[i] for i in far_tour(pair[np.ix_(picks, picks)])]
        chosen += [natural[i] for i in picks]
        shares.append(host_apart_share(np.array([accepted[natural[i]]["hosts"] for i in picks])))
        within += pair[np.ix_(picks, picks)][np.triu_indices(len(picks), 1)].tolist()
        neighbours += [pair[a, b] for a, b in zip(picks, picks[1:] + picks[:1])]
    picked = [accepted[i] for i in chosen]
    for k, c in enumerate(picked):
        c["id"] = f"veil-{k:03d}"
    args.out.mkdir(parents=True, exist_ok=True)
    bank = write_bank(args.out, picked, src, centres, embedder, group_blocks(shares))
    within = np.array(within)
    record = {
        "bank": bank.name,
        "bank_sha256": hashlib.sha256(bank.read_bytes()).hexdigest(),
        "built_with": "python -m models.training.build_identities " + " ".join(sys.argv[1:] if argv is None else argv),
        "data": "CelebA img_align_celeba, identities outside models/training/split.json (non-commercial research)",
        "validation_identities_excluded": sorted(validation),
        "rule": judges.record["rule"],
        "source_check": judges.record,
        "candidates": args.candidates, "rejected_too_close": rejected, "passed_by": passed_by,
        "accepted": len(accepted),
        "shipped": len(picked),
        "host_pair_distance_within_group": {"min": round(float(within.min()), 4),
                                            "mean": round(float(within.mean()), 4)},
        "host_distance_tour_neighbours": {"min": round(float(np.min(neighbours)), 4),
                                          "mean": round(float(np.mean(neighbours)), 4)},
        "identities": [
            {"id": c["id"], "group": c["group"],
             "parts": {part: str(faces["paths"][i]) for part, i in zip(PARTS, c["photos"])},
             "distance_to_built_from_photos": c["check"]["built_from"],
             "min_distance_to_source_people": c["check"]["per_person"],
             "min_distance": c["check"]["min_distance"], "passed": c["check"]["passed"]}
            for c in picked
        ],
    }
    atomic_write_bytes(args.out / "build_record.json", (json.dumps(record, indent=1) + "\n").encode())
    print(f"wrote {bank} ({bank.stat().st_size / 1e6:.2f} MB): {len(picked)} identities, host pair distance "
          f"within a group min {within.min():.3f} mean {within.mean():.3f}, tour neighbours min "
          f"{np.min(neighbours):.3f} mean {np.mean(neighbours):.3f}; {rejected} of {args.candidates} candidates "
          "too close to a source")
    return 0
