"""A fill states what it is: the face model filling a face is a trained model's estimate (marked in exports); a
classical fill, retouching a blemish or a background, is not marked."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from editor.core.digital_source import TRAINED_COMPOSITE
from editor.core.document import Document
from editor.services.faces import detect_faces
from editor.services.inpainting import apply_result, inpaint

REPO = Path(__file__).resolve().parents[2]


def test_only_a_face_filled_by_the_face_model_is_marked_as_estimated():
    image = cv2.cvtColor(cv2.imread(str(REPO / "resources" / "sample.jpg")), cv2.COLOR_BGR2RGB)
    face = detect_faces(image)[0]
    x, y, w, h = (int(v) for v in face.box)
    mouth = np.zeros(image.shape[:2], np.uint8)
    mouth[y + h // 2:y + 3 * h // 4, x + w // 4:x + 3 * w // 4] = 255
    background = np.zeros_like(mouth)
    background[10:30, 10:30] = 255

    for mask, engine, expected in ((mouth, "face-model", TRAINED_COMPOSITE), (mouth, "telea", None),
                                   (background, "face-model", None)):
        doc = Document(image.copy())
        result = inpaint(doc.image, mask, engine, faces=[face])
        apply_result(doc, result)
        assert doc.estimated_source_type() == expected, (engine, result.engine)
