"""`veil anonymize`: give every face in photos and folders a new, verified identity, sealing the originals."""

from __future__ import annotations

import argparse
from pathlib import Path

from .batch_output import print_review, print_this_run
from .cluster_options import add_ray_argument
from .progress import ProgressBar
from .vault_commands import add_seal_target_arguments

EXIT_FLAGGED = 2          # some face failed verification (it was obscured instead, and is listed)
EXIT_ERRORS = 1           # some photo could not be processed


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "anonymize", help="give every face a new identity; seal the originals for a keyholder",
        description="Anonymize every face in the photos and folders given (folders are walked, their tree kept "
                    "under OUTDIR). Each face gets a synthetic identity that keeps pose, expression and lighting, "
                    "and is verified: found again, another person for every recognizer (dlib and FaceNet, each at "
                    "its data-chosen threshold), landmark error bounded. Tiny faces and faces that fail "
                    "verification are pixelated (or blurred) and flagged. The original faces are sealed inside each "
                    "output for the keyholders named by --recipient (their public keys; repeat for several) or "
                    "for --key. Every output, with or without a face, is written with the privacy "
                    "metadata profile (no GPS, maker notes, thumbnails or personal fields). OUTDIR must lie outside "
                    "every input. A JSON report is written to OUTDIR/veil-anonymize-report.json; a second run with "
                    "the same key and seed skips the photos already finished. The summary and exit status describe "
                    "the whole output folder: 0 all verified, 2 some face failed verification, 1 some photo could "
                    "not be read. --ray runs the same work on a Ray cluster, whose workers seal for --recipient "
                    "public keys and never hold a key that restores (a symmetric --key is refused there).")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="photos or folders")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder to write the results to")
    add_seal_target_arguments(p)
    p.add_argument("--sidecar", action="store_true", help="also write OUT.veil next to each output")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="photos processed in parallel (default 1)")
    add_ray_argument(p)
    p.add_argument("--seed", type=int, default=0, help="choice of new identities (default 0)")
    p.add_argument("--strength", choices=("standard", "strong"), default="standard",
                   help="standard (default) keeps pose, expression and landmarks; strong also changes the face "
                        "shape and the eyes, for high-risk publication")
    p.add_argument("--fallback", choices=("pixelate", "blur"), default="pixelate",
                   help="how faces that cannot get a verified identity are hidden (default pixelate)")
    p.set_defaults(handler=cmd_anonymize)


def cmd_anonymize(args: argparse.Namespace) -> int:
    from editor.services.anonymize_batch import REPORT_NAME, anonymize_paths
    from editor.services.anonymize_types import UNCHANGED_NOTE, AnonymizeOptions, default_recognizers

    if args.jobs < 1:
        raise SystemExit("veil anonymize: --jobs must be at least 1")
    progress = ProgressBar()
    options = AnonymizeOptions.for_strength(args.strength, fallback=args.fallback)
    batch = anonymize_paths(args.inputs, args.output, args.key, recipients=args.recipient, seed=args.seed,
                            sidecar=args.sidecar, jobs=args.jobs, options=options, on_file=progress, ray=args.ray,
                            on_note=progress.note)
    # The numbers describe the whole output folder (earlier runs included): a resumed run that had nothing left
    # to do must still report, and exit with, the failures recorded before.
    s = batch.summary()
    print(f"{s['files']} photo(s) in {args.output}: {s['faces_found']} face(s) found, {s['anonymized']} anonymized "
          f"and verified, {s['flagged']} flagged for review ({s['failed_verification']} failed verification), "
          f"{s['no_face']} with no face found, {s['errors']} error(s).")
    print_this_run(s)
    judges = ", ".join(f"{r.label} distance >= {r.threshold:.3f}" for r in default_recognizers())
    print(f"Verified means every recognizer sees another person: {judges} (thresholds chosen from data).")
    print(UNCHANGED_NOTE)
    print_review(batch)
    print(f"Report: {Path(args.output) / REPORT_NAME}")
    if s["failed_verification"]:
        return EXIT_FLAGGED
    return EXIT_ERRORS if s["errors"] else 0
