"""The photo view: paints the visible part of the photo, the mask tint and the faces; routes the pointer.

Painting never copies the photo or the mask: it draws from QImages over the document's numpy buffers (or a
half-size level when zoomed out) and only the exposed region; a mask edit repaints only its dirty rectangle.
"""

from __future__ import annotations

import math
from typing import Optional

from PySide6.QtCore import QPointF, QRect, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import (QColor, QCursor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen,
                           QResizeEvent, QWheelEvent)
from PySide6.QtWidgets import QWidget

import numpy as np

from editor.core.document import Document
from editor.core.geometry import Rect

from .display_pyramid import DisplayPyramid
from .face_painter import paint_faces
from .image_bridge import MaskOverlay
from .tools import BrushSettings, BrushTool
from .view_transform import ZOOM_STEP, ViewTransform

BACKGROUND = QColor(30, 31, 34)
EMPTY_INK = QColor(90, 94, 102)


class Canvas(QWidget):
    view_changed = Signal(float)           # scale; on every zoom, pan, resize and before/after switch
    cursor_moved = Signal(object)          # QPointF in image pixels, or None when off the photo

    def __init__(self, settings: BrushSettings, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(320, 240)
        self.view = ViewTransform()
        self.settings = settings
        settings.changed.connect(self.update)
        self.doc: Optional[Document] = None
        self.tool: Optional[BrushTool] = None
        self.read_only = False
        self.show_original = False
        self.highlighted_face: Optional[int] = None
        self._photo: Optional[DisplayPyramid] = None
        self._before: Optional[DisplayPyramid] = None
        self._preview: Optional[DisplayPyramid] = None     # a result under review, shown instead of the photo
        self._overlay: Optional[MaskOverlay] = None
        self._pan_key = False
        self._pan_from: Optional[QPointF] = None
        self._hover: Optional[QPointF] = None
        self._empty_state: Optional[QWidget] = None

    # -- document ------------------------------------------------------------------------------------
    def set_empty_state(self, widget: QWidget) -> None:
        """The widget shown in the middle while there is no photo (how to open one); the canvas owns it."""
        self._empty_state = widget
        widget.setParent(self)
        self._place_empty_state()

    def _place_empty_state(self) -> None:
        if self._empty_state is None:
            return
        w = min(460, self.width() - 40)
        h = self._empty_state.heightForWidth(w) if self._empty_state.hasHeightForWidth() else -1
        h = max(h, self._empty_state.sizeHint().height())
        self._empty_state.setGeometry((self.width() - w) // 2, (self.height() - h) // 2, w, h)
        self._empty_state.setVisible(self.doc is None)

    def set_document(self, doc: Optional[Document]) -> None:
        self.end_stroke()
        self.doc = doc
        self._place_empty_state()
        self.highlighted_face = None
        self._preview = None
        self._photo = DisplayPyramid(doc.image) if doc else None
        self._before = DisplayPyramid(doc.original) if doc and self.show_original else None  # else on demand
        self._overlay = MaskOverlay(doc.mask) if doc else None
        if doc is not None:
            self._overlay.update(doc.mask)
        self.zoom_fit()
        self._update_cursor()

    def on_document_event(self, event: str, rect: Optional[Rect]) -> None:
        if self.doc is None:
            return
        if event == "mask":
            self._overlay.update(self.doc.mask, rect)
            self._update_image_rect(rect)
        elif event == "image":
            self._photo.refresh(rect)
            self._update_image_rect(rect)
        elif event == "faces":
            if self.highlighted_face is not None and self.highlighted_face >= len(self.doc.faces):
                self.highlighted_face = None
            self.update()

    def _update_image_rect(self, rect: Optional[Rect]) -> None:
        if rect is None:
            self.update()
            return
        r = self.view.rect_to_widget(QRectF(rect.x0, rect.y0, rect.width, rect.height))
        self.update(r.toAlignedRect().adjusted(-2, -2, 2, 2))

    # -- state set by the window ---------------------------------------------------------------------------
    def set_tool(self, tool: BrushTool) -> None:
        self.end_stroke()
        self.tool = tool
        self.update()

    def set_read_only(self, read_only: bool) -> None:
        """While a job reads the document, the pointer may zoom and pan but not edit."""
        self.end_stroke()
        self.read_only = read_only
        self._update_cursor()
        outline = self._outline_rect()      # only the brush outline depends on it: no whole-photo repaint
        if outline is not None:
            self.update(outline)

    def set_show_original(self, show: bool) -> None:
        if show == self.show_original:
            return
        self.show_original = show
        if show and self.doc is not None and self._before is None:
            self._before = DisplayPyramid(self.doc.original)
        self._view_changed()

    def set_preview(self, pixels: Optional[np.ndarray]) -> None:
        """Show `pixels` (same size as the photo, not yet applied) in place of the photo; None shows the photo.

        While previewing, Before/After compares the preview with the photo as it stands."""
        self._preview = DisplayPyramid(pixels) if pixels is not None and self.doc is not None else None
        self._view_changed()

    @property
    def previewing(self) -> bool:
        return self._preview is not None

    def set_highlighted_face(self, index: Optional[int]) -> None:
        self.highlighted_face = index
        self.update()

    def set_pan_key(self, held: bool) -> None:
        self._pan_key = held
        if not held:
            self._pan_from = None
        self._update_cursor()
        self.update()

    def end_stroke(self) -> None:
        if self.tool is not None and self.tool.active and self.doc is not None:
            self.tool.release(self.doc)

    # -- zoom ------------------------------------------------------------------------------------------------
    @property
    def scale(self) -> float:
        return self.view.scale

    def _center(self) -> QPointF:
        return QPointF(self.width() / 2, self.height() / 2)

    def zoom_by(self, factor: float, anchor: Optional[QPointF] = None) -> None:
        if self.doc is None:
            return
        self.view.zoom_about(anchor if anchor is not None else self._center(), factor)
        self._view_changed()

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    def zoom_actual(self) -> None:
        if self.doc is None:
            return
        self.view.set_scale(1.0, self._center())
        self._view_changed()

    def zoom_fit(self) -> None:
        if self.doc is not None:
            self.view.fit(QSizeF(self.doc.width, self.doc.height), QSizeF(self.size()))
        self._view_changed()

    def center_on(self, image_point: QPointF) -> None:
        """Pan so that `image_point` is in the middle of the canvas (the navigator's click)."""
        c = self._center()
        self.view.pan(c.x() - self.view.to_widget(image_point).x(), c.y() - self.view.to_widget(image_point).y())
        self._view_changed()

    def visible_image_rect(self) -> QRectF:
        """The part of the image plane the canvas shows, in image pixels (may extend past the photo)."""
        return self.view.rect_to_image(QRectF(self.rect()))

    def display_image(self, scale: float) -> tuple[Optional[QImage], int]:
        """The photo as shown (after, or before while comparing) at `scale`, and its pyramid level."""
        if self._preview is not None:
            pyramid = self._photo if self.show_original else self._preview
        else:
            pyramid = self._before if self.show_original else self._photo
        return pyramid.level_for(scale) if pyramid is not None else (None, 0)

    def _view_changed(self) -> None:
        self.update()
        if self.doc is not None:
            self.view_changed.emit(self.view.scale)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._place_empty_state()
        if self.view.fitted:
            self.zoom_fit()
        elif self.doc is not None:
            self.view_changed.emit(self.view.scale)       # same zoom, but a different visible area
        super().resizeEvent(event)

    # -- pointer ---------------------------------------------------------------------------------------------
    def _image_pos(self, event_pos: QPointF) -> QPointF:
        return self.view.to_image(event_pos)

    def _can_paint(self) -> bool:
        return self.doc is not None and self.tool is not None and not self.read_only and not self._pan_key

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self.doc is not None and (event.button() == Qt.MouseButton.MiddleButton
                                     or (event.button() == Qt.MouseButton.LeftButton and self._pan_key)):
            self._pan_from = pos
            self._update_cursor()
        elif event.button() == Qt.MouseButton.LeftButton and self._can_paint():
            self.tool.press(self.doc, self._image_pos(pos))
        else:
            super().mousePressEvent(event)
            return
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._pan_from is not None:
            self.view.pan(pos.x() - self._pan_from.x(), pos.y() - self._pan_from.y())
            self._pan_from = pos
            self._view_changed()
        elif self.tool is not None and self.tool.active and self.doc is not None:
            self.tool.move(self.doc, self._image_pos(pos))
            if not self.tool.shows_brush:
                self.update()               # a box being drawn
        self._set_hover(pos)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton,
                                                             Qt.MouseButton.LeftButton):
            self._pan_from = None
            self._update_cursor()
        elif event.button() == Qt.MouseButton.LeftButton:
            self.end_stroke()
            if self.tool is not None and not self.tool.shows_brush:
                self.update()
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps and self.doc is not None:
            self.zoom_by(ZOOM_STEP ** steps, event.position())
        event.accept()

    def leaveEvent(self, event) -> None:
        self._set_hover(None)
        super().leaveEvent(event)

    def _set_hover(self, pos: Optional[QPointF]) -> None:
        old = self._outline_rect()
        self._hover = pos
        new = self._outline_rect()
        for r in (old, new):
            if r is not None:
                self.update(r)
        if pos is None or self.doc is None:
            self.cursor_moved.emit(None)
        else:
            p = self.view.to_image(pos)
            inside = 0 <= p.x() < self.doc.width and 0 <= p.y() < self.doc.height
            self.cursor_moved.emit(p if inside else None)

    def _outline_rect(self) -> Optional[QRect]:
        if self._hover is None:
            return None
        r = self.settings.size * self.view.scale / 2 + 3
        return QRectF(self._hover.x() - r, self._hover.y() - r, 2 * r, 2 * r).toAlignedRect()

    def _update_cursor(self) -> None:
        if self.doc is None:
            self.setCursor(Qt.CursorShape.ArrowCursor)
        elif self._pan_from is not None:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif self._pan_key:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        elif self.read_only:
            self.setCursor(Qt.CursorShape.BusyCursor)
        elif self.tool is not None and not self.tool.shows_brush:
            self.setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.setCursor(QCursor(Qt.CursorShape.BlankCursor))   # the brush outline is the cursor

    # -- painting --------------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(event.rect(), BACKGROUND)
        if self.doc is None:
            self._paint_empty_state(p)
            return
        src = self._exposed_source(QRectF(event.rect()))
        if src is not None:
            self._paint_photo(p, src)
        if not self.show_original:
            paint_faces(p, self.doc.faces, self.view, self.highlighted_face)
            if self._preview is not None:
                self._paint_badge(p, "Preview: not applied yet")
        else:
            self._paint_badge(p, "Before")
        box = getattr(self.tool, "box", None)
        if box is not None:
            self._paint_drawn_box(p, self.view.rect_to_widget(box))
        if self._can_paint() and self._hover is not None and self.tool.shows_brush:
            self._paint_brush_outline(p, self._hover)

    def _paint_drawn_box(self, p: QPainter, box: QRectF) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setBrush(QColor(255, 255, 255, 28))
        p.setPen(QPen(QColor(0, 0, 0, 170), 3))
        p.drawRect(box)
        p.setPen(QPen(QColor(255, 255, 255, 235), 1.5, Qt.PenStyle.DashLine))
        p.drawRect(box)

    def _exposed_source(self, exposed: QRectF) -> Optional[QRect]:
        """The whole-pixel part of the photo under the exposed widget area (None when off the photo)."""
        r = self.view.rect_to_image(exposed)
        x0, y0 = max(0, math.floor(r.left()) - 1), max(0, math.floor(r.top()) - 1)
        x1, y1 = min(self.doc.width, math.ceil(r.right()) + 1), min(self.doc.height, math.ceil(r.bottom()) + 1)
        if x1 <= x0 or y1 <= y0:
            return None
        return QRect(x0, y0, x1 - x0, y1 - y0)

    def _paint_photo(self, p: QPainter, src: QRect) -> None:
        scale = self.view.scale
        target = self.view.rect_to_widget(QRectF(src))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1.0)
        image, level = self.display_image(scale)
        f = 1.0 / (1 << level)
        p.drawImage(target, image, QRectF(src.x() * f, src.y() * f, src.width() * f, src.height() * f))
        overlay = self._overlay.image
        if overlay is not None and not self.show_original:
            # Zoomed out, smooth sampling of the full-resolution mask costs ~5x more (12 ms at 24 MP) and a
            # translucent tint shows no difference: sample the nearest mask pixel.
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale >= 0.5)
            p.drawImage(target, overlay, QRectF(src))
        frame = self.view.rect_to_widget(QRectF(0, 0, self.doc.width, self.doc.height))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(QPen(QColor(0, 0, 0, 140), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(frame.adjusted(-1, -1, 0, 0))

    def _paint_brush_outline(self, p: QPainter, pos: QPointF) -> None:
        radius = max(1.5, self.settings.size * self.view.scale / 2)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(0, 0, 0, 170), 3))
        p.drawEllipse(pos, radius, radius)
        p.setPen(QPen(QColor(255, 255, 255, 230), 1.2))
        p.drawEllipse(pos, radius, radius)
        if self.settings.hardness < 0.95 and radius > 6:     # inner ring: where the soft edge starts
            inner = radius * max(0.15, self.settings.hardness)
            p.setPen(QPen(QColor(255, 255, 255, 110), 1, Qt.PenStyle.DotLine))
            p.drawEllipse(pos, inner, inner)
        p.setPen(QPen(QColor(255, 255, 255, 230), 1))
        p.drawLine(QPointF(pos.x() - 3, pos.y()), QPointF(pos.x() + 3, pos.y()))
        p.drawLine(QPointF(pos.x(), pos.y() - 3), QPointF(pos.x(), pos.y() + 3))

    def _paint_badge(self, p: QPainter, text: str) -> None:
        font = QFont(self.font())
        font.setPixelSize(13)
        font.setBold(True)
        p.setFont(font)
        w = p.fontMetrics().horizontalAdvance(text) + 24
        badge = QRectF(14, 14, w, 26)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 170))
        p.drawRoundedRect(badge, 13, 13)
        p.setPen(QColor(240, 240, 240))
        p.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_empty_state(self, p: QPainter) -> None:
        """A dashed drop zone around the empty-state widget (or the middle of the canvas without one)."""
        if self._empty_state is not None:
            box = QRectF(self._empty_state.geometry())
        else:
            box = QRectF(0, 0, min(460.0, self.width() - 40.0), 190.0)
            box.moveCenter(QPointF(self.width() / 2, self.height() / 2))
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(EMPTY_INK, 2, Qt.PenStyle.DashLine))
        p.setBrush(QColor(255, 255, 255, 8))
        p.drawRoundedRect(box.adjusted(1, 1, -1, -1), 14, 14)
