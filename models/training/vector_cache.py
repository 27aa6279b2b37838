"""A resumable cache of vectors (landmarks, embeddings) by kind and photo, in one .npz without pickles.

Embedding thousands of photos takes a quarter of an hour on two cores; the calibration scripts save this cache
after every identity so that a stopped run resumes where it stopped. Its contents derive from the training data,
so it lives outside the repository (or in a gitignored folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np


class VectorCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, dict[str, np.ndarray]] = {}
        if path.exists():
            with np.load(path) as z:
                for key in z.files:
                    if key.endswith("__names"):
                        kind = key[: -len("__names")]
                        self.data[kind] = dict(zip(z[key].tolist(), z[kind + "__vecs"]))

    def get(self, kind: str, photo: str) -> Optional[np.ndarray]:
        return self.data.get(kind, {}).get(photo)

    def put(self, kind: str, photo: str, vector: np.ndarray) -> None:
        self.data.setdefault(kind, {})[photo] = np.asarray(vector, np.float32)

    def save(self) -> None:
        arrays = {}
        for kind, rows in self.data.items():
            arrays[kind + "__names"] = np.array(list(rows))
            arrays[kind + "__vecs"] = np.stack(list(rows.values()))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(self.path)

    def rows_of(self, data: Path, people: list[str], kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The `kind` vectors of every photo of `people` (folders under `data`) that has one, with each photo's
        name ('person/file.jpg') and person as a label (its index in `people`); NaN rows mark photos without a
        face and are left out."""
        photos, vecs, labels = [], [], []
        for label, person in enumerate(people):
            for p in sorted((data / person).glob("*.jpg")):
                photo = f"{person}/{p.name}"
                v = self.get(kind, photo)
                if v is not None and np.isfinite(v).all():
                    photos.append(photo)
                    vecs.append(v)
                    labels.append(label)
        return np.array(photos), np.stack(vecs), np.array(labels)

    def vectors_of(self, data: Path, people: list[str], kind: str) -> tuple[np.ndarray, np.ndarray]:
        """rows_of without the photo names."""
        _, vecs, labels = self.rows_of(data, people, kind)
        return vecs, labels
