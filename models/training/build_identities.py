"""Build the identity bank (models/identities/identities.npz) and its build record from CelebA training identities.

Every shipped identity is a *collage*: the eye-and-brow region of one person, the nose of a second, the mouth and
chin of a third and the skin of a fourth, each from a frontal photo warped onto one mean-shape frame and matched in
colour, plus a shape (brow, nose and eye placement) taken from the first two. No photo contributes a whole face.
Each candidate is embedded with dlib's recognizer (rendered on grey in the frame) and compared with EVERY photo of
each of its four source people; it is shipped only if all those distances are >= MIN_SOURCE_DISTANCE (0.6, dlib's
same-person threshold). The record lists every source photo and every distance. Candidates are rendered onto a few
host faces with the real engine, and the bank is chosen greedily so that identities stay far apart from each other
on those hosts (two seeds should give two different people).

`--refine` then re-checks a built bank (in --out): identities whose texture fails an objective check (glare or a
seam beside the mouth, speckled brows: `texture_flaws`) are dropped, every other identity is rendered on
TOUR_HOSTS training faces per group, and each group's tour is re-ordered so that neighbours are >= 0.6 apart on
the most faces, dropping identities that look like many others while that helps (`pruned_tour`). The record
keeps every score and the reason for every drop.

Validation identities (models/training/split.json) are never used, so the benchmark measures unseen people.
The textures derive from CelebA (non-commercial research only): the bank inherits that condition.

    nice -n 10 .venv/bin/python -m models.training.build_identities --cache /tmp/veil-celeba-faces.npz
    nice -n 10 .venv/bin/python -m models.training.build_identities --cache /tmp/veil-celeba-faces.npz --refine
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from editor.anonymize.identity import SAME_PERSON, default_embedder, distance
from editor.anonymize.mesh import face_outline, fill_polygon, mesh_points, ring_points, warp_to_mesh
from editor.anonymize.reshape import reshaped_landmarks, similarity
from editor.anonymize.synthesis import relit, synthesize_face
from editor.core.image_io import load_image
from editor.vision.pipeline import default_pipeline
from models.training.identity_bank.candidates import appearance_groups as two_groups
from models.training.identity_bank.frame import delaunay, mean_mesh as shared_mean_mesh
from models.training.identity_bank.select import group_blocks, pick_diverse
from models.training.identity_bank.sources import is_frontal_neutral

REPO = Path(__file__).resolve().parents[2]

SPLIT_FILE = Path(__file__).with_name("split.json")
FRAME = 160                    # texture side in pixels
FRAME_MARGIN = 0.04
MIN_SOURCE_DISTANCE = SAME_PERSON
JPEG_QUALITY = 92
PARTS = ("eyes", "nose", "mouth", "skin")
DELIGHT_SIGMA = FRAME / 6      # a source's own lighting (below this frequency) is replaced by the mean face's
EDGE_BAND = FRAME / 16         # the outline band where the mean face takes over from the source
CLEAN_PERCENTILE = 25          # a photo gives a part only if it is among the cleanest quarter in that part
NATURAL_SHARE = 0.5            # candidates with the worst blemishes (odd colours, leftovers) are not shipped


# -- per-photo analysis (cached) -------------------------------------------------------------------------------------
def analyse(data: Path, identities: list[str], cache: Path | None) -> dict:
    """Landmarks and dlib descriptors of the largest face of every photo of `identities` (cached in `cache`)."""
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as c:
            found = {"paths": c["paths"], "lm": c["lm"], "emb": c["emb"]}
            tried = set(c["tried"].tolist()) if "tried" in c else set(found["paths"].tolist())
        wanted = {str(p.relative_to(data)) for i in identities for p in (data / i).glob("*.jpg")}
        if wanted <= tried:
            return found
    pipeline, embedder = default_pipeline(), default_embedder()
    paths, lms, embs = [], [], []
    files = sorted(p for i in identities for p in (data / i).glob("*.jpg"))
    start = time.time()
    for n, path in enumerate(files):
        rgb = load_image(path).pixels
        faces = [f for f in pipeline.find_faces(rgb) if f.landmarks68 is not None]
        if faces:
            face = max(faces, key=lambda f: f.box[2] * f.box[3])
            paths.append(str(path.relative_to(data)))
            lms.append(face.landmarks68)
            embs.append(embedder.embed(rgb, face.landmarks68))
        if n % 250 == 0:
            print(f"analysed {n}/{len(files)} photos ({time.time() - start:.0f} s)", flush=True)
    found = {"paths": np.array(paths), "lm": np.array(lms, np.float32), "emb": np.array(embs, np.float32)}
    if cache is not None:
        np.savez(cache, tried=np.array([str(p.relative_to(data)) for p in files]), **found)
    return found


# -- the frame ------------------------------------------------------------------------------------------------------
def mean_mesh(meshes: np.ndarray) -> np.ndarray:
    """Generalised Procrustes mean of the meshes, scaled to fit the frame."""
    return shared_mean_mesh(meshes, FRAME, FRAME_MARGIN)

def part_weights(points: np.ndarray) -> np.ndarray:
    """Soft masks (4 x FRAME x FRAME, summing to 1) of the eyes+brows, nose, mouth+chin and skin regions."""
    def grown(idx, k):
        p = points[list(idx)]
        c = p.mean(axis=0)
        return cv2.convexHull((c + (p - c) * k).astype(np.float32)).reshape(-1, 2)
    shape = (FRAME, FRAME)
    eyes = fill_polygon(shape, grown(list(range(17, 27)) + list(range(36, 48)), 1.15))
    nose = fill_polygon(shape, grown(list(range(27, 36)) + [39, 42], 1.25))
    mouth_pts = np.concatenate([grown(range(48, 60), 1.3), points[6:11]])
    mouth = fill_polygon(shape, cv2.convexHull(mouth_pts.astype(np.float32)).reshape(-1, 2))
    soft = [cv2.GaussianBlur(m, (0, 0), FRAME / 40) for m in (eyes, nose, mouth)]
    stack = np.stack(soft + [np.clip(1 - sum(soft), 0, 1)]) + 1e-6
    return stack / stack.sum(axis=0)


# -- sources --------------------------------------------------------------------------------------------------------
class Sources:
    """Frontal, unoccluded photos of the training people, as frame textures with their shape deviations."""

    def __init__(self, data: Path, faces: dict, identities: list[str], per_person: int) -> None:
        person = np.array([p.split("/")[0] for p in faces["paths"]])
        chosen = [i for i in range(len(person)) if person[i] in set(identities) and is_frontal_neutral(faces["lm"][i])]
        meshes = np.array([mesh_points(faces["lm"][i]) for i in chosen])
        self.points = mean_mesh(meshes)
        self.triangles = delaunay(self.points)
        self.ring_triangles = delaunay(np.concatenate([self.points, ring_points(self.points)]))
        self.coverage = fill_polygon((FRAME, FRAME), face_outline(self.points))
        textures = {i: self.warped(load_image(data / faces["paths"][i]).pixels, mesh_points(faces["lm"][i]))
                    for i in chosen}
        self.mean_texture = np.mean([textures[i] for i in chosen], axis=0)
        textures = {i: self.cleaned(t) for i, t in textures.items()}
        # Occlusions (hands, hair over the eyes, glasses, piercings, open mouths, text) show as a large residual
        # from the mean face in that part: a photo gives only the parts where it is among the cleanest.
        inner = cv2.erode(self.coverage, np.ones((9, 9), np.uint8)) > 0
        regions = [(w > 0.05) & inner for w in part_weights(self.points)]   # wherever the part shows at all
        residual = {i: [self.blemish(t, r) for r in regions] for i, t in textures.items()}
        cuts = [np.percentile([r[k] for r in residual.values()], CLEAN_PERCENTILE) for k in range(len(PARTS))]
        self.eligible = [{i for i, r in residual.items() if r[k] <= cuts[k]} for k in range(len(PARTS))]
        usable = set().union(*self.eligible)
        self.by_person: dict[str, list[int]] = {}
        for i in sorted(usable, key=lambda i: sum(residual[i])):
            if len(self.by_person.setdefault(person[i], [])) < per_person:
                self.by_person[person[i]].append(i)
        self.textures = {i: textures[i] for v in self.by_person.values() for i in v}
        self.eligible = [e & set(self.textures) for e in self.eligible]
        self.offsets = {}
        for i in self.textures:
            m = mesh_points(faces["lm"][i])
            to_frame = similarity(m[:68], self.points[:68])
            self.offsets[i] = (m[:68] @ to_frame[:, :2].T + to_frame[:, 2]) - self.points[:68]
        self.photos_of = {p: [i for i in range(len(person)) if person[i] == p] for p in self.by_person}
        self.person = person
        print(f"sources: {len(self.textures)} photos of {len(self.by_person)} people "
              f"(of {len(chosen)} frontal ones)", flush=True)


    def warped(self, rgb: np.ndarray, mesh: np.ndarray) -> np.ndarray:
        """A photo warped into the frame, with the pixels no triangle covers (at outline vertices) filled in:
        left black, they became dark specks along every identity's jaw."""
        texture, covered = warp_to_mesh(rgb, mesh, self.points, self.triangles, (FRAME, FRAME))
        holes = ((self.coverage > 0) & (covered == 0)).astype(np.uint8)
        return cv2.inpaint(np.round(texture).astype(np.uint8), holes, 3, cv2.INPAINT_TELEA).astype(np.float64)

    def blemish(self, texture: np.ndarray, region: np.ndarray) -> float:
        """The worst local difference from the mean face inside `region` (a patch of hair over an eye, a glasses
        bridge, a scar): the mean of the absolute residual over windows of a twentieth of the frame, maximised."""
        local = cv2.GaussianBlur(np.abs(texture - self.mean_texture).mean(axis=2).astype(np.float32), (0, 0),
                                 FRAME / 20)
        return float(local[region].max())

    def cleaned(self, texture: np.ndarray) -> np.ndarray:
        """The texture under the mean face's lighting, with the mean face along the outline (where a source
        photo's background or hair shows through)."""
        delit = relit(texture, self.mean_texture, self.coverage, DELIGHT_SIGMA)
        inside = cv2.distanceTransform((self.coverage > 0.5).astype(np.uint8), cv2.DIST_L2, 5)
        w = np.clip((inside - EDGE_BAND / 2) / EDGE_BAND, 0, 1)[..., None]
        return w * delit + (1 - w) * self.mean_texture


