"""`veil unmask`: find the face masks in a photo and fill them with the face model, without a window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from editor.core import image_io
from editor.core.errors import VeilError
from editor.core.files import same_file
from editor.core.progress import JobContext


def register(sub: argparse._SubParsersAction) -> None:
    from editor.inpaint.registry import engine_names
    from editor.services.unmask_service import DEFAULT_UNMASK_ENGINE

    p = sub.add_parser("unmask", help="remove the face masks from a photo",
                       description="Find every face in IMG, find the face mask it wears, fill the mask area with "
                                   "the face model and write the result to OUT. IMG is never changed unless OUT "
                                   "is IMG and --force is given. Exit status: 0 masks removed, 5 no face found, "
                                   "6 no face wears a mask, 3 unreadable photo.")
    p.add_argument("image", metavar="IMG", help="photo with masked faces")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="where to write the result")
    p.add_argument("--engine", default=DEFAULT_UNMASK_ENGINE, choices=engine_names(),
                   help=f"engine that fills the masks (default: {DEFAULT_UNMASK_ENGINE})")
    p.add_argument("--mask-out", metavar="MASK.png", help="also write the mask area found (white = filled)")
    p.add_argument("--quality", type=int, default=None, help="JPEG/WebP quality 1-100 (default 95)")
    p.add_argument("--force", action="store_true", help="allow OUT to be IMG (overwrite the original)")
    p.set_defaults(handler=cmd_unmask)


def _progress(enabled: bool):
    def show(fraction: float, text: str) -> None:
        if enabled:
            sys.stderr.write(f"\r{int(fraction * 100):3d}% {text:<40.40}")
            if fraction >= 1.0:
                sys.stderr.write("\n")
            sys.stderr.flush()
    return show


def cmd_unmask(args: argparse.Namespace) -> int:
    from editor.services.unmask_service import find_and_fill_masks

    if same_file(args.image, args.output) and not args.force:
        raise VeilError(f"Refusing to overwrite the input photo {Path(args.image).name}; choose another output "
                        "path or add --force.")
    if args.mask_out and (same_file(args.mask_out, args.image) or same_file(args.mask_out, args.output)):
        raise VeilError("The --mask-out file must differ from the input photo and the output.")
    image_io.format_for_path(args.output)                 # a bad extension fails before the slow part
    if args.mask_out:
        image_io.format_for_path(args.mask_out)
    loaded = image_io.load_image(args.image)
    result = find_and_fill_masks(loaded.pixels, ctx=JobContext(on_progress=_progress(sys.stderr.isatty())),
                                 engine=args.engine)
    out = loaded.pixels.copy()
    out[result.rect.slices] = result.pixels
    image_io.save_image(args.output, out, loaded.alpha, loaded.metadata, quality=args.quality)
    if args.mask_out:
        mask = result.hole_mask(out.shape)
        image_io.save_image(args.mask_out, np.repeat(mask[..., None], 3, axis=2), keep_metadata=False)
    print(result.summary())
    for n, outcome in enumerate(result.outcomes, 1):
        x, y, w, h = (int(round(v)) for v in outcome.face.box)
        found = f"mask of {outcome.mask_area} px filled" if outcome.mask_found else "no mask found"
        print(f"  face {n} at x={x} y={y} w={w} h={h}: {found}")
    print(f"Wrote {args.output}" + (f" and {args.mask_out}." if args.mask_out else "."))
    return 0
