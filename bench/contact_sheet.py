"""A contact sheet to look at: 24 validation faces, before and after anonymization (seed 1), with each face's status.

The faces are CelebA validation identities, the same photos the realism measure (bench/realism.py) scores, framed
the same way (Veil's 256 px alignment, after a JPEG export at quality 95) and read from the same cache.

CelebA's terms forbid redistributing its images, so the sheet is written under bench/.cache/ (gitignored) by
default and must never be committed; docs/anonymize_montage.png is the public-domain montage for the README.

    .venv/bin/python bench/contact_sheet.py                  # -> bench/.cache/contact_sheet/anonymize_contact_sheet.jpg
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from realism_crops import CACHE, DATA, SPLIT, CropCache, crop, face_from_json, pick_photos  # noqa: E402

from editor.core.image_io import load_image, save_image  # noqa: E402
from models.training.split import identities  # noqa: E402

OUT = REPO / "bench" / ".cache" / "contact_sheet" / "anonymize_contact_sheet.jpg"
FACES, PER_ROW, TILE, GAP, CAPTION = 24, 4, 224, 12, 20


def _caption(width: int, text: str) -> np.ndarray:
    band = np.full((CAPTION, width, 3), 255, np.uint8)
    cv2.putText(band, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
    return band


def sheet(faces: int = FACES, seed: int = 1, data: Path = DATA, split: Path = SPLIT, cache: Path = CACHE,
          engine=None) -> np.ndarray:
    """before | after pairs of the first `faces` anonymized-role validation photos (round-robin over people)."""
    if engine is None:
        from editor.anonymize.engine import AnonymizeEngine
        engine = AnonymizeEngine()
    _, val_ids = identities(data, split)
    photos = [p for p in pick_photos(data, val_ids, 0) if p.role == "fake"][:faces]
    store = CropCache(cache, engine, engine.pipeline, seed)
    tiles = []
    for photo in photos:
        rec = store.record(photo)
        if rec["face"] is None:
            continue
        face = face_from_json(rec["face"])
        before = crop(load_image(photo.path).pixels, face)
        after = crop(store.anonymized_photo(photo), face)
        pair = np.hstack([cv2.resize(im, (TILE, TILE), interpolation=cv2.INTER_AREA) for im in (before, after)])
        label = f"{photo.key}  {rec['status']}" + (f" ({rec['identity']})" if rec.get("identity") else "")
        tiles.append(np.vstack([pair, _caption(pair.shape[1], label)]))
    if not tiles:
        raise RuntimeError("no validation face was found")
    blank = np.full_like(tiles[0], 255)
    tiles += [blank] * (-len(tiles) % PER_ROW)
    pad = ((GAP // 2, GAP // 2), (GAP // 2, GAP // 2), (0, 0))
    rows = [np.hstack([np.pad(t, pad, constant_values=255) for t in tiles[k:k + PER_ROW]])
            for k in range(0, len(tiles), PER_ROW)]
    header = _caption(rows[0].shape[1], f"CelebA validation identities, before | after (seed {seed}), "
                                        "Veil's 256 px alignment after a JPEG 95 export. Not for redistribution.")
    return np.ascontiguousarray(np.vstack([header] + rows))


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--split", type=Path, default=SPLIT)
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--faces", type=int, default=FACES)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    image = sheet(args.faces, args.seed, args.data, args.split, args.cache)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_image(args.out, image, quality=90)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
