"""The open photo: pixels, a selection mask, detected faces and the edit history. Free of Qt.

Views subscribe with `doc.subscribe(fn)`; `fn(event, rect)` is called with event in {"image", "mask",
"faces", "history", "path"} and the changed rectangle (None = everything).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence

import cv2
import numpy as np

from . import mask_ops
from .digital_source import strongest
from .faces import Face
from .geometry import Rect, bounding_rect
from .history import TILE, EditRecorder, History, Patch, changed_tiles, nonzero_tiles
from .image_types import ImageMetadata, LoadedImage

Listener = Callable[[str, Optional[Rect]], None]


class Document:
    def __init__(self, pixels: np.ndarray, metadata: Optional[ImageMetadata] = None,
                 alpha: Optional[np.ndarray] = None, path: Optional[Path] = None,
                 history: Optional[History] = None) -> None:
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
            raise ValueError("pixels must be H x W x 3 uint8 RGB")
        # Edits write in place: a read-only buffer (e.g. a numpy view of a Pillow image) is copied once here.
        self.image = np.require(pixels, requirements=["C", "W"])
        self.original = self.image.copy()            # what was opened: the 'before' view
        self.alpha = alpha
        self.mask = np.zeros(self.image.shape[:2], np.uint8)
        self.metadata = metadata or ImageMetadata()
        self.path = Path(path) if path else None
        self.faces: List[Face] = []
        self.history = history or History()
        self.last_device: Optional[str] = None       # which device ran the last job ("CPU", "CUDA", ...)
        self._listeners: List[Listener] = []

    @classmethod
    def from_loaded(cls, loaded: LoadedImage) -> "Document":
        return cls(loaded.pixels, loaded.metadata, loaded.alpha, loaded.path)

    # -- observers -----------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: str, rect: Optional[Rect] = None) -> None:
        for fn in list(self._listeners):
            fn(event, rect)

    # -- basics --------------------------------------------------------------------------------------
    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def bounds(self) -> Rect:
        return Rect(0, 0, self.width, self.height)

    @property
    def dirty(self) -> bool:
        return not self.history.is_clean

    @property
    def has_mask(self) -> bool:
        return bool(self.mask.any())

    def _layers(self) -> dict:
        return {"image": self.image, "mask": self.mask}

    # -- edits ---------------------------------------------------------------------------------------
    @contextmanager
    def edit(self, label: str, source_type: Optional[str] = None) -> Iterator[EditRecorder]:
        """Group changes into one undo step: call `rec.touch(layer, rect)` before writing that rect. `source_type`
        marks an edit whose pixels an algorithm invented (see estimated_source_type)."""
        rec = EditRecorder(label, self._layers(), source_type)
        try:
            yield rec
        except BaseException:
            rec.revert()  # otherwise the half-written change would stay in the photo with no undo step
            raise
        edit = rec.finish()
        self.history.push(edit)
        self._emit_edit(edit)

    def begin_stroke(self, diameter: float, hardness: float, erase: bool = False) -> "MaskStroke":
        return MaskStroke(self, diameter, hardness, erase)

    def replace_mask(self, new_mask: np.ndarray, label: str) -> None:
        """Set the whole mask (grow, shrink, invert, ...) storing only the changed area in history."""
        if new_mask.shape != self.mask.shape:
            raise ValueError("mask size does not match the image")
        changed = bounding_rect(new_mask != self.mask)
        if changed is None:
            return
        with self.edit(label) as rec:
            rec.touch("mask", changed)
            self.mask[changed.slices] = new_mask[changed.slices]

    def apply_mask_op(self, op: str, radius: int = 0) -> None:
        funcs = {
            "clear": lambda m: mask_ops.clear(m),
            "invert": lambda m: mask_ops.invert(m),
            "grow": lambda m: mask_ops.grow(m, radius),
            "shrink": lambda m: mask_ops.shrink(m, radius),
            "feather": lambda m: mask_ops.feather(m, radius),
        }
        labels = {"clear": "Clear mask", "invert": "Invert mask", "grow": "Grow mask",
                  "shrink": "Shrink mask", "feather": "Feather mask"}
        self.replace_mask(funcs[op](self.mask), labels[op])

    def add_to_mask(self, region: Rect, values: np.ndarray, label: str) -> None:
        """Union `values` (uint8, the size of region) into the mask."""
        region = region.clip(self.width, self.height)
        if region.empty:
            return
        with self.edit(label) as rec:
            rec.touch("mask", region)
            np.maximum(self.mask[region.slices], values[: region.height, : region.width], out=self.mask[region.slices])

    def apply_pixels(self, rect: Rect, pixels: np.ndarray, label: str, clear_mask: bool = True,
                     changed: Optional[Sequence[Rect]] = None, masked: Optional[Sequence[Rect]] = None,
                     source_type: Optional[str] = None) -> None:
        """Write an engine's result for `rect` (and clear the mask it filled) as one undo step.

        Only the tiles whose pixels change are recorded and written: faces filled across a photo make a rect
        spanning all of it, of which they change a small part. A worker can find them beforehand
        (history.changed_tiles for `changed`, history.nonzero_tiles of the mask for `masked`), so that the UI
        thread, which runs this, only writes them."""
        rect = rect.clip(self.width, self.height)
        if pixels.shape[:2] != (rect.height, rect.width):
            raise ValueError("result size does not match its rectangle")
        if changed is None:
            changed = changed_tiles(self.image, rect, pixels)
        with self.edit(label, source_type) as rec:
            for part in changed:
                part = part.intersect(rect)
                if part.empty:
                    continue
                rec.touch("image", part)
                self.image[part.slices] = pixels[part.y0 - rect.y0:part.y1 - rect.y0,
                                                 part.x0 - rect.x0:part.x1 - rect.x0]
            if clear_mask:
                for part in (nonzero_tiles(self.mask) if masked is None else masked):
                    rec.touch("mask", part)
                    self.mask[part.slices] = 0

    def _apply_patch(self, patch: Patch, use_after: bool) -> None:
        layer = self._layers()[patch.layer]
        layer[patch.rect.slices] = patch.after if use_after else patch.before

    def undo(self) -> Optional[str]:
        edit = self.history.undo(self._apply_patch)
        return self._after_history(edit)

    def redo(self) -> Optional[str]:
        edit = self.history.redo(self._apply_patch)
        return self._after_history(edit)

    def _after_history(self, edit) -> Optional[str]:
        if edit is None:
            return None
        self._emit_edit(edit)
        return edit.label

    def _emit_edit(self, edit) -> None:
        """Tell views which areas of each layer an edit (or its undo) changed, then that history moved.

        One rect per group of touching tiles: faces filled across a photo refresh their own areas, not the
        rectangle spanning them all."""
        changed: dict[str, List[Rect]] = {}
        for p in edit.patches:
            changed.setdefault(p.layer, []).append(p.rect)
        for layer, rects in changed.items():
            for rect in _touching_groups(rects):
                self._emit(layer, rect)
        self._emit("history")

    def estimated_source_type(self) -> Optional[str]:
        """The IPTC digital source type an export of the photo as it stands must state: None when no edit in it
        invented pixels (or they were all undone)."""
        return strongest(self.history.source_types())

    # -- faces and saving ------------------------------------------------------------------------------
    def set_faces(self, faces: List[Face]) -> None:
        self.faces = list(faces)
        self._emit("faces")

    def set_face_included(self, index: int, included: bool) -> None:
        self.faces[index].included = included
        self._emit("faces")

    def included_faces(self) -> List[Face]:
        return [f for f in self.faces if f.included]

    def mark_saved(self, path: Path) -> None:
        self.path = Path(path)
        self.history.mark_clean()
        self._emit("path")
        self._emit("history")


def _touching_groups(tiles: List[Rect]) -> List[Rect]:
    """The bounding rects of the groups of touching (8-connected) history tiles."""
    if len(tiles) == 1:
        return tiles
    cells = [(r.y0 // TILE, r.x0 // TILE) for r in tiles]
    top, left = min(c[0] for c in cells), min(c[1] for c in cells)
    grid = np.zeros((max(c[0] for c in cells) - top + 1, max(c[1] for c in cells) - left + 1), np.uint8)
    for y, x in cells:
        grid[y - top, x - left] = 1
    _, labels = cv2.connectedComponents(grid, connectivity=8)
    groups: dict[int, Rect] = {}
    for (y, x), tile in zip(cells, tiles):
        label = int(labels[y - top, x - left])
        groups[label] = tile.union(groups.get(label))
    return list(groups.values())


class MaskStroke:
    """One brush or eraser drag: dabs along the pointer path, one undo step when it ends."""

    def __init__(self, doc: Document, diameter: float, hardness: float, erase: bool) -> None:
        self.doc = doc
        self.erase = erase
        self.dab = mask_ops.brush_dab(diameter, hardness)
        self._rec = EditRecorder("Erase" if erase else "Brush", doc._layers())
        self._last: Optional[tuple[float, float]] = None
        self.changed: Optional[Rect] = None

    def _reach(self, x: float, y: float) -> Rect:
        half = self.dab.shape[0] // 2 + 2
        p0 = self._last or (x, y)
        return Rect(int(min(p0[0], x)) - half, int(min(p0[1], y)) - half,
                    int(max(p0[0], x)) + half + 1, int(max(p0[1], y)) + half + 1)

    def move_to(self, x: float, y: float) -> Rect:
        """Extend the stroke to (x, y) in image pixels; returns the rectangle that changed."""
        self._rec.touch("mask", self._reach(x, y))
        start = self._last or (x, y)
        rect = mask_ops.stroke_segment(self.doc.mask, start, (x, y), self.dab, self.erase)
        if self._last is None:
            rect = rect.union(mask_ops.stamp(self.doc.mask, x, y, self.dab, self.erase))
        self._last = (x, y)
        if not rect.empty:
            self.changed = rect.union(self.changed)
            self.doc._emit("mask", rect)
        return rect

    def end(self) -> None:
        edit = self._rec.finish()
        self.doc.history.push(edit)
        self.doc._emit("history")
