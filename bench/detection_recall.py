"""Face detection recall, landmark quality and speed on CelebA, bare and wearing synthetic masks.

Every CelebA photo holds one face near its centre; a face counts as found when a detection's box contains the
photo's centre. For each photo this measures YuNet (Veil's detector) and dlib's HOG detector, then draws a face
mask from the templates onto the face (by Veil's own 68 landmarks) and measures both again. Landmarks are
compared with what dlib's predictor gives on the box dlib's own HOG detector draws (where it finds the face),
as NME: mean point error / outer-eye-corner distance.

    .venv/bin/python bench/detection_recall.py                    # all photos in ../shared/data/celeba
    .venv/bin/python bench/detection_recall.py --limit 300        # a quick look

Prints a markdown table for the README and one JSON line with the numbers (for models/manifest.json).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Optional

import cv2
import dlib
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from editor.core.faces import Face  # noqa: E402
from editor.vision.detector import FaceDetector  # noqa: E402
from editor.vision.landmarks import predictor_path  # noqa: E402
from editor.vision.pipeline import FacePipeline  # noqa: E402
from editor.vision.synthetic_mask import MaskTemplate, load_templates, wear_mask  # noqa: E402


def photos(celeba: Path, limit: Optional[int]) -> list[Path]:
    folders = sorted((p for p in celeba.iterdir() if p.is_dir()), key=lambda p: int(p.name.rsplit("_", 1)[-1]))
    files = [f for folder in folders for f in sorted(folder.glob("*.jpg"))]
    return files[:limit] if limit else files


def central(boxes: list[tuple[float, float, float, float]], width: int, height: int) -> Optional[int]:
    """Index of the box that contains the photo's centre (the largest, if several do)."""
    cx, cy = width / 2, height / 2
    hits = [i for i, (x, y, w, h) in enumerate(boxes) if x <= cx <= x + w and y <= cy <= y + h]
    return max(hits, key=lambda i: boxes[i][2] * boxes[i][3]) if hits else None


def nme(points: np.ndarray, reference: np.ndarray) -> float:
    return float(np.linalg.norm(points - reference, axis=1).mean() / np.linalg.norm(reference[36] - reference[45]))


class Bench:
    def __init__(self, templates: list[MaskTemplate]) -> None:
        self.pipeline = FacePipeline()
        self.detector: FaceDetector = self.pipeline.detector
        self.hog = dlib.get_frontal_face_detector()
        self.shape_predictor = dlib.shape_predictor(str(predictor_path()))   # the same model, on HOG's boxes
        self.templates = templates
        self.rows: list[dict] = []

    def yunet(self, image: np.ndarray) -> tuple[Optional[Face], float]:
        start = time.perf_counter()
        faces = self.detector.detect(image)
        ms = (time.perf_counter() - start) * 1000
        hit = central([f.box for f in faces], image.shape[1], image.shape[0])
        return (faces[hit] if hit is not None else None), ms

    def hog_box(self, image: np.ndarray) -> tuple[Optional[dlib.rectangle], float]:
        start = time.perf_counter()
        rects = self.hog(image, 1)                                # upsample once: CelebA faces are ~90 px
        ms = (time.perf_counter() - start) * 1000
        boxes = [(r.left(), r.top(), r.width(), r.height()) for r in rects]
        hit = central(boxes, image.shape[1], image.shape[0])
        return (rects[hit] if hit is not None else None), ms

    def landmarks(self, image: np.ndarray, face: Face) -> tuple[Optional[np.ndarray], float]:
        start = time.perf_counter()
        points = self.pipeline.landmarks_for(image, face)        # with the pipeline's own checks
        return points, (time.perf_counter() - start) * 1000

    def measure(self, path: Path, n: int) -> None:
        image = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        row: dict = {"id": path.parent.name}
        face, row["yunet_ms"] = self.yunet(image)
        hog, row["hog_ms"] = self.hog_box(image)
        row["yunet"], row["hog"] = face is not None, hog is not None
        points = None
        if face is not None:
            points, row["landmarks_ms"] = self.landmarks(image, face)
            row["landmarks"] = points is not None
        if points is not None and hog is not None:
            reference = np.array([(p.x, p.y) for p in self.shape_predictor(image, hog).parts()], np.float64)
            row["nme"] = nme(points, reference)
        if points is not None:
            template = self.templates[n % len(self.templates)]
            masked, _ = wear_mask(image, points, template)
            row["template"] = template.name
            masked_face, row["masked_yunet_ms"] = self.yunet(masked)
            masked_hog, _ = self.hog_box(masked)
            row["masked_yunet"], row["masked_hog"] = masked_face is not None, masked_hog is not None
            if masked_face is not None:
                masked_points, _ = self.landmarks(masked, masked_face)
                row["masked_landmarks"] = masked_points is not None
                if masked_points is not None:
                    row["masked_nme"] = nme(masked_points, points.astype(np.float64))
        self.rows.append(row)


def rate(rows: list[dict], key: str) -> tuple[float, int]:
    values = [r[key] for r in rows if key in r]
    return (100.0 * sum(values) / len(values) if values else float("nan")), len(values)


def mean(rows: list[dict], key: str) -> float:
    values = [r[key] for r in rows if key in r]
    return float(np.mean(values)) if values else float("nan")