def appearance_groups(faces: dict, people: list[str]) -> tuple[np.ndarray, dict[str, int]]:
    """Two clusters of people in the recognizer's space (identity_bank.candidates.appearance_groups on each
    person's mean descriptor)."""
    person = np.array([p.split("/")[0] for p in faces["paths"]])
    centres, label = two_groups(np.array([faces["emb"][person == p].mean(axis=0) for p in people]))
    return centres, {p: int(k) for p, k in zip(people, label)}


# -- candidates -----------------------------------------------------------------------------------------------------
def grey_render(texture: np.ndarray, src: Sources) -> np.ndarray:
    cov = src.coverage[..., None]
    return np.clip(cov * texture + (1 - cov) * 128.0, 0, 255).astype(np.uint8)


def make_candidate(rng: np.random.Generator, src: Sources, group_people: list[str], weights: np.ndarray) -> dict:
    """Four parts, each from a different person's photo that is clean in that part."""
    people, photos = [], []
    for k in range(len(PARTS)):
        options = [i for p in group_people if p not in people for i in src.by_person[p] if i in src.eligible[k]]
        photo = int(options[rng.integers(len(options))])
        photos.append(photo)
        people.append(str(src.person[photo]))
    skin = src.textures[photos[3]]
    parts = [relit(src.textures[i], skin, src.coverage, FRAME / 25) for i in photos[:3]] + [skin]
    texture = np.clip(sum(w[..., None] * t for w, t in zip(weights, parts)), 0, 255)
    # Continue the skin past the outline, so the engine's smooth warp never samples black at the face's edge.
    outside = (src.coverage < 0.5).astype(np.uint8)
    texture = cv2.inpaint(np.round(texture).astype(np.uint8), outside, 5, cv2.INPAINT_TELEA).astype(np.float64)
    offsets = np.zeros((68, 2))
    offsets[17:27] = src.offsets[photos[0]][17:27]
    offsets[36:48] = src.offsets[photos[0]][36:48]
    offsets[27:36] = src.offsets[photos[1]][27:36]
    return {"people": people, "photos": photos, "texture": texture, "offsets": offsets}


