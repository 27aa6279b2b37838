"""The identity bank: synthetic face textures in one mean-shape frame, loaded from models/ (checksum-verified).

File format (numpy .npz, no pickles): `jpeg` (all textures' JPEG bytes, concatenated), `offsets` (N + 1 byte
offsets), `ids` (N names), `points` (the mean-shape mesh: 68 landmarks + 20 forehead points, frame pixels),
`triangles` (T x 3 indices into `points`), `ring_triangles` (indices into `points` plus its ring, for reshaping),
`shape_offsets` (N x 68 x 2: each identity's landmark deviation from the mean shape), `groups` (N appearance
groups), `group_centres` (2 x 128 dlib descriptors) and `tour` (all N indices, each group's in a cyclic order in
which neighbours are far apart as rendered faces). models/training/build_identities.py writes it and records
how each identity was made and checked.
"""

from __future__ import annotations

import hashlib
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from editor.core.errors import ModelError
from editor.runtime.models import model_path

from .mesh import N_POINTS

MODEL_NAME = "identities"
LANES = 3                 # seeds s, s+1 and s+2 retry on disjoint thirds of the tour


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

    def __len__(self) -> int:
        return len(self.ids)

    def texture(self, index: int) -> np.ndarray:
        """Identity `index` as an S x S x 3 float32 RGB texture in the mean-shape frame."""
        blob = self.jpeg[self.offsets[index]: self.offsets[index + 1]]
        bgr = cv2.imdecode(blob, cv2.IMREAD_COLOR)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32)

    def candidates(self, face_key: str, seed: int, group: int, near: Optional[np.ndarray] = None) -> list[int]:
        """The identities to try for a face, best first: its group's (by the tour), then the other group's.

        The face's key fixes where on its group's tour it starts and the seed steps along the tour, so the same
        face and seed always get the same identity, seeds that differ by less than the tour's length never share
        one, and the next seed (a re-roll) gives the neighbour on the tour: a face far from the last one. Retries
        jump a third of the tour ahead, away from the next seeds' first choices. With `near` (the face's own
        descriptor), retries stay in the seed's lane (every LANES-th identity along the tour from its first
        choice, so neighbouring seeds never retry onto each other's identities), farthest from the face first:
        an identity far from the face in the recognizer's space tends to stay far once put on it. (Narrowing
        the first choice too gained distance to the original but lost more between seeds: the identities
        farthest from a face are close to each other. Within the lane, farthest-first kept seeds apart better
        than tour order with the nearest last: 87% against 78% of 60 faces.)
        """
        members = [int(i) for i in self.tour if self.groups[i] == group]
        others = [int(i) for i in self.tour if self.groups[i] != group]
        walk = self._walk(members, face_key, seed)
        if near is None or len(walk) < 2:
            return walk + others
        start = members.index(walk[0])
        lane = [members[(start + k) % len(members)] for k in range(LANES, len(members), LANES)]
        lane.sort(key=lambda m: -float(np.linalg.norm(self.descriptors[m] - np.asarray(near, np.float32))))
        return walk[:1] + lane + [m for m in walk[1:] if m not in lane] + others

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


def read_bank(path: Path) -> IdentityBank:
    """Parse a bank file; a malformed one is a ModelError."""
    try:
        with np.load(path, allow_pickle=False) as data:
            bank = IdentityBank(
                ids=tuple(str(s) for s in data["ids"]), jpeg=data["jpeg"].astype(np.uint8),
                offsets=data["offsets"].astype(np.int64), points=data["points"].astype(np.float64),
                triangles=data["triangles"].astype(np.int32), ring_triangles=data["ring_triangles"].astype(np.int32),
                shape_offsets=data["shape_offsets"].astype(np.float64), groups=data["groups"].astype(np.int32),
                group_centres=data["group_centres"].astype(np.float32), tour=data["tour"].astype(np.int64),
                descriptors=data["descriptors"].astype(np.float32),
            )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelError(f"The identity bank ({path.name}) cannot be read ({exc}); reinstall Veil.") from None
    n = len(bank.ids)
    if (n == 0 or bank.offsets.shape != (n + 1,) or bank.points.shape != (N_POINTS, 2)
            or bank.shape_offsets.shape != (n, 68, 2) or bank.groups.shape != (n,) or bank.group_centres.shape != (2, 128)
            or bank.triangles.ndim != 2 or bank.triangles.shape[1] != 3 or bank.ring_triangles.ndim != 2
            or sorted(bank.tour.tolist()) != list(range(n)) or bank.descriptors.shape != (n, 128)):
        raise ModelError(f"The identity bank ({path.name}) has an unexpected layout; reinstall Veil.")
    return bank


_bank: Optional[IdentityBank] = None
_lock = threading.Lock()


def default_bank() -> IdentityBank:
    """The shipped bank (models/identities/identities.npz via the manifest), loaded once per process."""
    global _bank
    with _lock:
        if _bank is None:
            _bank = read_bank(model_path(MODEL_NAME))
        return _bank
