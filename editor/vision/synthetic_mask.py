"""Put a face-mask template (an RGBA picture with six anchor points) onto a face by its 68 landmarks.

Used to measure detection on masked faces and to make masked/unmasked training pairs with an exact hole mask.
The templates and `masks.cfg` come from the mask-templates data set (MIT): anchors a/b/c run along the top
edge (left cheek, nose bridge, right cheek) and d/e/f along the bottom (left jaw, chin, right jaw); a homography
maps them onto the landmarks below.
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
FRONTAL = ("surgical", "surgical_blue", "surgical_green", "N95", "KN95", "cloth", "gas")


@dataclass(frozen=True)
class MaskTemplate:
    name: str
    rgba: np.ndarray               # H x W x 4 uint8, RGB order
    anchors: np.ndarray            # 6 x 2 float32, anchors a..f in template pixels


def load_templates(folder: Path, names: tuple[str, ...] = FRONTAL) -> list[MaskTemplate]:
    """Templates listed in `folder`/masks.cfg (by section name), read from `folder`/templates."""
    cfg = configparser.ConfigParser(inline_comment_prefixes=(";",))
    cfg.read(folder / "masks.cfg", encoding="utf-8")
    out = []
    for name in names:
        section = cfg[name]
        image = cv2.imread(str(folder / "templates" / Path(section["template"]).name), cv2.IMREAD_UNCHANGED)
        if image is None or image.ndim != 3 or image.shape[2] != 4:
            raise FileNotFoundError(f"mask template {name} is missing or has no alpha channel")
        anchors = np.array([[float(v) for v in section[f"mask_{k}"].split(",")] for k in "abcdef"], np.float32)
        out.append(MaskTemplate(name, cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA), anchors))
    return out


def wear_mask(image_rgb: np.ndarray, landmarks68: np.ndarray, template: MaskTemplate) -> tuple[np.ndarray, np.ndarray]:
    """(the image with the mask drawn on the face, uint8 coverage mask: 255 where the mask hides the face)."""
    targets = np.array([landmarks68[i] for i in ANCHOR_LANDMARKS.values()], np.float32)
    homography, _ = cv2.findHomography(template.anchors, targets, 0)
    if homography is None:
        raise ValueError("these landmarks do not give a usable mask placement")
    h, w = image_rgb.shape[:2]
    warped = cv2.warpPerspective(template.rgba, homography, (w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    alpha = warped[..., 3:].astype(np.float32) / 255.0
    out = image_rgb * (1.0 - alpha) + warped[..., :3] * alpha
    coverage = np.where(warped[..., 3] >= 128, 255, 0).astype(np.uint8)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), coverage
