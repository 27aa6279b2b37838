"""Integer pixel rectangles: the unit of dirty regions, undo patches and inference crops."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Rect:
    """Half-open pixel rectangle [x0, x1) x [y0, y1)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @staticmethod
    def from_xywh(x: float, y: float, w: float, h: float) -> "Rect":
        return Rect(int(x), int(y), int(round(x + w)), int(round(y + h)))

    @property
    def width(self) -> int:
        return max(0, self.x1 - self.x0)

    @property
    def height(self) -> int:
        return max(0, self.y1 - self.y0)

    @property
    def area(self) -> int:
        return self.width * self.height

    @property
    def empty(self) -> bool:
        return self.width == 0 or self.height == 0

    @property
    def slices(self) -> tuple[slice, slice]:
        """Numpy index (rows, cols) for this rectangle."""
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def union(self, other: Optional["Rect"]) -> "Rect":
        if other is None or other.empty:
            return self
        if self.empty:
            return other
        return Rect(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))

    def intersect(self, other: "Rect") -> "Rect":
        r = Rect(max(self.x0, other.x0), max(self.y0, other.y0), min(self.x1, other.x1), min(self.y1, other.y1))
        return r if not r.empty else Rect(0, 0, 0, 0)

    def pad(self, margin: int) -> "Rect":
        return Rect(self.x0 - margin, self.y0 - margin, self.x1 + margin, self.y1 + margin)

    def clip(self, width: int, height: int) -> "Rect":
        return self.intersect(Rect(0, 0, width, height))


def bounding_rect(mask) -> Optional[Rect]:
    """Bounding rectangle of the non-zero pixels of a 2-D array, or None if it is all zero."""
    import numpy as np

    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return Rect(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
