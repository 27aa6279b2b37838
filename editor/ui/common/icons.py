"""Small line icons drawn with QPainter, so the tool bar looks the same on every platform and theme."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable, Dict

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

SIZE = 64                         # drawn at 64 px, scaled down by Qt: crisp at 16-32 px and on HiDPI
INK = QColor(222, 226, 232)
ACCENT = QColor(235, 84, 72)      # the mask colour, used where an icon means "selection"

Painter = Callable[[QPainter], None]


def _pen(p: QPainter, color: QColor = INK, width: float = 5.0) -> None:
    pen = QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)


def _brush(p: QPainter) -> None:
    _pen(p)
    handle = QPainterPath(QPointF(52, 10))
    handle.lineTo(30, 32)
    p.drawPath(handle)
    tip = QPainterPath(QPointF(30, 26))
    tip.cubicTo(20, 24, 14, 34, 14, 42)
    tip.cubicTo(14, 48, 10, 52, 8, 54)
    tip.cubicTo(22, 56, 36, 48, 36, 36)
    tip.closeSubpath()
    p.setBrush(QBrush(ACCENT))
    p.drawPath(tip)


def _eraser(p: QPainter) -> None:
    _pen(p)
    p.translate(32, 32)
    p.rotate(-45)
    p.drawRoundedRect(QRectF(-24, -11, 48, 22), 4, 4)
    p.setBrush(QBrush(INK))
    p.drawRoundedRect(QRectF(-24, -11, 16, 22), 4, 4)
    p.resetTransform()
    p.drawLine(QPointF(30, 56), QPointF(56, 56))


def _arrow(p: QPainter, mirror: bool) -> None:
    if mirror:
        p.translate(SIZE, 0)
        p.scale(-1, 1)
    _pen(p)
    path = QPainterPath(QPointF(14, 26))
    path.cubicTo(24, 14, 48, 12, 54, 30)
    path.cubicTo(58, 42, 48, 52, 36, 52)
    p.drawPath(path)
    head = QPainterPath(QPointF(12, 12))
    head.lineTo(13, 27)
    head.lineTo(28, 28)
    p.drawPath(head)


def _fill(p: QPainter) -> None:
    _pen(p)
    p.drawLine(QPointF(10, 54), QPointF(38, 26))
    p.setPen(QPen(ACCENT, 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    for cx, cy, r in ((46, 18, 9), (24, 12, 5), (52, 40, 5)):
        p.drawLine(QPointF(cx - r, cy), QPointF(cx + r, cy))
        p.drawLine(QPointF(cx, cy - r), QPointF(cx, cy + r))


def _face(p: QPainter, color: QColor = INK) -> None:
    _pen(p, color)
    p.drawEllipse(QRectF(18, 14, 28, 36))
    p.setBrush(QBrush(color))
    p.drawEllipse(QPointF(27, 29), 1.5, 1.5)
    p.drawEllipse(QPointF(37, 29), 1.5, 1.5)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(26, 34, 12, 8), 200 * 16, 140 * 16)


def _detect(p: QPainter) -> None:
    _face(p)
    _pen(p, ACCENT, 4.5)
    for x, y, dx, dy in ((6, 6, 1, 1), (58, 6, -1, 1), (6, 58, 1, -1), (58, 58, -1, -1)):
        p.drawLine(QPointF(x, y), QPointF(x + 12 * dx, y))
        p.drawLine(QPointF(x, y), QPointF(x, y + 12 * dy))


def _mask_faces(p: QPainter) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(QColor(ACCENT.red(), ACCENT.green(), ACCENT.blue(), 150)))
    p.drawEllipse(QRectF(14, 10, 36, 44))
    _face(p)


def _invert(p: QPainter) -> None:
    _pen(p)
    p.drawEllipse(QRectF(10, 10, 44, 44))
    p.setBrush(QBrush(ACCENT))
    p.drawPie(QRectF(10, 10, 44, 44), 90 * 16, 180 * 16)


def _clear(p: QPainter) -> None:
    _pen(p)
    p.setPen(QPen(INK, 4.5, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap))
    p.drawRoundedRect(QRectF(8, 8, 48, 48), 6, 6)
    _pen(p, ACCENT, 5.5)
    p.drawLine(QPointF(22, 22), QPointF(42, 42))
    p.drawLine(QPointF(42, 22), QPointF(22, 42))


def _grow_shrink(p: QPainter, grow: bool) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(ACCENT))
    r = 10 if grow else 16
    p.drawEllipse(QPointF(32, 32), r, r)
    _pen(p, INK, 4.5)
    for angle in (45, 135, 225, 315):
        a = math.radians(angle)
        inner, outer = (20, 30) if grow else (30, 20)
        p.drawLine(QPointF(32 + inner * math.cos(a), 32 + inner * math.sin(a)),
                   QPointF(32 + outer * math.cos(a), 32 + outer * math.sin(a)))
        tip = QPointF(32 + outer * math.cos(a), 32 + outer * math.sin(a))
        back = -1 if grow else 1
        for side in (-0.6, 0.6):
            b = a + side
            p.drawLine(tip, QPointF(tip.x() + back * 7 * math.cos(b), tip.y() + back * 7 * math.sin(b)))


def _feather(p: QPainter) -> None:
    for i, alpha in enumerate((40, 80, 130, 200, 255)):
        c = QColor(ACCENT)
        c.setAlpha(alpha)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(c))
        r = 26 - i * 4
        p.drawEllipse(QPointF(32, 32), r, r)


def _magnifier(p: QPainter, sign: str) -> None:
    _pen(p)
    p.drawEllipse(QRectF(10, 10, 34, 34))
    p.drawLine(QPointF(39, 39), QPointF(55, 55))
    p.drawLine(QPointF(19, 27), QPointF(35, 27))
    if sign == "+":
        p.drawLine(QPointF(27, 19), QPointF(27, 35))


def _fit(p: QPainter) -> None:
    _pen(p)
    for x, y, dx, dy in ((8, 8, 1, 1), (56, 8, -1, 1), (8, 56, 1, -1), (56, 56, -1, -1)):
        p.drawLine(QPointF(x, y + 14 * dy), QPointF(x, y))
        p.drawLine(QPointF(x, y), QPointF(x + 14 * dx, y))
    p.drawRect(QRectF(20, 22, 24, 20))


def _actual(p: QPainter) -> None:
    _pen(p)
    font = p.font()
    font.setPixelSize(26)
    font.setBold(True)
    p.setFont(font)
    p.drawRoundedRect(QRectF(6, 12, 52, 40), 6, 6)
    p.drawText(QRectF(6, 12, 52, 40), Qt.AlignmentFlag.AlignCenter, "1:1")


def _compare(p: QPainter) -> None:
    _pen(p)
    p.drawRoundedRect(QRectF(8, 12, 48, 40), 5, 5)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(INK))
    p.drawRect(QRectF(32, 12, 22, 40))
    _pen(p, INK, 3)
    p.drawLine(QPointF(32, 6), QPointF(32, 58))


def _anonymize(p: QPainter) -> None:
    """A face with swap arrows: the identity is exchanged."""
    _face(p)
    _pen(p, ACCENT, 4.5)
    p.drawLine(QPointF(50, 10), QPointF(58, 18))
    p.drawLine(QPointF(58, 18), QPointF(50, 26))
    p.drawLine(QPointF(14, 38), QPointF(6, 46))
    p.drawLine(QPointF(6, 46), QPointF(14, 54))


def _add_face(p: QPainter) -> None:
    """A face inside a dashed box, with a plus: draw a box around a missed face."""
    _face(p)
    p.setPen(QPen(INK, 3.0, Qt.PenStyle.DashLine))
    p.drawRect(QRectF(8, 6, 48, 50))
    _pen(p, ACCENT, 5.0)
    p.drawLine(QPointF(52, 46), QPointF(52, 62))
    p.drawLine(QPointF(44, 54), QPointF(60, 54))


def _remove_face_mask(p: QPainter) -> None:
    """A face whose lower half is a mask being lifted off."""
    _face(p)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(QColor(ACCENT.red(), ACCENT.green(), ACCENT.blue(), 110)))
    p.drawRoundedRect(QRectF(14, 38, 36, 18), 6, 6)
    _pen(p, ACCENT, 4.0)
    p.drawLine(QPointF(14, 44), QPointF(6, 36))
    p.drawLine(QPointF(50, 44), QPointF(58, 36))


_PAINTERS: Dict[str, Painter] = {
    "brush": _brush,
    "eraser": _eraser,
    "undo": lambda p: _arrow(p, False),
    "redo": lambda p: _arrow(p, True),
    "fill": _fill,
    "detect": _detect,
    "mask_faces": _mask_faces,
    "invert": _invert,
    "clear": _clear,
    "grow": lambda p: _grow_shrink(p, True),
    "shrink": lambda p: _grow_shrink(p, False),
    "feather": _feather,
    "zoom_in": lambda p: _magnifier(p, "+"),
    "zoom_out": lambda p: _magnifier(p, "-"),
    "fit": _fit,
    "actual": _actual,
    "compare": _compare,
    "anonymize": _anonymize,
    "add_face": _add_face,
    "remove_face_masks": _remove_face_mask,
}


def _render(fn: Painter, dimmed: bool) -> QPixmap:
    pm = QPixmap(SIZE, SIZE)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    fn(p)
    p.end()
    if dimmed:
        faded = QPixmap(SIZE, SIZE)
        faded.fill(Qt.GlobalColor.transparent)
        p = QPainter(faded)
        p.setOpacity(0.35)
        p.drawPixmap(0, 0, pm)
        p.end()
        return faded
    return pm


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    """The named icon with a faded disabled state; needs a QGuiApplication."""
    ico = QIcon()
    ico.addPixmap(_render(_PAINTERS[name], False), QIcon.Mode.Normal)
    ico.addPixmap(_render(_PAINTERS[name], True), QIcon.Mode.Disabled)
    return ico


def names() -> list[str]:
    return list(_PAINTERS)
