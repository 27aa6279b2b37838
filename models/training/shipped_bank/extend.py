"""Stage 4: extend one group of a refined bank with new collages and keep the group's best set."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time

import cv2
import numpy as np

from editor.anonymize.identity import default_embedder
from editor.anonymize.recognizers import default_recognizers
from editor.core.atomic import atomic_write_bytes
from models.training.identity_bank.select import group_blocks

from .bank_file import encoded, jpeg_of, write_bank
from .collage import NATURAL_SHARE, checked_candidate
from .frame import PARTS, part_weights
from .source_judges import SourceJudges
from .sources import appearance_groups, build_sources
from .texture_checks import flaw_reasons, texture_flaws
from .tours import POOL_FOR_TOUR, pruned_tour, rendered_apart_looks, thinned, training_hosts


def extend(args: argparse.Namespace, faces: dict, identities: list[str]) -> int:
    """Make --candidates new collages for group --extend-group of --out's bank (the same donor check, at the
    build's recorded cuts, and texture checks as the build and refinement), render them and the group's current
    identities on TOUR_HOSTS training faces, and keep the group's best set: identities close to many others are
    dropped (`pruned_tour`) until the tour's neighbours are apart on --tour-apart of the faces or the group is back
    to its size. The other group is kept as it is. Every new identity's check, every drop and the scores go to the
    record."""
    from editor.anonymize.bank import read_bank
    from editor.anonymize.synthesis import SynthesisStyle

    group = args.extend_group
    bank = read_bank(args.out / "identities.npz")
    record = json.loads((args.out / "build_record.json").read_text())
    by_id = {r["id"]: r for r in record["identities"]}
    _, people, _, src = build_sources(args, faces, identities)
    if not np.allclose(src.points, bank.points, atol=1e-3):
        raise SystemExit("these arguments do not rebuild the bank's frame: extend with the build's --seed and --hosts")
    _, group_of = appearance_groups(faces, people)
    weights = part_weights(src.points)
    embedder = default_embedder()
    # The build's sources and frame (checked above), so its cuts hold here; a record from before the check by
    # every recognizer has none, and they are chosen now and recorded.
    if "source_check" in record:
        judges = SourceJudges.recorded(record["source_check"], faces)
    else:
        judges = SourceJudges.calibrated(src, faces, args.source_margin)
        record.update(rule=judges.record["rule"], source_check=judges.record)
    passed_by = {n: 0 for n in judges.required}
    rng = np.random.default_rng([args.seed, len(record.get("extensions", [])) + 1])   # not the build's collages
    members_people = [p for p in src.by_person if group_of[p] == group]
    accepted, rejected, start = [], 0, time.time()
    for n in range(args.candidates):
        cand = checked_candidate(rng, src, members_people, weights, faces, judges, group, passed_by)
        if cand is None:
            rejected += 1
            continue
        accepted.append(cand)
        if n % 50 == 0:
            print(f"candidate {n}/{args.candidates}: {len(accepted)} accepted (passed by {passed_by}) "
                  f"({time.time() - start:.0f} s)", flush=True)
    natural = sorted(accepted, key=lambda c: c["residual"])[: int(len(accepted) * NATURAL_SHARE)]
    new, flawed = [], []
    for cand in natural:
        cand["jpeg"] = encoded(cand["texture"])
        decoded = cv2.cvtColor(cv2.imdecode(cand["jpeg"], cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(np.float32)
        cand["flaws"] = texture_flaws(decoded, bank.points)
        (flawed if flaw_reasons(cand["flaws"]) else new).append(cand)
        cand["decoded"] = decoded
    first = max(int(i.split("-")[1]) for i in list(by_id) + [d["id"] for d in record.get("dropped", [])]) + 1
    for k, cand in enumerate(new):
        cand["id"] = f"veil-{first + k:03d}"
    old = [k for k in bank.tour.tolist() if bank.groups[k] == group]
    looks = [(bank.texture(k), bank.shape_offsets[k]) for k in old] + [(c["decoded"], c["offsets"]) for c in new]
    hosts = training_hosts(args.data, faces, bank.group_centres, args.tour_hosts, args.seed)[group]
    print(f"{len(new)} new identities ({rejected} of {args.candidates} too close to a source, {len(flawed)} "
          f"flawed); rendering {len(looks)} on {len(hosts)} faces", flush=True)
    apart = rendered_apart_looks(bank, looks, hosts, default_recognizers(), SynthesisStyle())
    before = float(np.mean([apart[a, b] for a, b in zip(range(len(old)), list(range(1, len(old))) + [0])]))
    pool = thinned(apart, POOL_FOR_TOUR)
    sub_order, sub_drops = pruned_tour(apart[np.ix_(pool, pool)], args.tour_apart, len(old))
    order = [pool[i] for i in sub_order]
    drops = [(i, 0.0, 0.0) for i in range(len(looks)) if i not in pool] + [(pool[i], b, a) for i, b, a in sub_drops]
    shares = [float(apart[a, b]) for a, b in zip(order, order[1:] + order[:1])]
    print(f"group {group}: {len(order)} identities, tour neighbours apart on {np.mean(shares):.3f} of the hosts "
          f"(was {before:.3f})", flush=True)

    def entry(i: int) -> dict:
        if i < len(old):
            k = old[i]
            return {"id": bank.ids[k], "group": group, "offsets": bank.shape_offsets[k], "jpeg": jpeg_of(bank, k)}
        c = new[i - len(old)]
        return {"id": c["id"], "group": group, "offsets": c["offsets"], "jpeg": c["jpeg"]}

    others = [k for k in bank.tour.tolist() if bank.groups[k] != group]
    other_entries = [{"id": bank.ids[k], "group": int(bank.groups[k]), "offsets": bank.shape_offsets[k],
                      "jpeg": jpeg_of(bank, k)} for k in others]
    chosen = [entry(i) for i in order]
    blocks = {group: apart[np.ix_(order, order)], 1 - group: bank.apart[np.ix_(others, others)]}
    picked = other_entries + chosen if group == 1 else chosen + other_entries
    write_bank(args.out, picked, bank, bank.group_centres, embedder, group_blocks([blocks[0], blocks[1]]),
               jpeg=[e["jpeg"] for e in picked])
    path = args.out / "identities.npz"
    new_records = {c["id"]: {
        "id": c["id"], "group": group,
        "parts": {part: str(faces["paths"][i]) for part, i in zip(PARTS, c["photos"])},
        "distance_to_built_from_photos": c["check"]["built_from"],
        "min_distance_to_source_people": c["check"]["per_person"],
        "min_distance": c["check"]["min_distance"], "passed": c["check"]["passed"],
    } for c in new}
    kept = {e["id"] for e in chosen}
    dropped = [{"id": entry(i)["id"], "group": group, "reasons": [
        f"close to many identities of its group once rendered: without it the tour neighbours are another person "
        f"for every recognizer on {after:.3f} of the hosts instead of {was:.3f}" if was else
        f"thinned from the pool of {len(looks)}: it was another person than its second-best partner on the "
        f"fewest hosts"]} for i, was, after in drops if i < len(old)]
    neighbours = [n for n in record["tour_on_training_hosts"]["neighbours_apart_share"] if n["group"] != group]
    neighbours.append({"group": group, "identities": len(order), "min": round(min(shares), 4),
                       "mean": round(float(np.mean(shares)), 4)})
    record["tour_on_training_hosts"]["neighbours_apart_share"] = sorted(neighbours, key=lambda n: n["group"])
    record.update(
        bank_sha256=hashlib.sha256(path.read_bytes()).hexdigest(), shipped=len(picked),
        dropped=record.get("dropped", []) + dropped,
        extensions=record.get("extensions", []) + [{
            "command": "python -m models.training.build_identities " + " ".join(
                sys.argv[1:] if args.argv is None else args.argv),
            "group": group, "candidates": args.candidates, "rejected_too_close": rejected, "passed_by": passed_by,
            "accepted": len(accepted), "natural": len(natural),
            "flawed": {c["id"] if "id" in c else f"candidate-{n}": flaw_reasons(c["flaws"])
                       for n, c in enumerate(flawed)},
            "pool": len(looks), "tour_before": round(before, 4), "tour_after": round(float(np.mean(shares)), 4),
            "added": sorted(kept & set(new_records)),
            "new_not_kept": sorted(set(new_records) - kept),
        }],
        identities=[by_id[e["id"]] if e["id"] in by_id else new_records[e["id"]] for e in picked],
    )
    record["texture_checks"]["scores"].update({c["id"]: c["flaws"] for c in new})
    atomic_write_bytes(args.out / "build_record.json", (json.dumps(record, indent=1) + "\n").encode())
    print(f"wrote {path}: {len(picked)} identities, added {len(kept & set(new_records))}")
    return 0
