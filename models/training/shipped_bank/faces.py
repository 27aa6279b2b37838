"""Stage 1: landmarks and every recognizer's vector of every photo of the training people, cached in one .npz.

dlib's vectors are `emb` (the bank is organised in dlib's space); each other recognizer the engine verifies with
has `emb_NAME` (FaceNet: `emb_facenet`), embedded from the same landmarks, so the source check can compare an
identity with every photo by every recognizer."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from editor.anonymize.identity import default_embedder
from editor.anonymize.recognizers import default_recognizers
from editor.core.atomic import atomic_path
from editor.core.image_io import load_image
from editor.vision.largest_face import largest_face

BATCH = 64                     # photos embedded at once when a cache gains a recognizer's vectors


def vector_key(name: str) -> str:
    """The analysis's key of recognizer `name`'s vectors."""
    return "emb" if name == "dlib" else f"emb_{name}"


def photo_vectors(faces: dict) -> dict[str, np.ndarray]:
    """Recognizer name -> its vector of every analysed photo (rows in the order of faces["paths"])."""
    return {r.name: faces[vector_key(r.name)] for r in default_recognizers()}


def analyse(data: Path, identities: list[str], cache: Path | None) -> dict:
    """Landmarks and every recognizer's vector of the largest face of every photo of `identities` (cached in
    `cache`; a cache without some recognizer's vectors gains them from its own landmarks)."""
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as c:
            found = {k: c[k] for k in c.files if k != "tried"}
            tried = set(c["tried"].tolist()) if "tried" in c else set(found["paths"].tolist())
        wanted = {str(p.relative_to(data)) for i in identities for p in (data / i).glob("*.jpg")}
        if wanted <= tried:
            missing = [r for r in default_recognizers() if vector_key(r.name) not in found]
            if missing:
                _add_vectors(data, found, missing)
                _save(cache, sorted(tried), found)
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
    _add_vectors(data, found, [r for r in default_recognizers() if r.name != "dlib"])
    if cache is not None:
        _save(cache, [str(p.relative_to(data)) for p in files], found)
    return found


def _add_vectors(data: Path, found: dict, recognizers) -> None:
    """Each of `recognizers`' vectors of every analysed photo, from the photo's cached landmarks."""
    start = time.time()
    for rec in recognizers:
        embedder, out = rec.embedder, []
        for at in range(0, len(found["paths"]), BATCH):
            rows = range(at, min(at + BATCH, len(found["paths"])))
            out.append(embedder.embed_chips([embedder.chip(load_image(data / str(found["paths"][i])).pixels,
                                                           found["lm"][i].astype(np.float64)) for i in rows]))
            print(f"{rec.name}: embedded {rows.stop}/{len(found['paths'])} photos ({time.time() - start:.0f} s)",
                  flush=True)
        found[vector_key(rec.name)] = (np.concatenate(out) if out else np.zeros((0, 0))).astype(np.float32)


def _save(cache: Path, tried: list[str], found: dict) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cache) as tmp, open(tmp, "wb") as f:
        np.savez(f, tried=np.array(tried), **found)
