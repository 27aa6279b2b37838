"""Stage 3: refine a built bank: drop flawed textures, re-order each group's tour on renders over many faces."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

import numpy as np

from editor.anonymize.identity import default_embedder
from editor.anonymize.recognizers import default_recognizers
from editor.core.atomic import atomic_write_bytes
from models.training.identity_bank.select import group_blocks

from .bank_file import jpeg_of, write_bank
from .texture_checks import GLARE_LIMIT, SPECKLE_LIMIT, flaw_reasons, texture_flaws
from .tours import MIN_GROUP, pruned_tour, rendered_apart, training_hosts


def refine(args: argparse.Namespace, faces: dict) -> int:
    """Drop the identities of --out's bank whose texture is flawed, re-order each group's tour on renders over
    TOUR_HOSTS training faces (neighbours apart on the most hosts), and write the bank and its record."""
    from editor.anonymize.bank import read_bank
    from editor.anonymize.synthesis import SynthesisStyle

    bank = read_bank(args.out / "identities.npz", need_apart=False)
    record = json.loads((args.out / "build_record.json").read_text())
    by_id = {r["id"]: r for r in record["identities"]}
    flaws = [texture_flaws(bank.texture(k), bank.points) for k in range(len(bank))]
    keep = [k for k in range(len(bank)) if not flaw_reasons(flaws[k])]
    hosts = training_hosts(args.data, faces, bank.group_centres, args.tour_hosts, args.seed)
    embedder = default_embedder()
    recognizers = default_recognizers()
    tour, neighbours, blocks = [], [], []
    dropped = [{"id": bank.ids[k], "group": int(bank.groups[k]), "reasons": flaw_reasons(flaws[k])}
               for k in range(len(bank)) if k not in keep]
    for group in (0, 1):
        members = [k for k in keep if bank.groups[k] == group]
        apart = rendered_apart(bank, members, hosts[group], recognizers, SynthesisStyle())
        order, hubs = pruned_tour(apart, args.tour_apart, MIN_GROUP)
        for i, before, after in hubs:
            dropped.append({"id": bank.ids[members[i]], "group": group, "reasons": [
                f"close to many identities of its group once rendered: without it the tour neighbours are another "
                f"person for every recognizer on {after:.3f} of the hosts instead of {before:.3f}"]})
        tour += [members[i] for i in order]
        blocks.append(apart[np.ix_(order, order)])
        shares = [float(apart[a, b]) for a, b in zip(order, order[1:] + order[:1])]
        neighbours.append({"group": group, "identities": len(order), "min": round(min(shares), 4),
                           "mean": round(float(np.mean(shares)), 4)})
        print(f"group {group}: {len(order)} identities, tour neighbours apart on {np.mean(shares):.3f} "
              f"of the hosts", flush=True)
    # The file lists identities in tour order, so the tour is 0..N-1 again.
    picked = [{"id": bank.ids[k], "group": int(bank.groups[k]), "offsets": bank.shape_offsets[k],
               "texture": bank.texture(k)} for k in tour]
    write_bank(args.out, picked, bank, bank.group_centres, embedder, group_blocks(blocks),
               jpeg=[jpeg_of(bank, k) for k in tour])
    path = args.out / "identities.npz"
    record.update(
        bank_sha256=hashlib.sha256(path.read_bytes()).hexdigest(), shipped=len(tour),
        refined_with="python -m models.training.build_identities --refine " + " ".join(
            a for a in (sys.argv[1:] if args.argv is None else args.argv) if a != "--refine"),
        # A second refinement keeps what earlier ones dropped and scored.
        texture_checks={"glare_limit": GLARE_LIMIT, "brow_speckle_limit": SPECKLE_LIMIT,
                        "scores": {**record.get("texture_checks", {}).get("scores", {}),
                                   **{bank.ids[k]: flaws[k] for k in range(len(bank))}}},
        dropped=record.get("dropped", []) + dropped,
        tour_on_training_hosts={"hosts_per_group": args.tour_hosts,
                                "thresholds": {r.name: r.threshold for r in recognizers},
                                "target": args.tour_apart, "min_group": MIN_GROUP,
                                "neighbours_apart_share": neighbours},
        identities=[by_id[bank.ids[k]] for k in tour],
    )
    atomic_write_bytes(args.out / "build_record.json", (json.dumps(record, indent=1) + "\n").encode())
    print(f"wrote {path}: {len(tour)} identities ({len(bank) - len(tour)} dropped)")
    return 0