def source_check(candidate: dict, src: Sources, faces: dict, embedder) -> dict:
    """Distance from the identity to every photo of each source person; the smallest decides."""
    emb = embedder.embed(grey_render(candidate["texture"], src), src.points[:68])
    per_person = {}
    for p in candidate["people"]:
        d = [distance(emb, faces["emb"][i]) for i in src.photos_of[p]]
        per_person[p] = {"photos": len(d), "min_distance": round(min(d), 4)}
    built_from = {str(faces["paths"][i]): round(distance(emb, faces["emb"][i]), 4) for i in candidate["photos"]}
    worst = min(v["min_distance"] for v in per_person.values())
    return {"embedding": emb, "per_person": per_person, "built_from": built_from, "min_distance": worst}


def host_embeddings(candidate: dict, hosts: list[tuple[np.ndarray, np.ndarray]], src: Sources, embedder) -> np.ndarray:
    """The candidate rendered by the real engine on each host face, embedded (H x 128)."""
    out = []
    for rgb, lm in hosts:
        target = reshaped_landmarks(lm, candidate["offsets"], src.points)
        patch = synthesize_face(rgb, lm, candidate["texture"].astype(np.float32), src.points, src.triangles,
                                src.ring_triangles, target)
        img = rgb.copy()
        img[patch.rect.slices] = patch.pixels
        out.append(embedder.embed(img, target))
    return np.array(out)


def host_pair_distances(host_embs: np.ndarray) -> np.ndarray:
    """N x N: distance between two candidates rendered on the same host, averaged over the hosts."""
    return np.mean([np.linalg.norm(host_embs[:, h, None] - host_embs[None, :, h], axis=2)
                    for h in range(host_embs.shape[1])], axis=0)


def host_apart_share(host_embs: np.ndarray) -> np.ndarray:
    """M x M: on what share of the hosts two identities' renders (M x hosts x 128) are >= 0.6 apart."""
    return (np.linalg.norm(host_embs[:, None] - host_embs[None], axis=3) >= SAME_PERSON).mean(axis=2)


def far_tour(pair: np.ndarray, mean_first: bool = False) -> list[int]:
    """A cyclic order whose neighbours are far apart: greedy farthest-next from every start, then 2-opt moves
    that raise the closest neighbour pair (with `mean_first`, the mean over the neighbours, then the closest);
    the best tour wins."""
    n = len(pair)

    def edges(order: list[int]) -> np.ndarray:
        return pair[order, order[1:] + order[:1]]

    def score(order: list[int]) -> tuple[float, float]:
        e = edges(order)
        return (float(e.mean()), float(e.min())) if mean_first else (float(e.min()), float(e.mean()))

    best = None
    for start in range(n):
        order = [start]
        while len(order) < n:
            d = pair[order[-1]].copy()
            d[order] = -1
            order.append(int(np.argmax(d)))
        improved = True
        while improved:
            improved = False
            for i in range(1, n - 1):
                for j in range(i + 1, n):
                    candidate = order[:i] + order[i:j + 1][::-1] + order[j + 1:]
                    if score(candidate) > score(order):
                        order, improved = candidate, True
        if best is None or score(order) > score(best):
            best = order
    return best


# -- output ---------------------------------------------------------------------------------------------------------
def texture_descriptors(jpeg: np.ndarray, offsets: np.ndarray, points: np.ndarray, embedder) -> np.ndarray:
    """Each identity as the engine decodes it, rendered on grey at the mean shape, embedded (N x 128): the engine
    retries a face with the identities farthest from it first."""
    mesh = np.asarray(points, np.float64)
    cover = fill_polygon((FRAME, FRAME), face_outline(mesh))[..., None]
    out = []
    for k in range(len(offsets) - 1):
        bgr = cv2.imdecode(jpeg[offsets[k]: offsets[k + 1]], cv2.IMREAD_COLOR)
        texture = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32)
        grey = np.clip(cover * texture + (1 - cover) * 128.0, 0, 255).astype(np.uint8)
        out.append(embedder.embed(grey, mesh[:68]))
    return np.array(out, np.float32)


