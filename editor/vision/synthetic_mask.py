"""Put a face-mask template (an RGBA picture with six anchor points) onto a face by its 68 landmarks.

The one reader of the mask-templates data set (MIT) for the app, the benchmarks and training
(models/training/synth_masks.py builds its training pairs on it). `masks.cfg` gives, per template, anchors a/b/c
along the top edge (left cheek, nose bridge, right cheek) and d/e/f along the bottom (left jaw, chin, right jaw);
`face_anchors` places them on the 68 landmarks and a homography maps the template onto them.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

# Anchor -> 68-point landmark index (iBUG order, 0-based, image left first): the mask's top edge runs from the
# jaw at eye height over the nose bridge; its bottom edge wraps the lower jaw and the chin.
ANCHOR_LANDMARKS = {"a": 1, "b": 28, "c": 15, "d": 5, "e": 8, "f": 11}
# The chin anchor sits this share of the nose-bridge-to-chin line below landmark 8, just under the chin contour
# (a mask wraps under the chin). The shipped segmenter and inpainter were trained with masks placed this way.
CHIN_DROP = 0.06
FRONTAL = ("surgical", "surgical_blue", "surgical_green", "N95", "KN95", "cloth", "gas")


@dataclass(frozen=True)
class MaskTemplate:
    name: str
    rgba: np.ndarray               # H x W x 4 uint8, RGB order
    anchors: np.ndarray            # 6 x 2 float32, anchors a..f in template pixels


def template_entries(folder: Path) -> list[tuple[str, Path, list[str]]]:
    """(masks.cfg section, template file, anchor texts a..f) of every template listed in `folder`/masks.cfg."""
    cfg = configparser.ConfigParser(inline_comment_prefixes=(";",), comment_prefixes=(";", "#"))
    cfg.read(folder / "masks.cfg", encoding="utf-8")
    return [(name, folder / "templates" / Path(cfg[name]["template"]).name,
             [cfg[name][f"mask_{k}"] for k in "abcdef"])
            for name in cfg.sections() if "template" in cfg[name]]      # 'empty' / 'inpaint' are pseudo-entries


def shrink_template(bgra: np.ndarray, width: int) -> tuple[np.ndarray, float]:
    """The template at about `width` pixels (area-averaged) and the scale its anchors take."""
    scale = width / bgra.shape[1]
    return cv2.resize(bgra, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), scale


def load_templates(folder: Path, names: tuple[str, ...] | None = FRONTAL, width: int | None = None
                   ) -> list[MaskTemplate]:
    """The templates of `folder`/masks.cfg named in `names` (in that order; None: every template, in the file's
    order), read from `folder`/templates; with `width`, each shrunk to about that width with its anchors."""
    entries = {name: (path, anchors) for name, path, anchors in template_entries(folder)}
    out = []
    for name in entries if names is None else names:
        if name not in entries:
            raise FileNotFoundError(f"mask template {name} is not listed in {folder / 'masks.cfg'}")
        path, anchor_text = entries[name]
        bgra = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if bgra is None or bgra.ndim != 3 or bgra.shape[2] != 4:
            raise FileNotFoundError(f"mask template {path} is missing or has no alpha channel")
        anchors = np.array([[float(v) for v in a.split(",")] for a in anchor_text], np.float32)
        if width is not None:
            bgra, scale = shrink_template(bgra, width)
            anchors = anchors * scale
        out.append(MaskTemplate(name, cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA), anchors))
    return out


def face_anchors(landmarks68: np.ndarray) -> np.ndarray:
    """The six template anchors a..f on a face (6 x 2 float32): cheeks at the nose-bridge height, jaw at lip
    height, and the chin anchor CHIN_DROP below the chin."""
    lm = np.asarray(landmarks68, np.float32)
    at = [lm[i] for i in ANCHOR_LANDMARKS.values()]
    at[4] = lm[8] + CHIN_DROP * (lm[8] - lm[28])
    return np.stack(at)


def wear_mask(image_rgb: np.ndarray, landmarks68: np.ndarray, template: MaskTemplate) -> tuple[np.ndarray, np.ndarray]:
    """(the image with the mask drawn on the face, uint8 coverage mask: 255 where the mask hides the face)."""
    homography, _ = cv2.findHomography(template.anchors, face_anchors(landmarks68), 0)
    if homography is None:
        raise ValueError("these landmarks do not give a usable mask placement")
    h, w = image_rgb.shape[:2]
    warped = cv2.warpPerspective(template.rgba, homography, (w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    alpha = warped[..., 3:].astype(np.float32) / 255.0
    out = image_rgb * (1.0 - alpha) + warped[..., :3] * alpha
    coverage = np.where(warped[..., 3] >= 128, 255, 0).astype(np.uint8)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), coverage
