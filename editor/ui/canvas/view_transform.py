"""Where the photo sits in the canvas: widget = image * scale + offset. Zoom, fit, 100% and pan as plain math."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSizeF
from PySide6.QtGui import QTransform

MIN_SCALE = 1 / 64
MAX_SCALE = 32.0
ZOOM_STEP = 1.25
FIT_MARGIN = 24.0        # widget pixels left around a fitted photo


class ViewTransform:
    def __init__(self) -> None:
        self.scale = 1.0
        self.offset = QPointF(0.0, 0.0)
        self.fitted = True        # follow the widget size until the user zooms or pans

    def to_image(self, p: QPointF) -> QPointF:
        return QPointF((p.x() - self.offset.x()) / self.scale, (p.y() - self.offset.y()) / self.scale)

    def to_widget(self, p: QPointF) -> QPointF:
        return QPointF(p.x() * self.scale + self.offset.x(), p.y() * self.scale + self.offset.y())

    def rect_to_widget(self, r: QRectF) -> QRectF:
        return QRectF(self.to_widget(r.topLeft()), self.to_widget(r.bottomRight()))

    def rect_to_image(self, r: QRectF) -> QRectF:
        return QRectF(self.to_image(r.topLeft()), self.to_image(r.bottomRight()))

    def qtransform(self) -> QTransform:
        return QTransform(self.scale, 0, 0, self.scale, self.offset.x(), self.offset.y())

    def zoom_about(self, anchor: QPointF, factor: float) -> None:
        """Scale by `factor` keeping the image point under `anchor` (widget coords) fixed."""
        fixed = self.to_image(anchor)
        self.scale = min(MAX_SCALE, max(MIN_SCALE, self.scale * factor))
        self.offset = QPointF(anchor.x() - fixed.x() * self.scale, anchor.y() - fixed.y() * self.scale)
        self.fitted = False

    def set_scale(self, scale: float, anchor: QPointF) -> None:
        self.zoom_about(anchor, scale / self.scale)

    def pan(self, dx: float, dy: float) -> None:
        self.offset = QPointF(self.offset.x() + dx, self.offset.y() + dy)
        self.fitted = False

    def fit(self, image: QSizeF, viewport: QSizeF) -> None:
        """Largest scale showing the whole photo, centred (like "Fit on Screen", it may enlarge a small photo)."""
        if image.isEmpty() or viewport.isEmpty():
            return
        avail_w = max(1.0, viewport.width() - 2 * FIT_MARGIN)
        avail_h = max(1.0, viewport.height() - 2 * FIT_MARGIN)
        self.scale = max(MIN_SCALE, min(avail_w / image.width(), avail_h / image.height()))
        self.offset = QPointF((viewport.width() - image.width() * self.scale) / 2,
                              (viewport.height() - image.height() * self.scale) / 2)
        self.fitted = True