def write_bank(out: Path, picked: list[dict], src, centres: np.ndarray, embedder, apart: np.ndarray,
               jpeg: list[np.ndarray] | None = None) -> Path:
    """`picked` is in tour order (each group's identities consecutive), so the tour is simply 0..N-1. `src` gives
    the frame's mesh (Sources, or a bank); `apart` (N x N, in `picked`'s order) on what share of host faces two
    identities' renders are >= 0.6 apart; `jpeg`, when given, are the textures already encoded (kept as they are:
    a second encoding would blur them)."""
    blobs = list(jpeg) if jpeg is not None else []
    for c in picked if jpeg is None else []:
        blobs.append(_encoded(c["texture"]))
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in blobs])]).astype(np.int64)
    jpeg = np.concatenate(blobs).astype(np.uint8)
    path = out / "identities.npz"
    np.savez_compressed(
        path, ids=np.array([c["id"] for c in picked]), jpeg=jpeg, offsets=offsets,
        points=src.points.astype(np.float32), triangles=src.triangles, ring_triangles=src.ring_triangles,
        shape_offsets=np.array([c["offsets"] for c in picked], np.float32),
        groups=np.array([c["group"] for c in picked], np.int32), group_centres=centres,
        tour=np.arange(len(picked)), apart=np.asarray(apart, np.float32),
        descriptors=texture_descriptors(jpeg, offsets, src.points.astype(np.float32), embedder),
    )
    return path


# -- refining a built bank: texture checks and a tour measured on many hosts ----------------------------------------
GLARE_LIMIT = 0.25             # share of the skin beside the mouth much brighter than the skin around it
SPECKLE_LIMIT = 0.8            # brow detail finer than a hair band, relative to the brows' own contrast
TOUR_HOSTS = 48                # training faces per group the identities are rendered on to order the tour
TOUR_APART = 0.85              # a group's tour neighbours should be >= 0.6 apart on this share of the hosts...
LANES = 3                      # group sizes stay a multiple of this (the engine's retry lanes of earlier builds;
                               # kept so that a rebuild reproduces the shipped bank)
MIN_GROUP = 15                 # ...and identities close to many others are dropped for it, down to this many


def _region(points: np.ndarray, idx, scale: float, dy: float = 0.0) -> np.ndarray:
    p = points[list(idx)].astype(np.float64)
    c = p.mean(axis=0)
    q = c + (p - c) * scale
    q[:, 1] += dy
    return fill_polygon((FRAME, FRAME), cv2.convexHull(q.astype(np.float32)).reshape(-1, 2)) > 0


