"""Mask removal as the app runs it, on whole validation photos: what the segmenter leaves, and what the fill gives.

    nice -n 10 .venv/bin/python bench/unmask_app.py                      # 20 people x 15 photos, about 5 minutes
    nice -n 10 .venv/bin/python bench/unmask_app.py --segmenter runs/segmenter_long/mask_segmenter.onnx
    nice -n 10 .venv/bin/python bench/unmask_app.py --inpainter runs/inpainter_identity/mcsam_inpainter.onnx

models/training/evaluate.py judges the models on their own, on faces aligned on the original's landmarks with the
true hole. A user gets the whole chain: faces found on the masked photo, its mask segmented there, the fill aligned
on landmarks guessed under the mask (find_and_fill_masks). This bench runs that chain on whole photos of the
validation people (never trained on), each given a synthetic mask (models/training/synth_masks.py, fixed seed):

- segmentation: the share of the true mask (alpha > 0.5) that the app's hole leaves (fabric left in the output),
  its mean and the photos where more than 5% / 20% is left; and the share of pixels replaced outside the true hole
  (real face lost), in units of the mask's area;
- the fill: PSNR, SSIM (skimage, window 11) and the texture ratio on the 256 x 256 composite aligned on the
  original's landmarks (the training evaluation's protocol), and top-1 recognition: the right person is the nearest
  among every other photo of the validation people, embedded on the original's landmarks (dlib and FaceNet).
  Rows: the masked photo; the app; the app's fill given the true hole (what a perfect segmenter would give);
  the original.

--segmenter / --inpainter run a candidate ONNX file (an export of models/training) in place of the shipped one.
--resample F shrinks each masked photo to F of its size and enlarges it back before the app sees it: the same
photos as small, soft faces (CelebA's are all about as sharp), judged against the sharp originals.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.reference_unmask import aligned, composite_scores, read, top1_hits, validation_gallery  # noqa: E402
from editor.core.errors import VeilError  # noqa: E402
from editor.core.geometry import bounding_rect  # noqa: E402
from editor.inpaint import face_model  # noqa: E402
from editor.inpaint.face_model import FaceHole  # noqa: E402
from editor.inpaint.registry import get_engine  # noqa: E402
from editor.services import unmask_service  # noqa: E402
from editor.vision import mask_segmenter  # noqa: E402
from editor.vision.face_alignment import five_from_68  # noqa: E402
from models.training.align import alignment_matrix  # noqa: E402
from models.training.recognizer_thresholds import landmarks  # noqa: E402
from models.training.synth_masks import MaskLibrary, synthesize  # noqa: E402
from models.training.vector_cache import VectorCache  # noqa: E402

SEED = 2024
ROWS = ("masked", "app", "app, true hole", "original")
SOME_LEFT, MUCH_LEFT = 0.05, 0.20    # shares of the mask left unfound: fabric left / a failed segmentation


def resampled(image: np.ndarray, factor: float) -> np.ndarray:
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def true_hole_fill(masked: np.ndarray, hole: np.ndarray, faces: list) -> np.ndarray:
    """The app's fill (both passes) of the true hole on the largest of the faces the app found: the segmenter
    taken out."""
    face = max(faces, key=lambda f: f.box[2] * f.box[3])
    rect = bounding_rect(hole)
    face_hole = FaceHole(face, rect, (hole[rect.slices] > 0).astype(np.uint8) * 255)
    engine = get_engine(unmask_service.DEFAULT_UNMASK_ENGINE)
    fill = unmask_service._fill_with_face_model(masked, [face_hole], engine, unmask_service.JobContext())
    out = masked.copy()
    out[fill.rect.slices] = fill.pixels
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/veil-recognizer-embeddings.npz"))
    parser.add_argument("--per-person", type=int, default=15)
    parser.add_argument("--segmenter", type=Path, help="a candidate mask_segmenter.onnx")
    parser.add_argument("--inpainter", type=Path, help="a candidate mcsam_inpainter.onnx")
    parser.add_argument("--resample", type=float, default=1.0,
                        help="shrink each masked photo to this share of its size and enlarge it back (1: as it is)")
    parser.add_argument("--json", type=Path, help="also write the summary and the per-photo rows here")
    args = parser.parse_args()
    if args.segmenter:
        mask_segmenter._model.use_file(args.segmenter)
    if args.inpainter:
        face_model._model.use_file(args.inpainter)
    celeba = args.data / "celeba"
    library = MaskLibrary(args.data / "mask-templates")
    cache = VectorCache(args.cache)
    people, recognizers, gallery = validation_gallery(celeba, cache)
    todo = []
    for person in people:
        photos = [f"{person}/{p.name}" for p in sorted((celeba / person).glob("*.jpg"))]
        todo += [(person, p) for p in photos if landmarks(cache, celeba, p) is not None][:args.per_person]

    rows = {m: {"psnr": [], "ssim": [], "texture": [], "dlib": [], "facenet": []} for m in ROWS}
    photos, failures, start = [], {}, time.time()
    for n, (person, query) in enumerate(todo):
        original, truth = read(celeba / query), landmarks(cache, celeba, query)
        made = synthesize(original, truth, library, np.random.default_rng([SEED, n]))
        if args.resample != 1.0:
            made = replace(made, masked=resampled(made.masked, args.resample))
        try:
            result = unmask_service.find_and_fill_masks(made.masked)
        except VeilError as exc:
            failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
            photos.append({"photo": query, "template": made.template, "error": str(exc)})
            continue
        found = result.hole_mask(original.shape) >= 128
        mask = made.alpha > 0.5
        left = float((mask & ~found).sum() / max(mask.sum(), 1))
        lost = float((found & ~made.hole).sum() / max(mask.sum(), 1))
        true_hole = true_hole_fill(made.masked, made.hole, [o.face for o in result.outcomes])
        outputs = {"masked": made.masked, "app": result.filled(made.masked), "app, true hole": true_hole,
                   "original": original}
        matrix = alignment_matrix(five_from_68(truth))
        truth_aligned = aligned(original, matrix)
        hole = aligned(made.hole.astype(np.uint8), matrix, cv2.INTER_NEAREST) > 0
        label = np.array([people.index(person)])
        record = {"photo": query, "template": made.template, "left": round(left, 4), "lost": round(lost, 4)}
        for name, out in outputs.items():
            a = aligned(out, matrix)
            row = rows[name]
            for key, value in composite_scores(a, truth_aligned, hole).items():
                if name != "original" or key == "texture":         # the original's PSNR is infinite
                    row[key].append(value)
            for key, hit in top1_hits(out, truth, label, recognizers, gallery, (query,)).items():
                row[key].append(hit)
                record[f"{name}: {key}"] = hit
        record["app psnr"] = round(float(rows["app"]["psnr"][-1]), 2)
        photos.append(record)
        if (n + 1) % 50 == 0 or n + 1 == len(todo):
            print(f"  {n + 1}/{len(todo)} photos ({time.time() - start:.0f} s)", flush=True)

    measured = [p for p in photos if "left" in p]
    left = np.array([p["left"] for p in measured])
    lost = np.array([p["lost"] for p in measured])
    summary = {
        "photos": len(todo), "measured": len(measured), "failures": failures,
        "segmenter": str(args.segmenter or "shipped"), "inpainter": str(args.inpainter or "shipped"),
        "resample": args.resample,
        "segmentation": {"left_mean": float(left.mean()), f"left_over_{SOME_LEFT:.0%}": int((left > SOME_LEFT).sum()),
                         f"left_over_{MUCH_LEFT:.0%}": int((left > MUCH_LEFT).sum()), "lost_mean": float(lost.mean()),
                         "lost_p90": float(np.percentile(lost, 90))},
        "fill": {m: {k: (float(np.mean(v)) if v else None) for k, v in rows[m].items()} for m in ROWS},
    }
    seg = summary["segmentation"]
    print(f"\n{len(measured)} of {len(todo)} photos measured ({failures or 'no failures'}); segmenter "
          f"{summary['segmenter']}, inpainter {summary['inpainter']}, resampled x{args.resample}")
    print(f"mask left unfound: mean {seg['left_mean']:.2%}; photos with > {SOME_LEFT:.0%} left "
          f"{seg[f'left_over_{SOME_LEFT:.0%}']}, > {MUCH_LEFT:.0%} left {seg[f'left_over_{MUCH_LEFT:.0%}']}; "
          f"face replaced outside the mask: mean {seg['lost_mean']:.2%} of its area (p90 {seg['lost_p90']:.2%})")
    print(f"{'':16s} {'PSNR':>6s} {'SSIM':>6s} {'texture':>8s} {'dlib':>6s} {'FaceNet':>8s}")
    fmt = lambda v, f: format(v, f) if v is not None else "-"
    for name in ROWS:
        m = summary["fill"][name]
        print(f"{name:16s} {fmt(m['psnr'], '6.2f')} {fmt(m['ssim'], '6.3f')} {fmt(m['texture'], '8.2f')} "
              f"{m['dlib']:6.1%} {m['facenet']:8.1%}")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "photos": photos}, indent=1) + "\n")


if __name__ == "__main__":
    main()
