"""Before/after montage of "Remove face mask": masked | Veil | OpenCV Telea | original, one row per mask type.

Public-domain pixels only: the NASA astronaut portrait (resources/sample.jpg) wearing mask templates from
../shared/data/mask-templates (MIT). Veil and Telea fill the same hole (the one Veil's segmenter found), so the
columns compare the fill alone. Prints the mean error inside each mask against the original.

    .venv/bin/python scripts/make_unmask_montage.py            # writes docs/unmask_montage.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from editor.services.faces import detect_faces  # noqa: E402
from editor.services.unmask_service import find_and_fill_masks  # noqa: E402
from editor.vision.synthetic_mask import load_templates, wear_mask  # noqa: E402

TEMPLATES = ROOT.parent / "shared" / "data" / "mask-templates"
MASKS = ("surgical_blue", "N95", "KN95", "cloth", "gas")
COLUMNS = ("masked", "Veil (face model)", "OpenCV Telea", "original")
CROP = 200          # px around the face centre shown per cell
CELL = 240          # px per cell in the montage
LABEL_H = 28


def _filled(image: np.ndarray, faces, engine: str) -> np.ndarray:
    result = find_and_fill_masks(image, faces, engine=engine)
    out = image.copy()
    out[result.rect.slices] = result.pixels
    return out


def _cell(image: np.ndarray, centre: tuple[int, int]) -> np.ndarray:
    x, y = centre
    half = CROP // 2
    crop = image[max(0, y - half):y + half, max(0, x - half):x + half]
    return cv2.resize(crop, (CELL, CELL), interpolation=cv2.INTER_CUBIC)


def _label(text: str, width: int) -> np.ndarray:
    bar = np.full((LABEL_H, width, 3), 255, np.uint8)
    cv2.putText(bar, text, (8, LABEL_H - 9), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (30, 30, 30), 1, cv2.LINE_AA)
    return bar


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "unmask_montage.png")
    args = parser.parse_args(argv)
    original = np.asarray(Image.open(ROOT / "resources" / "sample.jpg").convert("RGB"))
    face = detect_faces(original)[0]
    centre = (int(face.box[0] + face.box[2] / 2), int(face.box[1] + face.box[3] * 0.6))
    templates = {t.name: t for t in load_templates(TEMPLATES, MASKS)}
    header = np.hstack([_label(c, CELL) for c in COLUMNS])
    rows = [header]
    for name in MASKS:
        masked, coverage = wear_mask(original, face.landmarks68, templates[name])
        faces = detect_faces(masked)                     # found again on the masked photo, as a user's would be
        cells = [masked, _filled(masked, faces, "face-model"), _filled(masked, faces, "telea"), original]
        covered = coverage > 0
        errors = [float(np.abs(c.astype(int) - original.astype(int))[covered].mean()) for c in cells[:3]]
        print(f"{name:14s} mean error in the mask: masked {errors[0]:.1f}, Veil {errors[1]:.1f}, "
              f"Telea {errors[2]:.1f}")
        rows.append(_label(name, CELL * len(COLUMNS)))
        rows.append(np.hstack([_cell(c, centre) for c in cells]))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.vstack(rows)).save(args.output, optimize=True)
    print(f"Wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
