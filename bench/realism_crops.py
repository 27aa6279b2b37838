"""The faces the realism measure looks at: aligned crops of real photos and of anonymized *other* photos.

Every identity's photos (sorted by name) alternate between two roles: even positions stay real, odd positions are
anonymized. A photo is never seen both ways, so a classifier cannot win by pairing a face with its own original.
Both kinds of photo go through the same path: Veil's face pipeline finds the face on the original, the photo is
written as Veil's export writes it (JPEG quality 95, 4:4:4) and read back, and the face is cut out with the app's
alignment (editor/vision/face_alignment.py, the 256 px FFHQ framing) from the *original's* landmarks, so the
framing cannot give the anonymized faces away either.

The engine is only called through its public API, `AnonymizeEngine().anonymize(image, faces, seed)`. Its outputs
(the anonymized photo, lossless, and each face's status) are cached per photo under a folder named after a hash of
the engine's and the face pipeline's sources and the identity bank, so an interrupted run resumes and a changed
engine is run again rather than read stale. Crops are cut from the cache on the fly (about 2 ms each): caching
the 178 x 218 photo instead of the upscaled 256 px crop keeps the cache small.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

import cv2
import numpy as np
from PIL import Image

from editor.core.faces import Face
from editor.core.image_io import encode_image, load_image
from editor.vision.face_alignment import align_face
from editor.vision.face_region import face_mask
from models.training.split import SPLIT  # noqa: F401  (the benches' default split)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "celeba"
CACHE = REPO / "bench" / ".cache" / "realism"   # engine outputs and features (derived from CelebA: gitignored)
ANONYMIZED = "anonymized"        # the engine's status for a face it gave a verified synthetic identity
NO_FACE = "no-face"              # the pipeline found no face with landmarks in the original
EXPORT_QUALITY = 95              # Veil's JPEG export default (editor/core/image_io.py)
LIGHT_BLUR_SIGMA = 1.5           # px: a subtle smudge for the calibration rows, well short of the fallback's blur

# What the cached engine outputs depend on: if any of these change, the cache folder changes.
_FINGERPRINT_GLOBS = ("editor/anonymize/**/*.py", "editor/vision/**/*.py", "models/identities/*",
                      "models/manifest.json")


@dataclass(frozen=True)
class Photo:
    identity: str
    path: Path
    role: str                    # "real" or "fake": which side of the dataset this photo feeds

    @property
    def key(self) -> str:
        return f"{self.identity}/{self.path.stem}"


def pick_photos(data: Path, identities: list[str], count: int) -> list[Photo]:
    """`count` photos (0 = all), half of each role, taken round-robin over the people so a small count still
    sees everyone; even positions in a person's folder are real, odd ones are anonymized."""
    per_person = [(i, sorted((data / i).glob("*.jpg"))) for i in identities]
    depth = max((len(files) for _, files in per_person), default=0)
    out = []
    for parity, role in ((0, "real"), (1, "fake")):
        ordered = [Photo(i, files[k], role) for k in range(parity, depth, 2) for i, files in per_person
                   if k < len(files)]
        out += ordered[: count // 2] if count else ordered
    return out


def fingerprint(seed: int, bank_ids: Optional[tuple[str, ...]] = None, options: object = None) -> str:
    """A short hash naming the cache folder: the engine and pipeline sources, the models they load, the seed and
    the engine options (their repr: a frozen dataclass prints every field)."""
    h = hashlib.sha256(f"seed={seed};quality={EXPORT_QUALITY};bank={bank_ids};options={options!r}".encode())
    for pattern in _FINGERPRINT_GLOBS:
        for path in sorted(REPO.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.relative_to(REPO).as_posix().encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def exported(rgb: np.ndarray) -> np.ndarray:
    """The photo as Veil's JPEG export would leave it: both classes carry the same compression, so the
    classifier cannot tell them apart by a JPEG grid the anonymized region lacks."""
    data = encode_image(np.ascontiguousarray(rgb), format="JPEG", quality=EXPORT_QUALITY, keep_metadata=False)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def face_to_json(face: Face) -> dict:
    return {"box": [float(v) for v in face.box], "score": float(face.score),
            "landmarks5": np.asarray(face.landmarks5, float).tolist(),
            "landmarks68": np.asarray(face.landmarks68, float).tolist()}


def face_from_json(d: dict) -> Face:
    return Face(tuple(d["box"]), d["score"], np.asarray(d["landmarks5"], np.float32),
                np.asarray(d["landmarks68"], np.float32))


class CropCache:
    """Per photo: the original's face (landmarks) and, for the anonymized role, the engine's output photo (PNG)
    and status. Records are appended to one JSON-lines index as each photo finishes, so a killed run loses at
    most the photo it was on."""

    def __init__(self, root: Path, engine, pipeline, seed: int, options: object = None) -> None:
        """`options` (e.g. an AnonymizeOptions for another strength) is passed to the engine when given."""
        self.engine, self.pipeline, self.seed, self.options = engine, pipeline, seed, options
        bank_ids = tuple(engine.bank.ids) if engine is not None else None
        self.folder = root / fingerprint(seed, bank_ids, options)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.index_path = self.folder / "index.jsonl"
        self.records: dict[str, dict] = {}
        if self.index_path.exists():
            for line in self.index_path.read_text().splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:       # a line cut short by a kill: that photo is simply redone
                    continue
                self.records[rec["key"]] = rec

    def record(self, photo: Photo) -> dict:
        """The photo's record, computing it (detection, and the engine for the anonymized role) if not cached."""
        rec = self.records.get(photo.key)
        if rec is not None and (photo.role == "real" or "status" in rec):
            return rec
        rgb = load_image(photo.path).pixels
        faces = [f for f in self.pipeline.find_faces(rgb) if f.landmarks68 is not None]
        rec = {"key": photo.key, "face": None, "status": NO_FACE}
        if faces:
            face = max(faces, key=lambda f: f.box[2] * f.box[3])     # the photo's subject; CelebA has one
            rec["face"] = face_to_json(face)
            rec.pop("status")
            if photo.role == "fake":
                extra = () if self.options is None else (self.options,)
                out, outcomes = self.engine.anonymize(rgb, [face], self.seed, *extra)
                rec["status"] = outcomes[0].status
                rec["identity"] = getattr(outcomes[0], "identity", None)     # the bank identity, for captions
                png = self.folder / photo.identity / f"{photo.path.stem}.png"
                png.parent.mkdir(exist_ok=True)
                cv2.imwrite(str(png), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))   # lossless: the export step comes later
        with self.index_path.open("a") as f:
            f.write(json.dumps(rec) + "\n")
        self.records[photo.key] = rec
        return rec

    def anonymized_photo(self, photo: Photo) -> np.ndarray:
        png = self.folder / photo.identity / f"{photo.path.stem}.png"
        return cv2.cvtColor(cv2.imread(str(png), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    def fill(self, photos: list[Photo], progress: Optional[Callable[[int, int], None]] = None) -> None:
        for n, photo in enumerate(photos):
            self.record(photo)
            if progress is not None:
                progress(n + 1, len(photos))


# -- the variants a fake-role photo can be turned into -------------------------------------------------------
def _light_blur(rgb: np.ndarray, face: Face) -> np.ndarray:
    rect, mask = face_mask(face, rgb.shape)
    out = rgb.copy()
    soft = cv2.GaussianBlur(rgb[rect.slices], (0, 0), LIGHT_BLUR_SIGMA)
    inside = mask > 0
    out[rect.slices][inside] = soft[inside]
    return out


def _obscured(mode: str) -> Callable[[np.ndarray, Face], np.ndarray]:
    def apply(rgb: np.ndarray, face: Face) -> np.ndarray:
        from editor.anonymize.fallback import obscure_face    # the engine's own fallback, as a user would get it
        patch = obscure_face(rgb, face, mode)
        out = rgb.copy()
        out[patch.rect.slices][patch.mask] = patch.pixels[patch.mask]
        return out
    return apply


VARIANTS: dict[str, Callable[[np.ndarray, Face], np.ndarray]] = {
    "real": lambda rgb, face: rgb,                  # real-vs-real: the fake-role photos left untouched
    "pixelated": _obscured("pixelate"),
    "blurred": _obscured("blur"),
    "light_blur": _light_blur,
}


def crop(rgb: np.ndarray, face: Face) -> np.ndarray:
    """The exported photo's 256 px aligned face, framed by the original's landmarks."""
    return align_face(exported(rgb), face).pixels


def crops(cache: CropCache, photos: list[Photo], variant: str) -> Iterator[tuple[Photo, np.ndarray]]:
    """(photo, crop) for the photos of one kind: real-role photos as they are; fake-role photos as `variant`
    ("anonymized" = the engine's output, kept only where the engine's status is "anonymized")."""
    for photo in photos:
        rec = cache.record(photo)
        if rec["face"] is None:
            continue
        face = face_from_json(rec["face"])
        if photo.role == "real":
            yield photo, crop(load_image(photo.path).pixels, face)
        elif variant == ANONYMIZED:
            if rec["status"] == ANONYMIZED:
                yield photo, crop(cache.anonymized_photo(photo), face)
        else:
            yield photo, crop(VARIANTS[variant](load_image(photo.path).pixels, face), face)
