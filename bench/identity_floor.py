"""How far can replacing the inner face go? The recognizers' verdicts on originals whose inner face is taken away.

An anonymizer that keeps the photo around the face (hair, ears, neck, background) and its geometry cannot do better
than a face that is not there at all. This measures that floor on the validation people: every original photo
with its inner face (the anonymizer's blend region: the jaw line up to the lower forehead row) blurred away, or
with the upper forehead too, or filled with grey, and, for scale, the anonymizer's own fallback (pixelated and
blurred face outline) and a blur of the whole face box. Each variant is judged exactly as
bench/anonymize_bench.py judges the anonymized faces (the original's landmarks, every recognizer at its data-chosen
threshold): matched to its own original, and rank-1 gallery search among the other original photos.

    nice -n 5 .venv/bin/python bench/identity_floor.py --json OUT.json      # the MODEL_CARD table (about 5 minutes)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Optional

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.anonymize_bench import judges, validation_photos  # noqa: E402
from bench.report import publish  # noqa: E402
from editor.anonymize.fallback import obscure_face  # noqa: E402
from editor.anonymize.mesh import JAW, fill_polygon, mesh_points  # noqa: E402
from editor.anonymize.recognizers import default_recognizers  # noqa: E402
from editor.core.faces import Face  # noqa: E402
from editor.core.image_io import load_image  # noqa: E402
from editor.vision.pipeline import default_pipeline  # noqa: E402
from models.training.inpaint_quality import nearest_is_same  # noqa: E402

INNER_BLUR = 0.25         # sigma of the blur that takes the inner face away, in inter-ocular distances
BOX_BLUR = 0.15           # sigma of the face-box blur, share of the box side


def _region(shape: tuple[int, int], landmarks68: np.ndarray, upper: bool) -> np.ndarray:
    """The inner face (to the lower forehead row, or with `upper` to the top one), feathered by 2 px."""
    pts = mesh_points(landmarks68)
    top = pts[78:88] if upper else pts[68:78]
    hull = cv2.convexHull(np.concatenate([pts[JAW], top]).astype(np.float32)).reshape(-1, 2)
    return cv2.GaussianBlur(fill_polygon(shape, hull), (0, 0), 2.0)[..., None]


def _inner_blurred(upper: bool) -> Callable[[np.ndarray, Face], np.ndarray]:
    def change(rgb: np.ndarray, face: Face) -> np.ndarray:
        lm = face.landmarks68
        iod = float(np.linalg.norm(lm[36] - lm[45]))
        img = rgb.astype(np.float32)
        mask = _region(rgb.shape[:2], lm, upper)
        return img * (1 - mask) + cv2.GaussianBlur(img, (0, 0), INNER_BLUR * iod) * mask
    return change


def _inner_grey(rgb: np.ndarray, face: Face) -> np.ndarray:
    mask = _region(rgb.shape[:2], face.landmarks68, True)
    return rgb.astype(np.float32) * (1 - mask) + 128.0 * mask


def _fallback(mode: str) -> Callable[[np.ndarray, Face], np.ndarray]:
    def change(rgb: np.ndarray, face: Face) -> np.ndarray:
        patch = obscure_face(rgb, face, mode)
        out = rgb.copy()
        view = out[patch.rect.slices]
        view[patch.mask] = patch.pixels[patch.mask]
        return out
    return change


def _box_blurred(rgb: np.ndarray, face: Face) -> np.ndarray:
    x, y, w, h = (int(round(v)) for v in face.box)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(rgb.shape[1], x + w), min(rgb.shape[0], y + h)
    out = rgb.copy()
    sigma = max(1.5, BOX_BLUR * min(w, h))
    out[y0:y1, x0:x1] = cv2.GaussianBlur(rgb[y0:y1, x0:x1], (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    return out


VARIANTS: dict[str, Callable[[np.ndarray, Face], np.ndarray]] = {
    "inner face blurred away (jaw to lower forehead)": _inner_blurred(False),
    "inner face and forehead blurred away": _inner_blurred(True),
    "inner face and forehead grey": _inner_grey,
    "Veil's fallback: face outline pixelated": _fallback("pixelate"),
    "Veil's fallback: face outline blurred": _fallback("blur"),
    "face box blurred (the issue's reference)": _box_blurred,
}


def run(data: Path, split: Path, faces: Optional[int], people: str) -> dict:
    cv2.setNumThreads(2)
    pipeline = default_pipeline()
    recognizers = judges(default_recognizers(), True)      # the judges alone: no identity bank to load
    labels, originals = [], {j.name: [] for j in recognizers}
    changed = {v: {j.name: [] for j in recognizers} for v in VARIANTS}
    for path in validation_photos(data, split, faces, people):
        rgb = load_image(path).pixels
        found = [f for f in pipeline.find_faces(rgb) if f.landmarks68 is not None]
        if not found:
            continue
        face = max(found, key=lambda f: f.box[2] * f.box[3])
        labels.append(path.parent.name)
        for j in recognizers:
            originals[j.name].append(j.embedder.embed(rgb, face.landmarks68))
        for name, change in VARIANTS.items():
            img = np.clip(change(rgb, face) + 0.5, 0, 255).astype(np.uint8)
            for j in recognizers:
                changed[name][j.name].append(j.embedder.embed(img, face.landmarks68))
    ids = np.array(labels)
    own = np.eye(len(ids), dtype=bool)
    rows = {}
    for name in VARIANTS:
        rows[name] = {}
        for j in recognizers:
            probes, gallery = np.stack(changed[name][j.name]), np.stack(originals[j.name])
            match = np.mean([j.distance(p, g) < j.threshold for p, g in zip(probes, gallery)])
            rows[name][j.name] = {"match": float(match),
                                  "gallery": float(nearest_is_same(probes, ids, gallery, ids, own).mean())}
    return {"faces": len(ids), "people": len(set(labels)), "split": people,
            "judges": {j.name: {"label": j.label, "threshold": j.threshold, "in_loop": j.in_loop}
                       for j in recognizers}, "variants": rows}


def table(summary: dict, command: str) -> str:
    names = list(summary["judges"])
    head = " | ".join(f"{summary['judges'][n]['label']}: matched / gallery" for n in names)
    lines = [f"`{command}`: {summary['faces']} faces of {summary['people']} {summary['split']} people "
             f"(gallery chance about {1 / summary['people']:.0%}).", "",
             f"| original changed so | {head} |", "| --- |" + " --- |" * len(names)]
    for variant, row in summary["variants"].items():
        cells = " | ".join(f"{row[n]['match']:.1%} / {row[n]['gallery']:.1%}" for n in names)
        lines.append(f"| {variant} | {cells} |")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "celeba")
    ap.add_argument("--split", type=Path, default=REPO / "models" / "training" / "split.json")
    ap.add_argument("--faces", type=int, default=600, help="photos to use (0 = all)")
    ap.add_argument("--people", choices=("validation", "train"), default="validation")
    ap.add_argument("--json", type=Path, default=None, help="write the summary here")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: no CelebA folder at {args.data}", file=sys.stderr)
        return 2
    summary = run(args.data, args.split, args.faces, args.people)
    return publish("identity_floor.py", argv, summary, table, args.json)


if __name__ == "__main__":
    sys.exit(main())
