"""The bank builder's command line: build (default), --refine or --extend-group, on --out's bank."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from . import __doc__ as PACKAGE_DOC
from .build import build
from .extend import extend
from .faces import analyse
from .refine import refine
from .tours import TOUR_APART, TOUR_HOSTS

REPO = Path(__file__).resolve().parents[3]
SPLIT_FILE = REPO / "models" / "training" / "split.json"


def training_identities(data: Path, split: Path) -> list[str]:
    """The identity folders under `data` that split.json does not hold out for validation."""
    validation = set(json.loads(split.read_text())["validation_identities"])
    return sorted(p.name for p in data.glob("celeb_*") if p.is_dir() and p.name not in validation)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=PACKAGE_DOC.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "celeba")
    ap.add_argument("--split", type=Path, default=SPLIT_FILE)
    ap.add_argument("--cache", type=Path, default=None, help="landmark/descriptor cache (.npz), reused if present")
    ap.add_argument("--out", type=Path, default=REPO / "models" / "identities")
    ap.add_argument("--count", type=int, default=48, help="identities to ship (half per appearance group)")
    ap.add_argument("--candidates", type=int, default=900, help="collages to make and check")
    ap.add_argument("--hosts", type=int, default=6, help="faces the candidates are rendered on to compare them")
    ap.add_argument("--per-person", type=int, default=3, help="source photos kept per person")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--source-margin", type=float, default=0.0,
                    help="every source photo must be at least (1 + margin) x each recognizer's cut for grey "
                         "renders away (the cuts are chosen from data by each build)")
    ap.add_argument("--refine", action="store_true",
                    help="only refine --out's built bank: drop flawed textures, re-order the tour on many hosts")
    ap.add_argument("--tour-hosts", type=int, default=TOUR_HOSTS, help="training faces per group for --refine")
    ap.add_argument("--tour-apart", type=float, default=TOUR_APART,
                    help="--refine drops identities close to many others until the tour reaches this (0: none)")
    ap.add_argument("--extend-group", type=int, choices=(0, 1), default=None,
                    help="add --candidates new identities to this group of --out's bank and keep its best set")
    args = ap.parse_args(argv)
    args.argv = argv

    validation = set(json.loads(args.split.read_text())["validation_identities"])
    identities = training_identities(args.data, args.split)
    faces = analyse(args.data, identities, args.cache)
    keep = np.array([p.split("/")[0] in set(identities) for p in faces["paths"]])
    faces = {k: v[keep] for k, v in faces.items()}
    if args.refine:
        return refine(args, faces)
    if args.extend_group is not None:
        return extend(args, faces, identities)
    return build(args, faces, identities, validation, argv)
