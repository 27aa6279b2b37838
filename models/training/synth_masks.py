"""Synthetic masked faces: a mask template warped onto an aligned face by a homography of six anchors.

Templates and anchors come from mask-templates/ (MIT, MaskTheFace's format), read by the app's own loader
(editor.vision.synthetic_mask: masks.cfg, the shrink, and `face_anchors`, which places anchors a..f on the
iBUG-68 landmarks), so training and the app put a mask on a face the same way. A turned head gets the matching
profile template. Colour, brightness and (for cloth) fabric texture vary. The hole mask is the warped template's
alpha, every non-zero pixel of it, dilated by HOLE_DILATION pixels: no mask-edge pixel is left outside.
Output depends only on the inputs and the rng, so (seed, index) -> the same pair every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from editor.vision.synthetic_mask import face_anchors, load_templates, shrink_template, template_entries

__all__ = ["KINDS", "MaskLibrary", "MaskTemplate", "MaskedFace", "face_anchors", "head_side", "shrink_template",
           "shrink_texture", "synthesize", "template_entries", "texture_files"]

KINDS = ("surgical", "N95", "KN95", "cloth", "gas")
KIND_WEIGHTS = (0.3, 0.15, 0.15, 0.25, 0.15)
TEMPLATE_WIDTH = 320          # templates are pre-shrunk to about this width (they cover ~200 px of a face)
TEXTURE_SIDE = 384
HOLE_DILATION = 2             # pixels
PROFILE_RATIO = 0.30          # nose-tip position across the face below which (or above 1 - it) the head is turned


@dataclass(frozen=True)
class MaskTemplate:
    name: str                 # masks.cfg section, e.g. "surgical_blue_left"
    kind: str                 # one of KINDS
    side: str                 # "front", "left" or "right"
    rgba: np.ndarray          # H x W x 4 float32 in 0..1
    anchors: np.ndarray       # 6 x 2 float32, a..f in template pixels


@dataclass(frozen=True)
class MaskedFace:
    masked: np.ndarray        # H x W x 3 uint8, the face wearing the mask
    hole: np.ndarray          # H x W bool, every pixel the mask touches (dilated)
    alpha: np.ndarray         # H x W float32, the warped template's coverage
    template: str


class MaskLibrary:
    """All templates of masks.cfg and all fabric textures, loaded and shrunk once."""

    def __init__(self, root: Path) -> None:
        self.templates = [_training_template(t) for t in load_templates(root, names=None, width=TEMPLATE_WIDTH)]
        self.textures = [_load_texture(p) for p in texture_files(root)]
        if not self.templates or not self.textures:
            raise FileNotFoundError(f"no mask templates or textures under {root}")

    def choose(self, kind: str, side: str, rng: np.random.Generator) -> MaskTemplate:
        options = [t for t in self.templates if t.kind == kind and t.side == side]
        return options[rng.integers(len(options))]


def texture_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "textures").rglob("*") if p.is_file())


def shrink_texture(image: np.ndarray) -> np.ndarray:
    """The fabric texture with its shorter side TEXTURE_SIDE (area-averaged)."""
    scale = TEXTURE_SIDE / min(image.shape[:2])
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def _training_template(template) -> MaskTemplate:
    """A loaded template (editor.vision.synthetic_mask) with its kind and side, its RGBA as float32 0..1."""
    name = template.name
    base, _, side = name.rpartition("_") if name.endswith(("_left", "_right")) else (name, "", "front")
    kind = next(k for k in KINDS if base.lower().startswith(k.lower()))
    return MaskTemplate(name, kind, side, template.rgba.astype(np.float32) / 255.0, template.anchors)


def _load_texture(path: Path) -> np.ndarray:
    rgb = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return shrink_texture(rgb).astype(np.float32) / 255.0


def head_side(landmarks68: np.ndarray) -> str:
    """'left' when the nose points to the image's left (turned head), 'right' for the other way, else 'front'."""
    lm = np.asarray(landmarks68, np.float32)
    ratio = (lm[30, 0] - lm[1, 0]) / max(lm[15, 0] - lm[1, 0], 1e-3)
    if ratio < PROFILE_RATIO:
        return "left"
    if ratio > 1.0 - PROFILE_RATIO:
        return "right"
    return "front"


def _shading(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Relative luminance of the template (folds, seams) around 1.0."""
    gray = rgb @ np.float32([0.299, 0.587, 0.114])
    mean = float((gray * alpha).sum() / max(alpha.sum(), 1e-3))
    return np.clip(gray / max(mean, 0.05), 0.3, 1.6)[..., None]


def _restyle(template: MaskTemplate, rng: np.random.Generator, textures: list[np.ndarray]) -> np.ndarray:
    """The template's RGB with a new colour, fabric or brightness (the alpha is never changed)."""
    rgb, alpha = template.rgba[..., :3], template.rgba[..., 3]
    roll = rng.random()
    if template.kind == "cloth" or (template.kind == "surgical" and roll < 0.15):
        tex = textures[rng.integers(len(textures))]
        zoom = rng.uniform(0.5, 1.2)
        tex = cv2.resize(tex, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_AREA)
        reps = (int(np.ceil(rgb.shape[0] / tex.shape[0])) + 1, int(np.ceil(rgb.shape[1] / tex.shape[1])) + 1, 1)
        tiled = np.tile(tex, reps)
        y, x = rng.integers(tex.shape[0]), rng.integers(tex.shape[1])
        rgb = tiled[y:y + rgb.shape[0], x:x + rgb.shape[1]] * _shading(rgb, alpha) ** 0.7
    elif template.kind != "gas" and roll < 0.5:
        colour = rng.uniform(0.15, 1.0, 3).astype(np.float32)              # a plain dyed mask
        rgb = colour * _shading(rgb, alpha) * rng.uniform(0.6, 1.0)
    elif roll < 0.75:
        hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)                         # hue turn of the printed colour
        hsv[..., 0] = (hsv[..., 0] + rng.uniform(0, 360)) % 360
        rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    return np.clip(rgb * rng.uniform(0.65, 1.15), 0.0, 1.0)


def synthesize(face_rgb: np.ndarray, landmarks68: np.ndarray, library: MaskLibrary,
               rng: np.random.Generator, kind: str | None = None) -> MaskedFace:
    """Put one random mask (of `kind`, or drawn by KIND_WEIGHTS) on an aligned face."""
    h, w = face_rgb.shape[:2]
    kind = kind or KINDS[rng.choice(len(KINDS), p=KIND_WEIGHTS)]
    template = library.choose(kind, head_side(landmarks68), rng)
    target = face_anchors(landmarks68) + rng.normal(0.0, 1.5, (6, 2)).astype(np.float32)   # fit jitter
    homography, _ = cv2.findHomography(template.anchors, target)
    rgb = _restyle(template, rng, library.textures)
    rgba = np.dstack([rgb, template.rgba[..., 3]])
    warped = cv2.warpPerspective(rgba, homography, (w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    alpha = np.clip(warped[..., 3], 0.0, 1.0)
    face = face_rgb.astype(np.float32) / 255.0
    masked = face * (1.0 - alpha[..., None]) + warped[..., :3] * alpha[..., None]
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * HOLE_DILATION + 1,) * 2)
    hole = cv2.dilate((alpha > 0).astype(np.uint8), kernel).astype(bool)
    return MaskedFace(np.round(masked * 255.0).astype(np.uint8), hole, alpha, template.name)