def texture_flaws(texture: np.ndarray, points: np.ndarray) -> dict[str, float]:
    """Two objective checks of a texture's look (RGB, bank frame; both flag what a person saw on the montage):
    - glare: a source's specular streak or a collage seam beside the mouth, as the share of the cheek band
      beside the mouth that is > 10 Lab-L units brighter than the skin around it (normalised blur over the
      skin only, so the dark features do not pull the reference down);
    - brow_speckle: speckled or jagged brows (bright and dark hairs at the pixel scale, a double brow), as the
      ratio of the lightness detail finer than 1.5 px to the detail between 1.5 and 5 px in a band over the
      brows: a clean brow is a smooth dark band, a speckled one is all fine detail."""
    iod = float(np.linalg.norm(points[36:42].mean(axis=0) - points[42:48].mean(axis=0)))
    mouth = _region(points, range(48, 60), 1.15)
    features = (_region(points, range(17, 22), 1.5, 1) | _region(points, range(22, 27), 1.5, 1)
                | _region(points, range(36, 42), 1.6) | _region(points, range(42, 48), 1.6) | mouth)
    inner = cv2.erode((fill_polygon((FRAME, FRAME), cv2.convexHull(points[:27].astype(np.float32)).reshape(-1, 2))
                       > 0).astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    skin = inner & ~(cv2.dilate(features.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0)
    beside = (_region(points, range(48, 60), 1.9, -3) & ~_region(points, range(27, 36), 1.3)
              & ~(cv2.dilate(mouth.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0))
    band = ((_region(points, range(17, 22), 1.3, 2) | _region(points, range(22, 27), 1.3, 2))
            & ~_region(points, range(36, 42), 2.2, -2) & ~_region(points, range(42, 48), 2.2, -2))
    lum = cv2.cvtColor(np.clip(texture, 0, 255).astype(np.uint8), cv2.COLOR_RGB2LAB)[..., 0].astype(np.float32)
    m = skin.astype(np.float32)
    base = cv2.GaussianBlur(lum * m, (0, 0), iod / 3) / np.maximum(cv2.GaussianBlur(m, (0, 0), iod / 3), 1e-3)
    fine = lum - cv2.GaussianBlur(lum, (0, 0), 1.5)
    mid = cv2.GaussianBlur(lum, (0, 0), 1.5) - cv2.GaussianBlur(lum, (0, 0), 5)
    return {"glare": round(float(np.mean((lum - base)[beside] > 10)), 4),
            "brow_speckle": round(float(np.std(fine[band]) / max(float(np.std(mid[band])), 1e-3)), 4)}


def flaw_reasons(flaws: dict[str, float]) -> list[str]:
    reasons = []
    if flaws["glare"] > GLARE_LIMIT:
        reasons.append(f"glare or seam beside the mouth ({flaws['glare']:.2f} of the band > {GLARE_LIMIT})")
    if flaws["brow_speckle"] > SPECKLE_LIMIT:
        reasons.append(f"speckled brows (fine/mid detail {flaws['brow_speckle']:.2f} > {SPECKLE_LIMIT})")
    return reasons


def training_hosts(data: Path, faces: dict, centres: np.ndarray, per_group: int, seed: int) -> list[list[tuple]]:
    """`per_group` photos of different training people per appearance group (any pose, as the photos to be
    anonymized come), as (RGB, 68 landmarks)."""
    rng = np.random.default_rng(seed)
    person = [p.split("/")[0] for p in faces["paths"]]
    hosts: list[list[tuple]] = [[], []]
    seen: set[str] = set()
    for i in rng.permutation(len(person)):
        group = int(np.argmin([distance(faces["emb"][i], c) for c in centres]))
        if person[i] in seen or len(hosts[group]) >= per_group:
            continue
        seen.add(person[i])
        hosts[group].append((load_image(data / faces["paths"][i]).pixels, faces["lm"][i].astype(np.float64)))
    return hosts


def rendered_apart(bank, members: list[int], hosts: list[tuple], embedder, style) -> np.ndarray:
    """M x M: on what share of the hosts two identities, each rendered by the engine's path, are >= 0.6 apart."""
    return host_apart_share(rendered_embeddings(
        bank, [(bank.texture(k), bank.shape_offsets[k]) for k in members], hosts, embedder, style))


def rendered_embeddings(mesh, looks: list[tuple[np.ndarray, np.ndarray]], hosts: list[tuple], embedder,
                        style) -> np.ndarray:
    """Each (texture, shape offsets) rendered by the engine's path on each host and embedded: M x H x 128.
    `mesh` gives the frame (a bank)."""
    embs = np.zeros((len(looks), len(hosts), 128), np.float32)
    for h, (rgb, lm) in enumerate(hosts):
        for m, (texture, offsets) in enumerate(looks):
            target = reshaped_landmarks(lm, offsets, mesh.points)
            patch = synthesize_face(rgb, lm, texture, mesh.points, mesh.triangles, mesh.ring_triangles, target,
                                    style)
            img = rgb.copy()
            img[patch.rect.slices][patch.mask] = patch.pixels[patch.mask]
            embs[m, h] = embedder.embed(img, target)
    return embs


POOL_FOR_TOUR = 24              # pruned_tour costs seconds a step on more: a larger pool is thinned to this first


def thinned(apart: np.ndarray, size: int) -> list[int]:
    """Indices of at most `size` identities: while more remain, the one whose second-best partner (a tour
    gives each identity two neighbours) is closest on the most hosts is dropped."""
    idx = list(range(len(apart)))
    while len(idx) > size:
        sub = apart[np.ix_(idx, idx)]
        second = np.sort(sub, axis=1)[:, -2]
        idx.pop(int(np.lexsort((sub.mean(axis=1), second))[0]))
    return idx


def pruned_tour(apart: np.ndarray, target: float, min_size: int) -> tuple[list[int], list[tuple[int, float, float]]]:
    """The best tour (neighbours apart on the most hosts) after dropping, one at a time, the identity whose removal
    raises the tour's share the most, while it is under `target` and more than `min_size` remain, and until the
    count is a multiple of LANES: an identity that looks like
    many others on real faces forces close neighbours onto the tour. Returns the tour (indices into `apart`)
    and the drops as (index, share before, share after)."""
    def best(idx: list[int]) -> tuple[float, list[int]]:
        sub = apart[np.ix_(idx, idx)]
        order = far_tour(sub, mean_first=True)
        return float(sub[order, order[1:] + order[:1]].mean()), [idx[i] for i in order]

    idx = list(range(len(apart)))
    share, order = best(idx)
    drops = []
    while (share < target and len(idx) > min_size) or len(idx) % LANES:
        gains = {r: best([i for i in idx if i != r]) for r in idx}
        r = max(gains, key=lambda k: gains[k][0])
        drops.append((r, share, gains[r][0]))
        idx.remove(r)
        share, order = gains[r]
    return order, drops


def refine(args: argparse.Namespace, faces: dict) -> int:
    """Drop the identities of --out's bank whose texture is flawed, re-order each group's tour on renders over
    TOUR_HOSTS training faces (neighbours apart on the most hosts), and write the bank and its record."""
    from editor.anonymize.bank import read_bank
    from editor.anonymize.synthesis import SynthesisStyle

    bank = read_bank(args.out / "identities.npz", need_apart=False)
    record = json.loads((args.out / "build_record.json").read_text())
    by_id = {r["id"]: r for r in record["identities"]}
    flaws = [texture_flaws(bank.texture(k), bank.points) for k in range(len(bank))]
    keep = [k for k in range(len(bank)) if not flaw_reasons(flaws[k])]
    hosts = training_hosts(args.data, faces, bank.group_centres, args.tour_hosts, args.seed)
    embedder = default_embedder()
    tour, neighbours, blocks = [], [], []
    dropped = [{"id": bank.ids[k], "group": int(bank.groups[k]), "reasons": flaw_reasons(flaws[k])}
               for k in range(len(bank)) if k not in keep]
    for group in (0, 1):
        members = [k for k in keep if bank.groups[k] == group]
        apart = rendered_apart(bank, members, hosts[group], embedder, SynthesisStyle())
        order, hubs = pruned_tour(apart, args.tour_apart, MIN_GROUP)
        for i, before, after in hubs:
            dropped.append({"id": bank.ids[members[i]], "group": group, "reasons": [
                f"close to many identities of its group once rendered: without it the tour neighbours are >= 0.6 "
                f"apart on {after:.3f} of the hosts instead of {before:.3f}"]})
        tour += [members[i] for i in order]
        blocks.append(apart[np.ix_(order, order)])
        shares = [float(apart[a, b]) for a, b in zip(order, order[1:] + order[:1])]
        neighbours.append({"group": group, "identities": len(order), "min": round(min(shares), 4),
                           "mean": round(float(np.mean(shares)), 4)})
        print(f"group {group}: {len(order)} identities, tour neighbours apart on {np.mean(shares):.3f} "
              f"of the hosts", flush=True)
    # The file lists identities in tour order, so the tour is 0..N-1 again.
    picked = [{"id": bank.ids[k], "group": int(bank.groups[k]), "offsets": bank.shape_offsets[k],
               "texture": bank.texture(k)} for k in tour]
    write_bank(args.out, picked, bank, bank.group_centres, embedder, group_blocks(blocks), jpeg=[_jpeg_of(bank, k) for k in tour])
    path = args.out / "identities.npz"
    record.update(
        bank_sha256=hashlib.sha256(path.read_bytes()).hexdigest(), shipped=len(tour),
        refined_with="python -m models.training.build_identities --refine " + " ".join(
            a for a in (sys.argv[1:] if args.argv is None else args.argv) if a != "--refine"),
        # A second refinement keeps what earlier ones dropped and scored.
        texture_checks={"glare_limit": GLARE_LIMIT, "brow_speckle_limit": SPECKLE_LIMIT,
                        "scores": {**record.get("texture_checks", {}).get("scores", {}),
                                   **{bank.ids[k]: flaws[k] for k in range(len(bank))}}},
        dropped=record.get("dropped", []) + dropped,
        tour_on_training_hosts={"hosts_per_group": args.tour_hosts, "threshold": SAME_PERSON,
                                "target": args.tour_apart, "min_group": MIN_GROUP,
                                "neighbours_apart_share": neighbours},
        identities=[by_id[bank.ids[k]] for k in tour],
    )
    (args.out / "build_record.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {path}: {len(tour)} identities ({len(bank) - len(tour)} dropped)")
    return 0


def _jpeg_of(bank, k: int) -> np.ndarray:
    return bank.jpeg[bank.offsets[k]: bank.offsets[k + 1]]


def build_sources(args: argparse.Namespace, faces: dict, identities: list[str]):
    """The build's random generator, people, host people (never sources) and Sources, exactly as a build with
    these arguments makes them (an extension must share the build's frame)."""
    rng = np.random.default_rng(args.seed)
    people = sorted(set(p.split("/")[0] for p in faces["paths"]))
    host_people = set(rng.choice(people, args.hosts, replace=False).tolist())
    src = Sources(args.data, faces, [p for p in identities if p not in host_people], args.per_person)
    return rng, people, host_people, src


# -- extending a group: more candidates, the group's best set kept ---------------------------------------------------
def extend(args: argparse.Namespace, faces: dict, identities: list[str]) -> int:
    """Make --candidates new collages for group --extend-group of --out's bank (the same donor check and texture
    checks as the build and refinement), render them and the group's current identities on TOUR_HOSTS training
    faces, and keep the group's best set: identities close to many others are dropped (`pruned_tour`) until the
    tour's neighbours are apart on --tour-apart of the faces or the group is back to its size. The other group is
    kept as it is. Every new identity's check, every drop and the scores go to the record."""
    from editor.anonymize.bank import read_bank
    from editor.anonymize.synthesis import SynthesisStyle

    group = args.extend_group
    bank = read_bank(args.out / "identities.npz")
    record = json.loads((args.out / "build_record.json").read_text())
    by_id = {r["id"]: r for r in record["identities"]}
    _, people, _, src = build_sources(args, faces, identities)
    if not np.allclose(src.points, bank.points, atol=1e-3):
        raise SystemExit("these arguments do not rebuild the bank's frame: extend with the build's --seed and --hosts")
    _, group_of = appearance_groups(faces, people)
    weights = part_weights(src.points)
    embedder = default_embedder()
    rng = np.random.default_rng([args.seed, len(record.get("extensions", [])) + 1])   # not the build's collages
    members_people = [p for p in src.by_person if group_of[p] == group]
    accepted, rejected, start = [], 0, time.time()
    for n in range(args.candidates):
        cand = make_candidate(rng, src, members_people, weights)
        check = source_check(cand, src, faces, embedder)
        if check["min_distance"] < MIN_SOURCE_DISTANCE:
            rejected += 1
            continue
        cand.update(check=check, group=group,
                    residual=src.blemish(cand["texture"], cv2.erode(src.coverage, np.ones((9, 9), np.uint8)) > 0))
        accepted.append(cand)
        if n % 50 == 0:
            print(f"candidate {n}/{args.candidates}: {len(accepted)} accepted ({time.time() - start:.0f} s)", flush=True)
    natural = sorted(accepted, key=lambda c: c["residual"])[: int(len(accepted) * NATURAL_SHARE)]
    new, flawed = [], []
    for cand in natural:
        cand["jpeg"] = _encoded(cand["texture"])
        decoded = cv2.cvtColor(cv2.imdecode(cand["jpeg"], cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(np.float32)
        cand["flaws"] = texture_flaws(decoded, bank.points)
        (flawed if flaw_reasons(cand["flaws"]) else new).append(cand)
        cand["decoded"] = decoded
    first = max(int(i.split("-")[1]) for i in list(by_id) + [d["id"] for d in record.get("dropped", [])]) + 1
    for k, cand in enumerate(new):
        cand["id"] = f"veil-{first + k:03d}"
    old = [k for k in bank.tour.tolist() if bank.groups[k] == group]
    looks = [(bank.texture(k), bank.shape_offsets[k]) for k in old] + [(c["decoded"], c["offsets"]) for c in new]
    hosts = training_hosts(args.data, faces, bank.group_centres, args.tour_hosts, args.seed)[group]
    print(f"{len(new)} new identities ({rejected} of {args.candidates} too close to a source, {len(flawed)} "
          f"flawed); rendering {len(looks)} on {len(hosts)} faces", flush=True)
    apart = host_apart_share(rendered_embeddings(bank, looks, hosts, embedder, SynthesisStyle()))
    before = float(np.mean([apart[a, b] for a, b in zip(range(len(old)), list(range(1, len(old))) + [0])]))
    pool = thinned(apart, POOL_FOR_TOUR)
    sub_order, sub_drops = pruned_tour(apart[np.ix_(pool, pool)], args.tour_apart, len(old))
    order = [pool[i] for i in sub_order]
    drops = [(i, 0.0, 0.0) for i in range(len(looks)) if i not in pool] + [(pool[i], b, a) for i, b, a in sub_drops]
    shares = [float(apart[a, b]) for a, b in zip(order, order[1:] + order[:1])]
    print(f"group {group}: {len(order)} identities, tour neighbours apart on {np.mean(shares):.3f} of the hosts "
          f"(was {before:.3f})", flush=True)

    def entry(i: int) -> dict:
        if i < len(old):
            k = old[i]
            return {"id": bank.ids[k], "group": group, "offsets": bank.shape_offsets[k], "jpeg": _jpeg_of(bank, k)}
        c = new[i - len(old)]
        return {"id": c["id"], "group": group, "offsets": c["offsets"], "jpeg": c["jpeg"]}

    others = [k for k in bank.tour.tolist() if bank.groups[k] != group]
    other_entries = [{"id": bank.ids[k], "group": int(bank.groups[k]), "offsets": bank.shape_offsets[k],
                      "jpeg": _jpeg_of(bank, k)} for k in others]
    chosen = [entry(i) for i in order]
    blocks = {group: apart[np.ix_(order, order)], 1 - group: bank.apart[np.ix_(others, others)]}
    picked = other_entries + chosen if group == 1 else chosen + other_entries
    write_bank(args.out, picked, bank, bank.group_centres, embedder, group_blocks([blocks[0], blocks[1]]),
               jpeg=[e["jpeg"] for e in picked])
    path = args.out / "identities.npz"
    new_records = {c["id"]: {
        "id": c["id"], "group": group,
        "parts": {part: str(faces["paths"][i]) for part, i in zip(PARTS, c["photos"])},
        "distance_to_built_from_photos": c["check"]["built_from"],
        "min_distance_to_source_people": c["check"]["per_person"],
        "min_distance": c["check"]["min_distance"], "passed": c["check"]["min_distance"] >= MIN_SOURCE_DISTANCE,
    } for c in new}
    kept = {e["id"] for e in chosen}
    dropped = [{"id": entry(i)["id"], "group": group, "reasons": [
        f"close to many identities of its group once rendered: without it the tour neighbours are >= 0.6 apart "
        f"on {after:.3f} of the hosts instead of {was:.3f}" if was else
        f"thinned from the pool of {len(looks)}: it was >= 0.6 apart from its second-best partner on the fewest "
        f"hosts"]} for i, was, after in drops if i < len(old)]
    neighbours = [n for n in record["tour_on_training_hosts"]["neighbours_apart_share"] if n["group"] != group]
    neighbours.append({"group": group, "identities": len(order), "min": round(min(shares), 4),
                       "mean": round(float(np.mean(shares)), 4)})
    record["tour_on_training_hosts"]["neighbours_apart_share"] = sorted(neighbours, key=lambda n: n["group"])
    record.update(
        bank_sha256=hashlib.sha256(path.read_bytes()).hexdigest(), shipped=len(picked),
        dropped=record.get("dropped", []) + dropped,
        extensions=record.get("extensions", []) + [{
            "command": "python -m models.training.build_identities " + " ".join(
                sys.argv[1:] if args.argv is None else args.argv),
            "group": group, "candidates": args.candidates, "rejected_too_close": rejected,
            "accepted": len(accepted), "natural": len(natural),
            "flawed": {c["id"] if "id" in c else f"candidate-{n}": flaw_reasons(c["flaws"])
                       for n, c in enumerate(flawed)},
            "pool": len(looks), "tour_before": round(before, 4), "tour_after": round(float(np.mean(shares)), 4),
            "added": sorted(kept & set(new_records)),
            "new_not_kept": sorted(set(new_records) - kept),
        }],
        identities=[by_id[e["id"]] if e["id"] in by_id else new_records[e["id"]] for e in picked],
    )
    record["texture_checks"]["scores"].update({c["id"]: c["flaws"] for c in new})
    (args.out / "build_record.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {path}: {len(picked)} identities, added {len(kept & set(new_records))}")
    return 0


def _encoded(texture: np.ndarray) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(np.round(texture).astype(np.uint8), cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return buf.ravel()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "celeba")
    ap.add_argument("--split", type=Path, default=SPLIT_FILE)
    ap.add_argument("--cache", type=Path, default=None, help="landmark/descriptor cache (.npz), reused if present")
    ap.add_argument("--out", type=Path, default=REPO / "models" / "identities")
    ap.add_argument("--count", type=int, default=48, help="identities to ship (half per appearance group)")
    ap.add_argument("--candidates", type=int, default=900, help="collages to make and check")
    ap.add_argument("--hosts", type=int, default=6, help="faces the candidates are rendered on to compare them")
    ap.add_argument("--per-person", type=int, default=3, help="source photos kept per person")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--refine", action="store_true",
                    help="only refine --out's built bank: drop flawed textures, re-order the tour on many hosts")
    ap.add_argument("--tour-hosts", type=int, default=TOUR_HOSTS, help="training faces per group for --refine")
    ap.add_argument("--tour-apart", type=float, default=TOUR_APART,
                    help="--refine drops identities close to many others until the tour reaches this (0: none)")
    ap.add_argument("--extend-group", type=int, choices=(0, 1), default=None,
                    help="add --candidates new identities to this group of --out's bank and keep its best set")
    args = ap.parse_args(argv)
    args.argv = argv

    validation = set(json.loads(args.split.read_text())["validation_identities"])
    identities = sorted(p.name for p in args.data.glob("celeb_*") if p.is_dir() and p.name not in validation)
    faces = analyse(args.data, identities, args.cache)
    keep = np.array([p.split("/")[0] in set(identities) for p in faces["paths"]])
    faces = {k: v[keep] for k, v in faces.items()}
    if args.refine:
        return refine(args, faces)
    if args.extend_group is not None:
        return extend(args, faces, identities)
    rng, people, host_people, src = build_sources(args, faces, identities)
    centres, group_of = appearance_groups(faces, people)
    hosts = []
    for p in sorted(host_people):
        own = [i for i, q in enumerate(faces["paths"]) if q.startswith(p + "/")]
        i = next((i for i in own if is_frontal_neutral(faces["lm"][i])), own[0])
        hosts.append((load_image(args.data / faces["paths"][i]).pixels, faces["lm"][i].astype(np.float64)))
    weights = part_weights(src.points)
    embedder = default_embedder()

    accepted, rejected = [], 0
    start = time.time()
    for n in range(args.candidates):
        group = n % 2
        members = [p for p in src.by_person if group_of[p] == group and p in src.by_person]
        cand = make_candidate(rng, src, members, weights)
        check = source_check(cand, src, faces, embedder)
        if check["min_distance"] < MIN_SOURCE_DISTANCE:
            rejected += 1
            continue
        residual = src.blemish(cand["texture"], cv2.erode(src.coverage, np.ones((9, 9), np.uint8)) > 0)
        cand.update(check=check, group=group, residual=residual, hosts=host_embeddings(cand, hosts, src, embedder))
        accepted.append(cand)
        if n % 20 == 0:
            print(f"candidate {n}/{args.candidates}: {len(accepted)} accepted, {rejected} too close to a source "
                  f"({time.time() - start:.0f} s)", flush=True)
    chosen, within, neighbours, shares = [], [], [], []
    for group in (0, 1):
        members = [i for i, c in enumerate(accepted) if c["group"] == group]
        natural = sorted(members, key=lambda i: accepted[i]["residual"])[: int(len(members) * NATURAL_SHARE)]
        pair = host_pair_distances(np.array([accepted[i]["hosts"] for i in natural]))
        picks = pick_diverse(pair, args.count // 2)
        picks = [picks[i] for i in far_tour(pair[np.ix_(picks, picks)])]
        chosen += [natural[i] for i in picks]
        shares.append(host_apart_share(np.array([accepted[natural[i]]["hosts"] for i in picks])))
        within += pair[np.ix_(picks, picks)][np.triu_indices(len(picks), 1)].tolist()
        neighbours += [pair[a, b] for a, b in zip(picks, picks[1:] + picks[:1])]
    picked = [accepted[i] for i in chosen]
    for k, c in enumerate(picked):
        c["id"] = f"veil-{k:03d}"
    args.out.mkdir(parents=True, exist_ok=True)
    bank = write_bank(args.out, picked, src, centres, embedder, group_blocks(shares))
    within = np.array(within)
    record = {
        "bank": bank.name,
        "bank_sha256": hashlib.sha256(bank.read_bytes()).hexdigest(),
        "built_with": "python -m models.training.build_identities " + " ".join(sys.argv[1:] if argv is None else argv),
        "data": "CelebA img_align_celeba, identities outside models/training/split.json (non-commercial research)",
        "validation_identities_excluded": sorted(validation),
        "rule": f"every identity is at dlib distance >= {MIN_SOURCE_DISTANCE} from EVERY photo of each of its "
                "source people (not only the photos it was built from)",
        "candidates": args.candidates, "rejected_too_close": rejected, "accepted": len(accepted),
        "shipped": len(picked),
        "host_pair_distance_within_group": {"min": round(float(within.min()), 4),
                                            "mean": round(float(within.mean()), 4)},
        "host_distance_tour_neighbours": {"min": round(float(np.min(neighbours)), 4),
                                          "mean": round(float(np.mean(neighbours)), 4)},
        "identities": [
            {"id": c["id"], "group": c["group"],
             "parts": {part: str(faces["paths"][i]) for part, i in zip(PARTS, c["photos"])},
             "distance_to_built_from_photos": c["check"]["built_from"],
             "min_distance_to_source_people": c["check"]["per_person"],
             "min_distance": c["check"]["min_distance"], "passed": c["check"]["min_distance"] >= MIN_SOURCE_DISTANCE}
            for c in picked
        ],
    }
    (args.out / "build_record.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {bank} ({bank.stat().st_size / 1e6:.2f} MB): {len(picked)} identities, host pair distance "
          f"within a group min {within.min():.3f} mean {within.mean():.3f}, tour neighbours min "
          f"{np.min(neighbours):.3f} mean {np.mean(neighbours):.3f}; {rejected} of {args.candidates} candidates too close to a source")
    return 0


if __name__ == "__main__":
    sys.exit(main())
