"""Mask removal with a reference photo against without, on the validation identities (people never trained on).

    nice -n 10 .venv/bin/python bench/reference_unmask.py                  # 20 people x 2 photos, ~11 min
    nice -n 10 .venv/bin/python bench/reference_unmask.py --per-person 8   # 160 faces, about an hour

Each case: a validation photo gets a synthetic mask (models/training/synth_masks.py, fixed seed); another photo of
the same person is the reference. Both of the app's paths run on the masked photo as a user would run them:
`find_and_fill_masks` (the learned face model alone) and `unmask_with_reference` (identity check, warp, relight,
blend). Measured on the 256x256 composite aligned on the original's landmarks (the training evaluation's
protocol): PSNR and SSIM (skimage, window 11), LPIPS (VGG; models/training/feature_nets, when its weights are
cached), and the texture ratio: mean absolute Laplacian inside the true hole eroded 2 px, output / original.
Recognition: top-1 nearest neighbour of the output, embedded on the original's landmarks, among every other
photo of the validation people, with the query photo and its reference left out; dlib and FaceNet.
The landmark rows give the error of the estimates of the hidden landmarks (mean distance over the points below
the mask, in eye distances): the reference's mapped by the visible points, dlib's on the masked face, dlib's on
the model's fill, and the mean of the first and the last (what the app uses).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from editor.anonymize.recognizers import default_recognizers  # noqa: E402
from editor.core.errors import VeilError  # noqa: E402
from editor.inpaint import reference as engine  # noqa: E402
from editor.services.reference_unmask import unmask_with_reference  # noqa: E402
from editor.services.unmask_service import find_and_fill_masks  # noqa: E402
from editor.vision.face_alignment import five_from_68  # noqa: E402
from editor.vision.pipeline import default_pipeline  # noqa: E402
from models.training.align import ALIGNED_SIZE, alignment_matrix  # noqa: E402
from models.training.inpaint_quality import LpipsScorer, nearest_is_same, texture_ratio  # noqa: E402
from models.training.recognizer_thresholds import embed_identity, identities, landmarks  # noqa: E402
from models.training.reference_thresholds import UNMASKED  # noqa: E402
from models.training.synth_masks import MaskLibrary, synthesize  # noqa: E402
from models.training.vector_cache import VectorCache  # noqa: E402

SEED = 1404
HIDDEN = [i for i in range(68) if i not in engine.VISIBLE]
METHODS = ("masked", "model", "reference", "original")


def read(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def aligned(image: np.ndarray, matrix: np.ndarray, flags: int = cv2.INTER_LINEAR) -> np.ndarray:
    return cv2.warpAffine(image, matrix, (ALIGNED_SIZE, ALIGNED_SIZE), flags=flags, borderMode=cv2.BORDER_REFLECT_101)


def cases(data: Path, cache: VectorCache, people: list[str], per_person: int) -> list[tuple[str, str, str]]:
    """(person, query photo, reference photo): pairs of consecutive photos with landmarks."""
    out = []
    for person in people:
        photos = [f"{person}/{p.name}" for p in sorted((data / person).glob("*.jpg"))]
        usable = [p for p in photos if landmarks(cache, data, p) is not None]
        out += [(person, usable[2 * k], usable[2 * k + 1]) for k in range(min(per_person, len(usable) // 2))]
    return out


def composite_scores(a: np.ndarray, truth_aligned: np.ndarray, hole: np.ndarray) -> dict[str, float]:
    """PSNR, SSIM (skimage, window 11) and the texture ratio in `hole` of an aligned composite against the aligned
    original: the training evaluation's protocol."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    return {"psnr": peak_signal_noise_ratio(truth_aligned, a, data_range=255),
            "ssim": structural_similarity(truth_aligned, a, win_size=11, channel_axis=2, data_range=255),
            "texture": texture_ratio(a, truth_aligned, hole)}


def top1_hits(out: np.ndarray, truth: np.ndarray, label: np.ndarray, recognizers: list, gallery: dict,
              left_out: tuple[str, ...]) -> dict[str, bool]:
    """For each recognizer: whether the nearest gallery photo (those named in `left_out` set aside) is the right
    person, with `out` embedded on the original's landmarks `truth`."""
    hits = {}
    for r in recognizers:
        names, vecs, labels = gallery[r.name]
        hit = nearest_is_same(r.embed_faces(out, [truth]), label, vecs, labels, np.isin(names, left_out)[None])
        hits[r.name] = bool(hit[0])
    return hits