def big_photo_timing(files: list[Path], detector: FaceDetector, repeats: int = 3) -> dict:
    """A 12 MP 'group photo' tiled from CelebA photos: detection time and how many of its faces are found."""
    cols, rows_n = 22, 14                                         # 3916 x 3052 px, 308 faces of ~90 px
    tiles = [cv2.cvtColor(cv2.imread(str(f), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) for f in files[: cols * rows_n]]
    if len(tiles) < cols * rows_n:
        return {}
    h, w = tiles[0].shape[:2]
    canvas = np.vstack([np.hstack(tiles[r * cols:(r + 1) * cols]) for r in range(rows_n)])
    detector.detect(canvas)                                      # first call sizes buffers
    times, faces = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        faces = detector.detect(canvas)
        times.append((time.perf_counter() - start) * 1000)
    found = {(int((f.box[1] + f.box[3] / 2) // h), int((f.box[0] + f.box[2] / 2) // w)) for f in faces}
    return {"size": f"{canvas.shape[1]}x{canvas.shape[0]}", "faces": cols * rows_n, "found": len(found),
            "detections": len(faces), "ms": float(np.median(times))}


def report(rows: list[dict], big: dict, args: argparse.Namespace) -> None:
    n = len(rows)
    yunet, _ = rate(rows, "yunet")
    hog, _ = rate(rows, "hog")
    lms, _ = rate(rows, "landmarks")
    nmes = np.array([r["nme"] for r in rows if "nme" in r])
    m_yunet, m_n = rate(rows, "masked_yunet")
    m_hog, _ = rate(rows, "masked_hog")
    m_lms, _ = rate(rows, "masked_landmarks")
    m_nmes = np.array([r["masked_nme"] for r in rows if "masked_nme" in r])
    cmd = "python bench/detection_recall.py" + (f" --limit {args.limit}" if args.limit else "")
    print(f"\n### Face detection on CelebA ({n} photos, one face each; {os.cpu_count()} CPU cores)\n")
    print(f"`{cmd}`\n")
    print("| measure | YuNet (Veil) | dlib HOG |")
    print("| --- | --- | --- |")
    print(f"| faces found, bare | {yunet:.2f}% | {hog:.2f}% |")
    print(f"| faces found, wearing a synthetic mask ({m_n} photos) | {m_yunet:.2f}% | {m_hog:.2f}% |")
    print(f"| detection time per photo (178x218) | {mean(rows, 'yunet_ms'):.1f} ms | {mean(rows, 'hog_ms'):.1f} ms |")
    print(f"| 68 landmarks given, bare / masked | {lms:.2f}% / {m_lms:.2f}% | |")
    print(f"| landmark time per face | {mean(rows, 'landmarks_ms'):.1f} ms | |")
    if len(nmes):
        print(f"| landmark NME vs dlib on its own HOG box ({len(nmes)} faces) | mean {100 * nmes.mean():.2f}%, "
              f"median {100 * np.median(nmes):.2f}%, >5%: {100 * (nmes > 0.05).mean():.1f}% | (reference) |")
    if len(m_nmes):
        print(f"| landmark NME masked vs same face bare ({len(m_nmes)} faces) | mean {100 * m_nmes.mean():.2f}%, "
              f"median {100 * np.median(m_nmes):.2f}% | |")
    if big:
        print(f"| 12 MP group photo ({big['size']}, {big['faces']} faces of ~90 px) | {big['found']} found, "
              f"{big['ms']:.0f} ms | |")
    per_template = {}
    for r in rows:
        if "template" in r:
            per_template.setdefault(r["template"], []).append(r["masked_yunet"])
    print("\nMasked recall by template (YuNet): "
          + ", ".join(f"{k} {100 * np.mean(v):.1f}%" for k, v in sorted(per_template.items())))
    summary = {
        "celeba_photos": n, "recall": round(yunet / 100, 4), "recall_masked": round(m_yunet / 100, 4),
        "hog_recall": round(hog / 100, 4), "hog_recall_masked": round(m_hog / 100, 4),
        "detect_ms_178x218": round(mean(rows, "yunet_ms"), 2), "landmarks_ms": round(mean(rows, "landmarks_ms"), 2),
        "landmark_nme_vs_hog_box": round(float(nmes.mean()), 4) if len(nmes) else None,
        "big_photo": big,
    }
    print("\n" + json.dumps(summary))


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data",
                        help="data folder holding celeba/ and mask-templates/ (default: ../shared/data)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N photos")
    args = parser.parse_args(argv)
    celeba, templates_dir = args.data / "celeba", args.data / "mask-templates"
    if not celeba.is_dir() or not (templates_dir / "masks.cfg").is_file():
        print(f"No celeba/ and mask-templates/ under {args.data}; pass --data.", file=sys.stderr)
        return 2
    files = photos(celeba, args.limit)
    bench = Bench(load_templates(templates_dir))
    start = time.perf_counter()
    for n, path in enumerate(files):
        bench.measure(path, n)
        if (n + 1) % 250 == 0:
            print(f"{n + 1}/{len(files)} photos, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    big = big_photo_timing(photos(celeba, None), bench.detector)
    report(bench.rows, big, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
