"""What the cluster tests share besides fixtures: the repository root and photos made from the public-domain
astronaut portrait (whether a process is alive: tests/process_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from editor.core import image_io

ROOT = Path(__file__).resolve().parents[2]


def make_photos(folder: Path, astronaut: np.ndarray, faces: int = 3) -> Path:
    """`faces` photos of the astronaut, each shifted so no two are alike (PNG and JPEG, one in a subfolder), and a
    photo without a face (the flag and the suit beside her)."""
    (folder / "day2").mkdir(parents=True)
    for i in range(faces):
        shifted = np.ascontiguousarray(np.roll(astronaut, 12 * i, axis=1))
        name = folder / ("day2" if i % 2 else "") / f"p{i}.{'jpg' if i % 3 == 2 else 'png'}"
        image_io.save_image(name, shifted)
    image_io.save_image(folder / "flag.png", np.ascontiguousarray(astronaut[:, 330:]))
    return folder
