"""The app's sample portrait (resources/sample.jpg, one face) wearing face masks from the MIT mask templates
(../shared/data/mask-templates): the photos the unmask tests fill."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT.parent / "shared" / "data" / "mask-templates"


def sample_wearing(*names: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{template name: (the sample wearing it, the mask's coverage)}; skips the test without the templates."""
    if not (TEMPLATES / "masks.cfg").exists():
        pytest.skip("mask templates (../shared/data/mask-templates) not present")
    from editor.services.faces import detect_faces
    from editor.vision.synthetic_mask import load_templates, wear_mask

    sample = np.asarray(Image.open(ROOT / "resources" / "sample.jpg").convert("RGB"))
    landmarks = detect_faces(sample)[0].landmarks68
    templates = {t.name: t for t in load_templates(TEMPLATES)}
    return {name: wear_mask(sample, landmarks, templates[name]) for name in names}
