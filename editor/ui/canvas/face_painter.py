"""Draw detected faces over the photo: box, five landmarks and the face number (included green, excluded grey)."""

from __future__ import annotations

from typing import Optional, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen

from editor.core.faces import Face

from .view_transform import ViewTransform

INCLUDED = QColor(72, 214, 120)
EXCLUDED = QColor(150, 154, 160)
HIGHLIGHT = QColor(120, 240, 160)


def face_color(face: Face, highlighted: bool) -> QColor:
    if not face.included:
        return EXCLUDED
    return HIGHLIGHT if highlighted else INCLUDED


def paint_faces(p: QPainter, faces: Sequence[Face], view: ViewTransform, highlighted: Optional[int]) -> None:
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont(p.font())
    font.setPixelSize(12)
    font.setBold(True)
    p.setFont(font)
    for i, face in enumerate(faces):
        _paint_face(p, i, face, view, highlighted == i)
    p.restore()


def _paint_face(p: QPainter, index: int, face: Face, view: ViewTransform, highlighted: bool) -> None:
    color = face_color(face, highlighted)
    box = view.rect_to_widget(QRectF(*face.box))
    pen = QPen(color, 3.0 if highlighted else 2.0)
    if not face.included:
        pen.setStyle(Qt.PenStyle.DashLine)
    if highlighted:                      # a soft halo outside the box keeps the face itself unobscured
        halo = QColor(color)
        halo.setAlpha(70)
        p.setPen(QPen(halo, 7.0))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(box.adjusted(-3, -3, 3, 3))
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(box)

    radius = 3.5 if highlighted else 3.0
    p.setPen(QPen(QColor(20, 20, 20, 200), 1.0))
    p.setBrush(QBrush(color))
    for x, y in face.landmarks5:
        p.drawEllipse(view.to_widget(QPointF(float(x), float(y))), radius, radius)

    # Number tag sitting on the top-left corner, outside the face.
    text = str(index + 1)
    w = max(20.0, p.fontMetrics().horizontalAdvance(text) + 10.0)
    tag = QRectF(box.left() - pen.widthF() / 2, box.top() - 20.0, w, 20.0)
    if tag.top() < 0:
        tag.moveTop(box.top())
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(color))
    p.drawRoundedRect(tag, 3, 3)
    p.setPen(QColor(16, 20, 18))
    p.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)
