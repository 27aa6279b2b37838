"""Is the reference photo the masked person? Both recognizers compare it with the masked face as it is.

A face mask hides half the face, so a masked face lies farther from every photo of its person than an unmasked
one does, and the recognizers' own thresholds (chosen on unmasked pairs) would refuse many true references.
The thresholds here were chosen the same way (maximum balanced accuracy) on masked-vs-unmasked pairs of the
training identities: each photo given a synthetic mask, compared with the other, unmasked photos of the same
person and of other people:

    nice .venv/bin/python -m models.training.reference_thresholds      # numbers in models/MODEL_CARD.md

The reference is refused when the recognizers' distances, each divided by its masked threshold, average
FUSED_LIMIT or more (a limit chosen on the same pairs): one recognizer that is sure the face differs outweighs one
that is unsure. Balanced accuracy on the training pairs: fused 0.882; dlib alone 0.842, FaceNet alone 0.868;
refusing when either recognizer differs 0.852, when both do 0.858. On the validation identities the fused rule
accepts 93.6% of true references and 14.3% of random other people: a masked face is a weak witness, so this
stops the wrong photo picked by mistake, not a look-alike chosen on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from editor.anonymize.recognizers import Recognizer, default_recognizers
from editor.core.faces import Face

# Same-person thresholds for a masked face against an unmasked photo (models/training/reference_thresholds.py).
MASKED_THRESHOLDS = {"dlib": 0.7196, "facenet": 1.2493}   # unmasked pairs: 0.6544, 1.1057
FUSED_LIMIT = 1.0067


@dataclass(frozen=True)
class IdentityCheck:
    distances: dict[str, float]          # recognizer name -> distance between the masked face and the reference

    @property
    def score(self) -> float:
        """Mean of distance / masked threshold over the recognizers: below FUSED_LIMIT is the same person."""
        return float(np.mean([d / MASKED_THRESHOLDS[name] for name, d in self.distances.items()]))

    @property
    def same_person(self) -> bool:
        return self.score < FUSED_LIMIT

    def describe(self) -> str:
        labels = {r.name: r.label for r in default_recognizers()}
        return ", ".join(f"{labels.get(name, name)} {d:.2f} (same below {MASKED_THRESHOLDS[name]:.2f})"
                         for name, d in self.distances.items())


def compare_faces(masked_image: np.ndarray, masked_faces: Sequence[Face], reference_image: np.ndarray,
                  reference_face: Face, recognizers: Sequence[Recognizer] = ()) -> list[IdentityCheck]:
    """One check per masked face (each must have 68 landmarks) against the reference face."""
    recognizers = tuple(recognizers) or default_recognizers()
    distances: list[dict[str, float]] = [{} for _ in masked_faces]
    for recognizer in recognizers:
        ref = recognizer.embed_faces(reference_image, [reference_face.landmarks68])[0]
        masked = recognizer.embed_faces(masked_image, [f.landmarks68 for f in masked_faces])
        for n, vector in enumerate(masked):
            distances[n][recognizer.name] = recognizer.distance(vector, ref)
    return [IdentityCheck(d) for d in distances]
