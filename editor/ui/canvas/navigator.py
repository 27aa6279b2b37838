"""Navigator dock: the whole photo small, with the canvas's visible area outlined; click or drag to move there."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QDockWidget, QSizePolicy, QWidget

from .canvas import Canvas

MARGIN = 10.0


class NavigatorView(QWidget):
    def __init__(self, canvas: Canvas, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        canvas.view_changed.connect(self.update)

    def _photo_rect(self) -> Optional[QRectF]:
        doc = self.canvas.doc
        if doc is None:
            return None
        avail_w, avail_h = self.width() - 2 * MARGIN, self.height() - 2 * MARGIN
        scale = min(avail_w / doc.width, avail_h / doc.height)
        w, h = doc.width * scale, doc.height * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def on_document_event(self, event: str, rect: object) -> None:
        if event == "image":
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(33, 35, 38))
        target = self._photo_rect()
        if target is None:
            p.setPen(QColor(110, 115, 122))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No photo")
            return
        doc = self.canvas.doc
        image, level = self.canvas.display_image(target.width() / doc.width)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(target, image, QRectF(image.rect()))

        # Dim what the canvas does not show, outline what it does.
        visible = self._to_nav(self.canvas.visible_image_rect(), target).intersected(target)
        if visible.contains(target):
            return
        shade = QPainterPath()
        shade.addRect(target)
        hole = QPainterPath()
        hole.addRect(visible)
        p.fillPath(shade.subtracted(hole), QColor(0, 0, 0, 120))
        p.setPen(QPen(QColor(90, 160, 255), 2))
        p.drawRect(visible.adjusted(1, 1, -1, -1))

    def _to_nav(self, r: QRectF, target: QRectF) -> QRectF:
        s = target.width() / self.canvas.doc.width
        return QRectF(target.x() + r.x() * s, target.y() + r.y() * s, r.width() * s, r.height() * s)

    def _jump(self, pos: QPointF) -> None:
        target = self._photo_rect()
        if target is None:
            return
        s = target.width() / self.canvas.doc.width
        self.canvas.center_on(QPointF((pos.x() - target.x()) / s, (pos.y() - target.y()) / s))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._jump(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._jump(event.position())


class NavigatorPanel(QDockWidget):
    def __init__(self, canvas: Canvas, parent: Optional[QWidget] = None) -> None:
        super().__init__("Navigator", parent)
        self.setObjectName("navigatorPanel")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.view = NavigatorView(canvas)
        self.setWidget(self.view)
