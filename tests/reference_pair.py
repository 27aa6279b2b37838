"""A masked photo and a reference photo of the same person, made from public-domain pictures only.

The reference is the astronaut portrait (tests/fixtures/astronaut.png, public domain). The "other photo" of her is
the same portrait seen differently: turned by a few degrees, closer, with the face gently bent (a smooth,
non-rigid displacement) and under other light (darker on one side, warmer), then given a face mask from the MIT
mask templates. Its unmasked version is the truth. The wrong person is scikit-image's cameraman (public domain).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

TESTS = Path(__file__).resolve().parent
TEMPLATES = TESTS.parents[1] / "shared" / "data" / "mask-templates"


@dataclass(frozen=True)
class MaskedPair:
    masked: np.ndarray        # the second view wearing a mask
    truth: np.ndarray         # the second view without it
    coverage: np.ndarray      # uint8, 255 where the mask hides the face
    reference: np.ndarray     # the astronaut as she is


def astronaut() -> np.ndarray:
    return np.asarray(Image.open(TESTS / "fixtures" / "astronaut.png").convert("RGB"))


def cameraman() -> np.ndarray:
    from skimage.data import camera

    return np.ascontiguousarray(np.stack([camera()] * 3, axis=-1))


def second_view(image: np.ndarray) -> np.ndarray:
    """The portrait turned 6 degrees and 8% closer about the face, bent smoothly, relit."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((223.0, 120.0), 6.0, 1.08)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bend_x = 2.5 * np.sin(yy / 37.0)            # a few px: expression and lens, not identity
    bend_y = 2.0 * np.sin(xx / 41.0)
    inverse = cv2.invertAffineTransform(matrix)
    map_x = inverse[0, 0] * (xx + bend_x) + inverse[0, 1] * (yy + bend_y) + inverse[0, 2]
    map_y = inverse[1, 0] * (xx + bend_x) + inverse[1, 1] * (yy + bend_y) + inverse[1, 2]
    view = cv2.remap(image, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101).astype(np.float32)
    light = np.linspace(0.75, 1.05, w, dtype=np.float32)[None, :, None] * np.float32([1.06, 1.0, 0.9])
    return np.clip(np.rint(view * light), 0, 255).astype(np.uint8)


def masked_pair(template_name: str = "surgical_blue") -> MaskedPair:
    """The second view wearing the template; raises FileNotFoundError without the mask templates."""
    from editor.services.faces import detect_faces
    from editor.vision.synthetic_mask import load_templates, wear_mask

    if not (TEMPLATES / "masks.cfg").exists():
        raise FileNotFoundError("mask templates (../shared/data/mask-templates) not present")
    reference = astronaut()
    truth = second_view(reference)
    template = next(t for t in load_templates(TEMPLATES) if t.name == template_name)
    masked, coverage = wear_mask(truth, detect_faces(truth)[0].landmarks68, template)
    return MaskedPair(masked, truth, coverage, reference)


def psnr(image: np.ndarray, truth: np.ndarray, where: np.ndarray) -> float:
    err = ((image.astype(np.float64) - truth.astype(np.float64)) ** 2)[where].mean()
    return float(10 * np.log10(255.0 ** 2 / err))
