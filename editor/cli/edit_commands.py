"""`veil detect` and `veil inpaint`: the editor's services without a window."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from editor.core import image_io
from editor.core.errors import ImageError
from editor.core.progress import JobContext

from .paths import refuse_output_among_inputs
from .progress import percent_printer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detect", help="find faces in a photo",
                       description="Find every face in a photo and print its box, score and landmarks.")
    p.add_argument("image", help="photo to scan")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument("--no-landmarks", action="store_true", help="skip the 68-point landmarks (faster)")
    p.set_defaults(handler=cmd_detect)

    from editor.services.inpainting import FACE_AWARE_ENGINE, available_engines

    p = sub.add_parser("inpaint", help="fill a masked region of a photo",
                       description="Fill the white area of MASK in IMG and write the result to OUT.")
    p.add_argument("image", help="photo to edit (never modified)")
    p.add_argument("--mask", required=True, help="mask image, same size as the photo: white = fill")
    p.add_argument("-o", "--output", required=True, help="where to write the result")
    p.add_argument("--engine", default=FACE_AWARE_ENGINE, choices=[name for name, _ in available_engines()],
                   help=f"inpainting engine (default: {FACE_AWARE_ENGINE}: the face model on faces, FSR elsewhere)")
    p.add_argument("--quality", type=int, default=None, help="JPEG/WebP quality 1-100 (default 95)")
    p.set_defaults(handler=cmd_inpaint)


def cmd_detect(args: argparse.Namespace) -> int:
    from editor.services.faces import detect_faces

    loaded = image_io.load_image(args.image)
    faces = detect_faces(loaded.pixels, with_landmarks=not args.no_landmarks)
    if args.json:
        json.dump({"image": str(args.image), "width": loaded.width, "height": loaded.height,
                   "faces": [f.to_json() for f in faces]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not faces:
        print(f"No faces found in {Path(args.image).name}.")
        return 0
    print(f"{len(faces)} face(s) in {Path(args.image).name} ({loaded.width}x{loaded.height}):")
    for i, f in enumerate(faces, 1):
        x, y, w, h = (int(round(v)) for v in f.box)
        marks = "68 landmarks" if f.landmarks68 is not None else "no landmarks"
        print(f"  {i}. x={x} y={y} w={w} h={h} score={f.score:.2f} {marks}")
    return 0


def load_mask(path: str | Path, shape: tuple[int, int]) -> np.ndarray:
    """A mask file as uint8 0..255 (white = selected), checked against the photo's size."""
    loaded = image_io.load_image(path)
    mask = loaded.pixels.max(axis=2) if loaded.alpha is None else np.minimum(loaded.pixels.max(axis=2), loaded.alpha)
    if mask.shape != shape:
        raise ImageError(f"The mask {Path(path).name} is {mask.shape[1]}x{mask.shape[0]} but the photo is "
                         f"{shape[1]}x{shape[0]}; they must be the same size.")
    return mask


def cmd_inpaint(args: argparse.Namespace) -> int:
    from editor.services.inpainting import inpaint

    refuse_output_among_inputs(args.output, {"photo": args.image, "mask": args.mask})
    image_io.format_for_path(args.output)          # fail on a bad extension before the slow part
    loaded = image_io.load_image(args.image)
    mask = load_mask(args.mask, (loaded.height, loaded.width))
    ctx = JobContext(on_progress=percent_printer())
    result = inpaint(loaded.pixels, mask, args.engine, ctx)
    out = loaded.pixels.copy()
    out[result.rect.slices] = result.pixels
    image_io.save_image(args.output, out, loaded.alpha, loaded.metadata, quality=args.quality)
    print(f"Filled {int((mask > 127).sum())} px with {result.engine} on {result.device}; wrote {args.output}.")
    return 0
