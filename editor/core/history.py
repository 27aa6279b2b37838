"""Undo/redo as tile patches: an edit stores only the tiles it changed (before and after), never whole copies.

One user action (a whole brush drag, an inpaint, a mask grow) is one `Edit`. The history is bounded by a byte
budget and a step count; the oldest edits are dropped first. A new edit clears the redo stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np

from .geometry import Rect

TILE = 256


@dataclass
class Patch:
    layer: str
    rect: Rect
    before: np.ndarray
    after: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.before.nbytes + self.after.nbytes


@dataclass
class Edit:
    label: str
    patches: List[Patch] = field(default_factory=list)
    source_type: Optional[str] = None       # set when the edit's pixels were invented (IPTC digital source type)

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.patches)

    @property
    def rect(self) -> Optional[Rect]:
        out: Optional[Rect] = None
        for p in self.patches:
            out = p.rect if out is None else out.union(p.rect)
        return out


def tiles_in(rect: Rect, width: int, height: int) -> Iterator[Rect]:
    r = rect.clip(width, height)
    if r.empty:
        return
    for ty in range(r.y0 // TILE, (r.y1 - 1) // TILE + 1):
        for tx in range(r.x0 // TILE, (r.x1 - 1) // TILE + 1):
            yield Rect(tx * TILE, ty * TILE, min(width, (tx + 1) * TILE), min(height, (ty + 1) * TILE))


def changed_tiles(layer: np.ndarray, rect: Rect, pixels: np.ndarray) -> list[Rect]:
    """The parts of `rect` (one per tile) where `pixels` differ from `layer`. Pure, so a worker thread can run it
    (editing is blocked meanwhile) and leave the UI thread only the writing of what changed."""
    h, w = layer.shape[:2]
    out = []
    for tile in tiles_in(rect, w, h):
        part = tile.intersect(rect)
        new = pixels[part.y0 - rect.y0:part.y1 - rect.y0, part.x0 - rect.x0:part.x1 - rect.x0]
        if not np.array_equal(layer[part.slices], new):
            out.append(part)
    return out


def nonzero_tiles(layer: np.ndarray) -> list[Rect]:
    """The tiles of a mask that hold any nonzero pixel (pure, for workers)."""
    h, w = layer.shape[:2]
    ty, tx = -(-h // TILE), -(-w // TILE)
    padded = np.zeros((ty * TILE, tx * TILE), bool)
    padded[:h, :w] = layer != 0
    hits = padded.reshape(ty, TILE, tx, TILE).any(axis=(1, 3))
    return [Rect(int(x) * TILE, int(y) * TILE, min(w, (int(x) + 1) * TILE), min(h, (int(y) + 1) * TILE))
            for y, x in zip(*np.nonzero(hits))]


class EditRecorder:
    """Collects the 'before' of each tile the first time an edit is about to touch it."""

    def __init__(self, label: str, layers: Dict[str, np.ndarray], source_type: Optional[str] = None) -> None:
        self.label = label
        self.source_type = source_type
        self._layers = layers
        self._before: Dict[Tuple[str, Rect], np.ndarray] = {}

    def touch(self, layer: str, rect: Rect) -> None:
        """Call before writing `rect` of `layer`."""
        arr = self._layers[layer]
        h, w = arr.shape[:2]
        for tile in tiles_in(rect, w, h):
            key = (layer, tile)
            if key not in self._before:
                self._before[key] = arr[tile.slices].copy()

    def revert(self) -> None:
        """Put every touched tile back, so an edit that failed half-way leaves no trace."""
        for (layer, tile), before in self._before.items():
            self._layers[layer][tile.slices] = before

    def finish(self) -> Edit:
        edit = Edit(self.label, source_type=self.source_type)
        for (layer, tile), before in self._before.items():
            after = self._layers[layer][tile.slices]
            if not np.array_equal(before, after):
                edit.patches.append(Patch(layer, tile, before, after.copy()))
        return edit


class History:
    def __init__(self, max_bytes: int = 1 << 30, max_steps: int = 200) -> None:
        self.max_bytes = max_bytes
        self.max_steps = max_steps
        self._undo: List[Edit] = []
        self._redo: List[Edit] = []
        self._clean_marker: Optional[int] = 0   # len(undo) at last save; None once that state is unreachable
        self._dropped = 0
        self._dropped_source_types: set = set()  # of edits too old to undo, whose pixels are still in the photo

    # -- state ---------------------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_label(self) -> Optional[str]:
        return self._undo[-1].label if self._undo else None

    @property
    def redo_label(self) -> Optional[str]:
        return self._redo[-1].label if self._redo else None

    @property
    def nbytes(self) -> int:
        return sum(e.nbytes for e in self._undo) + sum(e.nbytes for e in self._redo)

    @property
    def depth(self) -> int:
        return len(self._undo)

    @property
    def is_clean(self) -> bool:
        return self._clean_marker == len(self._undo) + self._dropped

    def mark_clean(self) -> None:
        self._clean_marker = len(self._undo) + self._dropped

    def source_types(self) -> set:
        """The digital source types of the edits now in the photo (undone ones excluded, dropped ones included)."""
        return {e.source_type for e in self._undo if e.source_type} | self._dropped_source_types

    # -- changes -------------------------------------------------------------------------------------
    def push(self, edit: Edit) -> None:
        if not edit.patches:
            return
        if self._clean_marker is not None and self._clean_marker > len(self._undo) + self._dropped:
            self._clean_marker = None      # the saved state was in the redo stack we are discarding
        self._redo.clear()
        self._undo.append(edit)
        self._trim()

    def _trim(self) -> None:
        total = self.nbytes
        while self._undo and (len(self._undo) > self.max_steps or total > self.max_bytes) and len(self._undo) > 1:
            old = self._undo.pop(0)
            total -= old.nbytes
            if old.source_type:
                self._dropped_source_types.add(old.source_type)
            self._dropped += 1

    def undo(self, apply: Callable[[Patch, bool], None]) -> Optional[Edit]:
        """Revert the last edit; `apply(patch, use_after)` writes pixels into the layers."""
        if not self._undo:
            return None
        edit = self._undo.pop()
        for p in reversed(edit.patches):
            apply(p, False)
        self._redo.append(edit)
        return edit

    def redo(self, apply: Callable[[Patch, bool], None]) -> Optional[Edit]:
        if not self._redo:
            return None
        edit = self._redo.pop()
        for p in edit.patches:
            apply(p, True)
        self._undo.append(edit)
        return edit

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self._dropped = 0
        self._dropped_source_types.clear()
        self._clean_marker = 0