def validation_gallery(celeba: Path, cache: VectorCache) -> tuple[list[str], list, dict]:
    """(the validation people, the app's recognizers, each one's embeddings of every photo of those people)."""
    _, people = identities(celeba)
    for person in people:
        embed_identity(cache, celeba, person, list(UNMASKED.values()))
    recognizers = default_recognizers()
    return people, recognizers, {r.name: cache.rows_of(celeba, people, UNMASKED[r.name]) for r in recognizers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/veil-recognizer-embeddings.npz"))
    parser.add_argument("--per-person", type=int, default=2)
    parser.add_argument("--light-sigma", type=float, default=None,
                        help=f"override the gain field's blur, in eye distances (default {engine.LIGHT_SIGMA})")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    if args.light_sigma is not None:
        engine.LIGHT_SIGMA = args.light_sigma
    celeba = args.data / "celeba"
    library = MaskLibrary(args.data / "mask-templates")
    cache = VectorCache(args.cache)
    people, recognizers, gallery = validation_gallery(celeba, cache)
    lpips = LpipsScorer("vgg16")
    if lpips.available:
        lpips.torch.set_num_threads(2)
    else:                                   # a missing module or weights: reported, never fatal for the bench
        print(f"LPIPS unavailable ({lpips.reason}); reported without it.", file=sys.stderr)

    rows = {m: {"psnr": [], "ssim": [], "lpips": [], "texture": [], "dlib": [], "facenet": []} for m in METHODS}
    nme = {"visible": [], "masked": [], "fill": [], "mean": []}
    failures = {"no mask found": 0, "refused": 0, "other": 0}
    todo = cases(celeba, cache, people, args.per_person)
    start = time.time()
    for n, (person, query, ref_name) in enumerate(todo):
        original, truth = read(celeba / query), landmarks(cache, celeba, query)
        made = synthesize(original, truth, library, np.random.default_rng([SEED, n]))
        masked, reference = made.masked, read(celeba / ref_name)
        try:
            plain = find_and_fill_masks(masked)
            with_ref = unmask_with_reference(masked, reference)
        except VeilError as exc:
            kind = ("refused" if type(exc).__name__ == "WrongPersonError" else
                    "no mask found" if type(exc).__name__ in ("NoFaceError", "NoFaceMaskError") else "other")
            failures[kind] += 1
            print(f"  {query}: {kind}: {exc}", flush=True)
            continue
        outputs = {"masked": masked, "original": original}
        for name, result in (("model", plain), ("reference", with_ref.unmask)):
            out = masked.copy()
            out[result.rect.slices] = result.pixels
            outputs[name] = out

        # The hidden landmarks three ways, against the original's.
        face = with_ref.face
        ref68 = landmarks(cache, celeba, ref_name)
        eyes = engine.eye_distance(truth)
        fill68 = default_pipeline().landmarks_for(outputs["model"], face)
        visible = engine.hidden_landmarks(face.landmarks68, ref68)
        for name, estimate in (("visible", visible), ("masked", face.landmarks68), ("fill", fill68),
                               ("mean", (visible + fill68) / 2 if fill68 is not None else None)):
            if estimate is not None:
                nme[name].append(float(np.linalg.norm(estimate[HIDDEN] - truth[HIDDEN], axis=1).mean() / eyes))

        matrix = alignment_matrix(five_from_68(truth))
        truth_aligned = aligned(original, matrix)
        hole = aligned(made.hole.astype(np.uint8), matrix, cv2.INTER_NEAREST) > 0
        label = np.array([people.index(person)])
        for name, out in outputs.items():
            a = aligned(out, matrix)
            row = rows[name]
            for key, value in composite_scores(a, truth_aligned, hole).items():
                row[key].append(value)
            row["lpips"].append(float(lpips([truth_aligned], [a])[0]) if lpips.available else None)
            for key, hit in top1_hits(out, truth, label, recognizers, gallery, (query, ref_name)).items():
                row[key].append(hit)
        if (n + 1) % 20 == 0 or n + 1 == len(todo):
            print(f"  {n + 1}/{len(todo)} cases ({time.time() - start:.0f} s)", flush=True)

    summary = {"cases": len(todo), "measured": len(rows["model"]["psnr"]), "failures": failures,
               "light_sigma": engine.LIGHT_SIGMA, "methods": {}, "hidden_landmark_error": {}}
    print(f"\n{summary['measured']} of {len(todo)} cases measured ({failures}); light sigma {engine.LIGHT_SIGMA}")
    print(f"{'':10s} {'PSNR':>7s} {'SSIM':>6s} {'LPIPS':>6s} {'texture':>8s} {'dlib':>6s} {'FaceNet':>8s}")
    for name in METHODS:
        row = rows[name]
        mean = {k: (float(np.mean([x for x in v if x is not None])) if any(x is not None for x in v) else None)
                for k, v in row.items()}
        summary["methods"][name] = mean
        fmt = lambda v, f: format(v, f) if v is not None else "-"
        print(f"{name:10s} {fmt(mean['psnr'], '7.2f')} {fmt(mean['ssim'], '6.3f')} {fmt(mean['lpips'], '6.3f')} "
              f"{fmt(mean['texture'], '8.2f')} {fmt(mean['dlib'], '6.1%')} {fmt(mean['facenet'], '8.1%')}")
    for name, values in nme.items():
        summary["hidden_landmark_error"][name] = float(np.mean(values)) if values else None
        print(f"hidden landmarks from {name:8s}: {np.mean(values):.3f} eye distances ({len(values)} faces)")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
