"""CelebA photos -> aligned 256x256 faces with 68 landmarks, cached in one .npz (never committed).

Each photo's face and 68 landmarks come from the app's own finder (editor.vision.largest_face: YuNet, then
dlib's 68 points on the box dlib's detector would draw), so the models train on faces aligned exactly as the app
aligns them; `align` frames the face canonically. The validation identities are fixed in split.json (ids only,
no images).

    nice -n 19 .venv/bin/python -m models.training.prepare_faces --data ../shared/data --out data/faces256.npz
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import cv2
import numpy as np

from editor.vision.largest_face import largest_face
from models.training.align import ALIGNED_SIZE, alignment_matrix, five_from_68, transform_points

REPO = Path(__file__).resolve().parents[2]
SPLIT_FILE = Path(__file__).with_name("split.json")
VAL_IDENTITIES = 20


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


def prepare(data: Path, out: Path, limit: int = 0) -> None:
    """Every photo of data/celeba (`limit` per identity, 0 = all) aligned, with its landmarks, into `out`."""
    cv2.setNumThreads(1)
    folders = identity_folders(data / "celeba")
    if not SPLIT_FILE.exists():
        write_split([f.name for f in folders])
    images, landmarks, identities, files = [], [], [], []
    missed: list[str] = []
    start = time.time()
    for n, folder in enumerate(folders):
        photos = sorted(folder.glob("*.jpg"))[: limit or None]
        for photo in photos:
            rgb = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
            face = largest_face(rgb)
            if face is None:
                missed.append(f"{folder.name}/{photo.name}")
                continue
            crop, lm = align_face(rgb, face.landmarks68)
            images.append(crop)
            landmarks.append(lm)
            identities.append(int(folder.name.split("_")[-1]))
            files.append(f"{folder.name}/{photo.name}")
        print(f"[{n + 1}/{len(folders)}] {len(images)} faces, {len(missed)} missed, {time.time() - start:.0f} s",
              flush=True)
    atomic_savez(out, images=np.stack(images), landmarks=np.stack(landmarks),
                 identity=np.array(identities, np.int32), files=np.array(files))
    print(f"wrote {out}: {len(images)} faces; no face found in {len(missed)}: {missed[:10]}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "data" / "faces256.npz")
    ap.add_argument("--limit", type=int, default=0, help="photos per identity (0 = all)")
    args = ap.parse_args(argv)
    prepare(args.data, args.out, args.limit)


if __name__ == "__main__":
    main()
