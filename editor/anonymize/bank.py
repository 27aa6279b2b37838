"""The identity bank: synthetic face textures in one mean-shape frame, loaded from models/ (checksum-verified).

File format (numpy .npz, no pickles): `jpeg` (all textures' JPEG bytes, concatenated), `offsets` (N + 1 byte
offsets), `ids` (N names), `points` (the mean-shape mesh: 68 landmarks + 20 forehead points, frame pixels),
`triangles` (T x 3 indices into `points`), `ring_triangles` (indices into `points` plus its ring, for reshaping),
`shape_offsets` (N x 68 x 2: each identity's landmark deviation from the mean shape), `groups` (N appearance
groups), `group_centres` (2 x 128 dlib descriptors), `tour` (all N indices, each group's in a cyclic order in
which neighbours are far apart as rendered faces), `descriptors` (N x 128, each texture rendered on grey) and
`apart` (N x N: on what share of training faces two identities, both rendered on the face, are >= 0.6 apart). models/training/build_identities.py writes it and records
how each identity was made and checked.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from editor.core.errors import ModelError
from editor.core.lazy import Lazy
from editor.runtime.models import model_path

from editor.vision.face_mesh import face_outline, fill_polygon

from .mesh import N_POINTS

MODEL_NAME = "identities"
PLANNED_RETRIES = 3       # retries planned per seed, apart from the neighbouring seeds' choices
APART_ENOUGH = 0.9        # beyond this share of faces apart, a retry is picked for being far from the face
FAR_WEIGHT = 3.0          # a retry's distance from the face against its share apart (on 198 validation faces,
                          # 1.0 kept 97.0% of faces >= 0.6 from the original, 3.0 98.5%; two seeds 88.9 / 90.4%)


@dataclass(frozen=True)
class IdentityBank:
    ids: tuple[str, ...]
    jpeg: np.ndarray
    offsets: np.ndarray
    points: np.ndarray
    triangles: np.ndarray
    ring_triangles: np.ndarray
    shape_offsets: np.ndarray
    groups: np.ndarray
    group_centres: np.ndarray
    tour: np.ndarray
    descriptors: np.ndarray
    apart: np.ndarray
    _textures: dict = field(default_factory=dict, compare=False, repr=False)   # decoded, by index

    def __len__(self) -> int:
        return len(self.ids)

    def texture(self, index: int) -> np.ndarray:
        """Identity `index` as an S x S x 3 float32 RGB texture in the mean-shape frame, as stored (what its
        descriptor and the source check were measured on)."""
        blob = self.jpeg[self.offsets[index]: self.offsets[index + 1]]
        bgr = cv2.imdecode(blob, cv2.IMREAD_COLOR)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32)

    def render_texture(self, index: int) -> np.ndarray:
        """The texture the engine draws with: the stored face inside its outline and, outside it, that skin
        carried outwards (read-only, decoded once per identity)."""
        if index not in self._textures:
            texture = skin_carried_out(self.texture(index), self.points)
            texture.flags.writeable = False
            self._textures[index] = texture
        return self._textures[index]

    def candidates(self, face_key: str, seed: int, group: int, near: Optional[np.ndarray] = None) -> list[int]:
        """The identities to try for a face, best first: its group's (by the tour), then the other group's.

        The face's key fixes where on its group's tour it starts and the seed steps along the tour, so the same
        face and seed always get the same identity, seeds that differ by less than the tour's length never share
        one, and the next seed (a re-roll) gives the neighbour on the tour: a face far from the last one.
        With `near` (the face's own descriptor), the retries come from `retry_plan`: a face whose first identity
        failed is retried on identities far from it and apart from every identity the neighbouring seeds may
        keep. Without it, retries jump a third of the tour ahead, away from the next seeds' first choices.
        """
        members = [int(i) for i in self.tour if self.groups[i] == group]
        others = [int(i) for i in self.tour if self.groups[i] != group]
        walk = self._walk(members, face_key, seed)
        if near is None or len(members) < PLANNED_RETRIES + 3:
            return walk + others
        retries = self.retry_plan(members, near)[members.index(walk[0])]
        return walk[:1] + retries + [m for m in walk[1:] if m not in retries] + others

    def retry_plan(self, members: list[int], near: np.ndarray) -> list[list[int]]:
        """For each place p on a group's tour (`members`), the identities a seed starting there retries, in order.

        One plan per face, the same for every seed, so each seed knows what its neighbours (places p - 1 and
        p + 1: seeds s - 1 and s + 1) may keep: their first identities and their planned retries. A retry is
        never one of those, and is picked to be apart from all of them on the most training faces (`apart`, up
        to APART_ENOUGH) and then to be far from the face (an identity far from it in the recognizer's space
        tends to stay far once put on it). Measured on the validation faces, retries picked only for being
        farthest from the face were close to the neighbouring seed's identity on a third of the faces: the
        identities farthest from a face are close to each other.
        """
        n = len(members)
        far = np.linalg.norm(self.descriptors[members] - np.asarray(near, np.float32)[None], axis=1)
        apart = self.apart[np.ix_(members, members)]
        plan: list[list[int]] = [[] for _ in range(n)]
        for _ in range(PLANNED_RETRIES):
            for p in range(n):
                left, right = (p - 1) % n, (p + 1) % n
                keep_apart = [left, right] + plan[left] + plan[right]
                banned = set(keep_apart) | set(plan[p]) | {p}
                if len(banned) >= n:         # a small group: only the neighbours' first identities stay out
                    banned = {left, right, p} | set(plan[p])
                best, best_score = -1, -np.inf
                for q in range(n):
                    if q in banned:
                        continue
                    score = min(APART_ENOUGH, float(apart[q, keep_apart].min())) + FAR_WEIGHT * float(far[q])
                    if score > best_score:
                        best, best_score = q, score
                plan[p].append(best)
        return [[members[q] for q in places] for places in plan]

    @staticmethod
    def _walk(tour: list[int], face_key: str, seed: int) -> list[int]:
        digest = hashlib.sha256(f"veil-identity:{face_key}".encode()).digest()
        n = len(tour)
        if n == 0:
            return []
        first = (int.from_bytes(digest[:8], "little") + int(seed)) % n
        step = max(1, n // 3)
        order = []
        for k in range(n):
            i = tour[(first + k * step) % n]
            if i in order:   # the jumps came round: fill in the rest in tour order
                order += [j for j in tour[first:] + tour[:first] if j not in order]
                break
            order.append(i)
        return order


OUTLINE_MARGIN = 4        # px of the stored face next to its outline that are re-made too: the collage's
                          # backdrop left a dotted dark line along it


def skin_carried_out(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """`image` (float RGB) with everything outside the face outline filled in from the skin inside it.

    The stored texture has a brown backdrop outside the face and a dotted dark line along the outline. The blend
    reaches past the outline (SynthesisStyle.edge_inset), where those showed as dark stubble along the jaw. So
    the last OUTLINE_MARGIN px of the face are re-made too (descriptors and the source check are measured on the
    stored texture; the engine verifies what it draws)."""
    cover = fill_polygon(image.shape[:2], face_outline(np.asarray(points, np.float64)))
    face = cv2.erode((cover > 0.5).astype(np.uint8), np.ones((2 * OUTLINE_MARGIN + 1,) * 2, np.uint8))
    face = face.astype(np.float32)
    outside = face < 0.5
    out = image.copy()
    out[outside] = image[~outside].mean(axis=0)
    # Normalised blurs of the face alone: a wide one further out, a fine one next to the outline (an inpainting
    # took 25 ms a texture).
    for sigma in (16.0, 4.0):
        weight = cv2.GaussianBlur(face, (0, 0), sigma)
        spread = cv2.GaussianBlur(image * face[..., None], (0, 0), sigma) / np.maximum(weight, 1e-6)[..., None]
        reached = outside & (weight > 0.02)
        out[reached] = spread[reached]
    return np.clip(out, 0, 255).astype(np.float32)


def read_bank(path: Path, need_apart: bool = True) -> IdentityBank:
    """Parse a bank file; a malformed one is a ModelError. The builder re-reads banks of older builds, written
    before `apart` (`need_apart=False`: every pair then counts as apart)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            bank = IdentityBank(
                ids=tuple(str(s) for s in data["ids"]), jpeg=data["jpeg"].astype(np.uint8),
                offsets=data["offsets"].astype(np.int64), points=data["points"].astype(np.float64),
                triangles=data["triangles"].astype(np.int32), ring_triangles=data["ring_triangles"].astype(np.int32),
                shape_offsets=data["shape_offsets"].astype(np.float64), groups=data["groups"].astype(np.int32),
                group_centres=data["group_centres"].astype(np.float32), tour=data["tour"].astype(np.int64),
                descriptors=data["descriptors"].astype(np.float32), apart=(data["apart"] if need_apart or "apart" in data
                                                                      else _all_apart(len(data["ids"]))).astype(np.float32),
            )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelError(f"The identity bank ({path.name}) cannot be read ({exc}); reinstall Veil.") from None
    n = len(bank.ids)
    if (n == 0 or bank.offsets.shape != (n + 1,) or bank.points.shape != (N_POINTS, 2)
            or bank.shape_offsets.shape != (n, 68, 2) or bank.groups.shape != (n,) or bank.group_centres.shape != (2, 128)
            or bank.triangles.ndim != 2 or bank.triangles.shape[1] != 3 or bank.ring_triangles.ndim != 2
            or sorted(bank.tour.tolist()) != list(range(n)) or bank.descriptors.shape != (n, 128)
            or bank.apart.shape != (n, n)):
        raise ModelError(f"The identity bank ({path.name}) has an unexpected layout; reinstall Veil.")
    return bank


def _all_apart(n: int) -> np.ndarray:
    return 1.0 - np.eye(n, dtype=np.float32)


_bank: Lazy[IdentityBank] = Lazy(lambda: read_bank(model_path(MODEL_NAME)))


def default_bank() -> IdentityBank:
    """The shipped bank (models/identities/identities.npz via the manifest), loaded once per process."""
    return _bank.get()
