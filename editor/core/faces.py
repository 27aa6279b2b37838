"""Plain face records shared by detection, the document and the UI (no model code here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .geometry import Rect


@dataclass
class Face:
    box: tuple[float, float, float, float]        # x, y, w, h in image pixels
    score: float
    landmarks5: np.ndarray                        # 5 x 2: right eye, left eye, nose tip, right/left mouth corner
    landmarks68: Optional[np.ndarray] = None      # 68 x 2 (iBUG 300-W order) when dlib found them
    included: bool = True                         # the user's choice in the face list
    source: str = "detector"                      # "detector" or "user" (a box drawn by hand)
    flags: list[str] = field(default_factory=list)

    @property
    def rect(self) -> Rect:
        return Rect.from_xywh(*self.box)

    def to_json(self) -> dict:
        x, y, w, h = (round(float(v), 1) for v in self.box)
        out = {
            "box": [x, y, w, h],
            "score": round(float(self.score), 4),
            "landmarks5": np.round(self.landmarks5, 1).tolist(),
            "included": self.included,
            "source": self.source,
        }
        if self.landmarks68 is not None:
            out["landmarks68"] = np.round(self.landmarks68, 1).tolist()
        if self.flags:
            out["flags"] = list(self.flags)
        return out
