"""Stage 1: landmarks and dlib descriptors of every photo of the training people, cached in one .npz."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from editor.anonymize.identity import default_embedder
from editor.core.atomic import atomic_path
from editor.core.image_io import load_image
from editor.vision.largest_face import largest_face


def analyse(data: Path, identities: list[str], cache: Path | None) -> dict:
    """Landmarks and dlib descriptors of the largest face of every photo of `identities` (cached in `cache`)."""
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as c:
            found = {"paths": c["paths"], "lm": c["lm"], "emb": c["emb"]}
            tried = set(c["tried"].tolist()) if "tried" in c else set(found["paths"].tolist())
        wanted = {str(p.relative_to(data)) for i in identities for p in (data / i).glob("*.jpg")}
        if wanted <= tried:
            return found
    embedder = default_embedder()
    paths, lms, embs = [], [], []
    files = sorted(p for i in identities for p in (data / i).glob("*.jpg"))
    start = time.time()
    for n, path in enumerate(files):
        rgb = load_image(path).pixels
        face = largest_face(rgb)
        if face is not None:
            paths.append(str(path.relative_to(data)))
            lms.append(face.landmarks68)
            embs.append(embedder.embed(rgb, face.landmarks68))
        if n % 250 == 0:
            print(f"analysed {n}/{len(files)} photos ({time.time() - start:.0f} s)", flush=True)
    found = {"paths": np.array(paths), "lm": np.array(lms, np.float32), "emb": np.array(embs, np.float32)}
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(cache) as tmp, open(tmp, "wb") as f:
            np.savez(f, tried=np.array([str(p.relative_to(data)) for p in files]), **found)
    return found
