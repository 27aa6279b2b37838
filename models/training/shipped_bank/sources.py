"""Source photos: frontal, unoccluded photos of the training people as frame textures, and the appearance groups."""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from editor.anonymize.mesh import face_outline, fill_polygon, mesh_points, ring_points, warp_to_mesh
from editor.anonymize.reshape import similarity
from editor.anonymize.synthesis import relit
from editor.core.image_io import load_image
from models.training.identity_bank.candidates import appearance_groups as two_groups
from models.training.identity_bank.frame import delaunay
from models.training.identity_bank.sources import is_frontal_neutral

from .frame import FRAME, PARTS, mean_mesh, part_weights

DELIGHT_SIGMA = FRAME / 6      # a source's own lighting (below this frequency) is replaced by the mean face's
EDGE_BAND = FRAME / 16         # the outline band where the mean face takes over from the source
CLEAN_PERCENTILE = 25          # a photo gives a part only if it is among the cleanest quarter in that part


class Sources:
    """Frontal, unoccluded photos of the training people, as frame textures with their shape deviations."""

    def __init__(self, data: Path, faces: dict, identities: list[str], per_person: int,
                 points: np.ndarray | None = None) -> None:
        """`points`: a frame's mesh to use (a built bank's) instead of the mean of these photos'."""
        person = np.array([p.split("/")[0] for p in faces["paths"]])
        chosen = [i for i in range(len(person)) if person[i] in set(identities) and is_frontal_neutral(faces["lm"][i])]
        meshes = np.array([mesh_points(faces["lm"][i]) for i in chosen])
        self.points = mean_mesh(meshes) if points is None else np.asarray(points, np.float64)
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


def build_sources(args: argparse.Namespace, faces: dict, identities: list[str]):
    """The build's random generator, people, host people (never sources) and Sources, exactly as a build with
    these arguments makes them (an extension must share the build's frame)."""
    rng = np.random.default_rng(args.seed)
    people = sorted(set(p.split("/")[0] for p in faces["paths"]))
    host_people = set(rng.choice(people, args.hosts, replace=False).tolist())
    src = Sources(args.data, faces, [p for p in identities if p not in host_people], args.per_person)
    return rng, people, host_people, src
