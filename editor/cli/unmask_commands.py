"""`veil unmask`: find the face masks in photos and fill them with the face model, without a window.

One photo to a file (`veil unmask IMG -o OUT`), or photos and folders into an output folder (several inputs, a
folder, or an OUT that is a folder): the batch keeps the tree, shows a progress bar, writes a JSON report and
resumes (editor/services/unmask_batch.py).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from editor.core import image_io
from editor.core.errors import VeilError
from editor.core.files import same_file
from editor.core.progress import JobContext

from .batch_output import print_review, print_this_run
from .cluster_options import add_ray_argument
from .progress import ProgressBar, percent_printer

EXIT_ERRORS = 1           # folder mode: some photo could not be read or written


def register(sub: argparse._SubParsersAction) -> None:
    from editor.services.inpainting import available_engines
    from editor.services.unmask_service import DEFAULT_UNMASK_ENGINE

    p = sub.add_parser("unmask", help="remove the face masks from photos and folders",
                       description="Find every face, find the face mask it wears, fill the mask area with the face "
                                   "model. One photo: `veil unmask IMG -o OUT` writes OUT; IMG is never changed "
                                   "unless OUT is IMG and --force is given; exit status 0 masks removed, 5 no face "
                                   "found, 6 no face wears a mask, 3 unreadable photo. Several photos or folders, or "
                                   "an OUT that is a folder: every photo is written under OUT with the folder tree "
                                   "kept (photos without a mask are copied unchanged and listed for review), a JSON "
                                   "report goes to OUT/veil-unmask-report.json, and a second run skips the photos "
                                   "already done; exit status 0, or 1 when some photo could not be read or written. "
                                   "The filled area is an estimate, not the person's real face: every output with "
                                   "a filled area says so in its XMP (IPTC digital source type).")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="photo with masked faces, or photos and folders")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="the result's file, or an output folder")
    p.add_argument("--engine", default=DEFAULT_UNMASK_ENGINE, choices=[name for name, _ in available_engines()],
                   help=f"engine that fills the masks (default: {DEFAULT_UNMASK_ENGINE})")
    p.add_argument("--mask-out", metavar="MASK.png", help="one photo: also write the mask area found (white = filled)")
    p.add_argument("--reference", metavar="REF", help="one photo: an unmasked photo of the same person, whose nose, "
                   "mouth and chin replace the model's guess; a photo of another person is refused (exit status 7), "
                   "one without a face too (8)")
    p.add_argument("--quality", type=int, default=None, help="JPEG/WebP quality 1-100 (default 95)")
    p.add_argument("--force", action="store_true", help="one photo: allow OUT to be IMG (overwrite the original)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="folders: photos processed in parallel (default 1)")
    add_ray_argument(p)
    p.set_defaults(handler=cmd_unmask)


def is_folder_mode(args: argparse.Namespace) -> bool:
    """Several inputs, a folder among them, or an output that is (or is written as) a folder."""
    out = str(args.output)
    return (len(args.inputs) > 1 or any(Path(i).is_dir() for i in args.inputs) or Path(out).is_dir()
            or out.endswith(("/", os.sep)))


def cmd_unmask(args: argparse.Namespace) -> int:
    if is_folder_mode(args):
        return unmask_folder(args)
    if args.ray is not None:
        raise VeilError("--ray runs folders and several photos on a Ray cluster; for one photo, leave it out (or "
                        "give an output folder).")
    args.image = args.inputs[0]
    return unmask_photo(args)


# -- one photo -------------------------------------------------------------------------------------------------------
def unmask_photo(args: argparse.Namespace) -> int:
    from editor.core.metadata_profiles import with_digital_source_type
    from editor.services.unmask_service import ESTIMATE_NOTICE, find_and_fill_masks

    _check_photo_paths(args)
    loaded = image_io.load_image(args.image)
    ctx = JobContext(on_progress=percent_printer())
    if args.reference:
        with_reference = _unmask_with_reference(args, loaded.pixels, ctx)
        result, summary = with_reference.unmask, with_reference.summary()
    else:
        result = find_and_fill_masks(loaded.pixels, ctx=ctx, engine=args.engine)
        summary = result.summary()
    out = result.filled(loaded.pixels)
    image_io.save_image(args.output, out, loaded.alpha, with_digital_source_type(loaded.metadata, result.source_type),
                        quality=args.quality)
    if args.mask_out:
        mask = result.hole_mask(out.shape)
        image_io.save_image(args.mask_out, np.repeat(mask[..., None], 3, axis=2), keep_metadata=False)
    print(summary)
    for n, outcome in enumerate(result.outcomes, 1):
        x, y, w, h = (int(round(v)) for v in outcome.face.box)
        found = f"mask of {outcome.mask_area} px filled" if outcome.mask_found else "no mask found"
        print(f"  face {n} at x={x} y={y} w={w} h={h}: {found}")
    print(f"Wrote {args.output}" + (f" and {args.mask_out}." if args.mask_out else "."))
    print(ESTIMATE_NOTICE if image_io.format_for_path(args.output) != "BMP" else
          ESTIMATE_NOTICE.split(";")[0] + "; a BMP file cannot say so in its metadata: write JPEG, PNG, TIFF or "
                                          "WebP to keep that note with the photo.")
    return 0


def _unmask_with_reference(args: argparse.Namespace, pixels: np.ndarray, ctx: JobContext):
    from editor.services.reference_unmask import unmask_with_reference

    if args.engine != "face-model":
        raise VeilError("--reference works with the face model (its fill sets the light and the seam); leave out "
                        "--engine.")
    reference = image_io.load_image(args.reference).pixels
    return unmask_with_reference(pixels, reference, ctx=ctx,
                                 reference_name=f"reference photo {Path(args.reference).name}")


def _check_photo_paths(args: argparse.Namespace) -> None:
    """Refuse an output that would replace the input, and a bad extension, before the slow part."""
    if same_file(args.image, args.output) and not args.force:
        raise VeilError(f"Refusing to overwrite the input photo {Path(args.image).name}; choose another output "
                        "path or add --force.")
    if args.mask_out and (same_file(args.mask_out, args.image) or same_file(args.mask_out, args.output)):
        raise VeilError("The --mask-out file must differ from the input photo and the output.")
    if args.reference and any(same_file(args.reference, p) for p in (args.output, args.mask_out) if p):
        raise VeilError(f"Refusing to overwrite the reference photo {Path(args.reference).name}; choose another "
                        "output path.")
    image_io.format_for_path(args.output)
    if args.mask_out:
        image_io.format_for_path(args.mask_out)


# -- photos and folders ----------------------------------------------------------------------------------------------
def unmask_folder(args: argparse.Namespace) -> int:
    from editor.services.unmask_batch import REPORT_NAME, unmask_paths
    from editor.services.unmask_service import ESTIMATE_NOTICE

    if args.mask_out:
        raise VeilError("--mask-out names one file, so it works on one photo, not on folders or several photos.")
    if args.reference:
        raise VeilError("--reference is one person's photo, so it works on one photo, not on folders or several "
                        "photos.")
    if args.force:
        raise VeilError("--force lets one photo be written over itself; folders are always written to a separate "
                        "output folder.")
    if args.jobs < 1:
        raise VeilError("--jobs must be at least 1.")
    progress = ProgressBar()
    batch = unmask_paths(args.inputs, args.output, engine=args.engine, quality=args.quality, jobs=args.jobs,
                         on_file=progress, ray=args.ray, on_note=progress.note)
    # The numbers describe the whole output folder (earlier runs included), as the report does.
    s = batch.summary()
    print(f"{s['files']} photo(s) in {args.output}: {s['masks_removed']} face mask(s) removed in {s['unmasked']} "
          f"photo(s), {s['no_mask']} with faces but no mask found and {s['no_face']} with no face found (copied "
          f"unchanged), {s['errors']} error(s).")
    print_this_run(s)
    if s["unmasked"]:
        print(ESTIMATE_NOTICE)
    print_review(batch)
    print(f"Report: {Path(args.output) / REPORT_NAME}")
    return EXIT_ERRORS if s["errors"] else 0
