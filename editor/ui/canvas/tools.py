"""Canvas tools: small classes turning pointer events (in image pixels) into document edits."""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import QObject, QPointF, QRectF, Signal

from editor.core.document import Document, MaskStroke
from editor.core.geometry import Rect

SIZE_STEP = 1.25          # `[` / `]` scale the brush like other editors do (geometric, not +-1 px)
MIN_SIZE, MAX_SIZE = 1.0, 2000.0


class BrushSettings(QObject):
    """Size (diameter, image pixels) and hardness (0..1) shared by the brush and the eraser."""

    changed = Signal()

    def __init__(self, size: float = 40.0, hardness: float = 0.7) -> None:
        super().__init__()
        self._size = size
        self._hardness = hardness

    @property
    def size(self) -> float:
        return self._size

    @property
    def hardness(self) -> float:
        return self._hardness

    def set_size(self, size: float) -> None:
        size = float(min(MAX_SIZE, max(MIN_SIZE, size)))
        if size != self._size:
            self._size = size
            self.changed.emit()

    def set_hardness(self, hardness: float) -> None:
        hardness = float(min(1.0, max(0.0, hardness)))
        if hardness != self._hardness:
            self._hardness = hardness
            self.changed.emit()

    def bigger(self) -> None:
        self.set_size(max(self._size + 1, round(self._size * SIZE_STEP)))

    def smaller(self) -> None:
        self.set_size(min(self._size - 1, round(self._size / SIZE_STEP)))


class BrushTool:
    """Paints the selection mask; one drag (press, moves, release in image pixels) is one undo step."""

    name = "brush"
    label = "Brush"
    erase = False
    shows_brush = True          # the canvas draws the brush outline as the cursor

    def __init__(self, settings: BrushSettings) -> None:
        self.settings = settings
        self._stroke: Optional[MaskStroke] = None

    @property
    def active(self) -> bool:
        return self._stroke is not None

    def press(self, doc: Document, pos: QPointF) -> None:
        self._stroke = doc.begin_stroke(self.settings.size, self.settings.hardness, erase=self.erase)
        self._stroke.move_to(pos.x(), pos.y())

    def move(self, doc: Document, pos: QPointF) -> None:
        if self._stroke is not None:
            self._stroke.move_to(pos.x(), pos.y())

    def release(self, doc: Document) -> None:
        if self._stroke is not None:
            stroke, self._stroke = self._stroke, None
            stroke.end()


class EraserTool(BrushTool):
    """Removes from the selection mask with the same tip as the brush."""

    name = "eraser"
    label = "Eraser"
    erase = True


class FaceBoxTool:
    """Draws a box around a face the detector missed; on release `on_box(rect)` gets it in image pixels.

    The document is not edited here: the anonymize controller finds the face in the box and lists it.
    """

    name = "face_box"
    label = "Add Face"
    shows_brush = False

    def __init__(self, on_box: Callable[[Rect], None]) -> None:
        self._on_box = on_box
        self._start: Optional[QPointF] = None
        self._end: Optional[QPointF] = None

    @property
    def active(self) -> bool:
        return self._start is not None

    @property
    def box(self) -> Optional[QRectF]:
        """The box being drawn, in image pixels (None when not dragging)."""
        if self._start is None or self._end is None:
            return None
        return QRectF(self._start, self._end).normalized()

    def press(self, doc: Document, pos: QPointF) -> None:
        self._start = self._end = QPointF(pos)

    def move(self, doc: Document, pos: QPointF) -> None:
        if self._start is not None:
            self._end = QPointF(pos)

    def release(self, doc: Document) -> None:
        box = self.box
        self._start = self._end = None
        if box is None:
            return
        rect = Rect(int(box.left()), int(box.top()), int(box.right() + 0.5), int(box.bottom() + 0.5))
        rect = rect.clip(doc.width, doc.height)
        if not rect.empty:
            self._on_box(rect)
