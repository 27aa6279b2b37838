"""Line icons of the anonymize commands, in the style of icons.py (same ink, accent and renderer)."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPen

from . import icons


def _anonymize(p: QPainter) -> None:
    """A face whose right half is a different one: the identity swap."""
    icons._face(p)
    p.setPen(QPen(icons.ACCENT, 4.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.drawLine(QPointF(50, 10), QPointF(58, 18))
    p.drawLine(QPointF(58, 18), QPointF(50, 26))
    p.drawLine(QPointF(14, 38), QPointF(6, 46))
    p.drawLine(QPointF(6, 46), QPointF(14, 54))


def _add_face(p: QPainter) -> None:
    """A face inside a dashed box, with a plus: draw a box around a missed face."""
    icons._face(p)
    p.setPen(QPen(icons.INK, 3.0, Qt.PenStyle.DashLine))
    p.drawRect(QRectF(8, 6, 48, 50))
    p.setPen(QPen(icons.ACCENT, 5.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.drawLine(QPointF(52, 46), QPointF(52, 62))
    p.drawLine(QPointF(44, 54), QPointF(60, 54))


_PAINTERS = {"anonymize": _anonymize, "add_face": _add_face}


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    ico = QIcon()
    ico.addPixmap(icons._render(_PAINTERS[name], False), QIcon.Mode.Normal)
    ico.addPixmap(icons._render(_PAINTERS[name], True), QIcon.Mode.Disabled)
    return ico


def names() -> list[str]:
    return list(_PAINTERS)
