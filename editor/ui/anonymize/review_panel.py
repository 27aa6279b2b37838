"""The review dock: every anonymized face before and after, its verification, a re-roll, then Apply or Discard.

Flagged faces (pixelated fallback, or no identity that passed verification) say so in amber with the reason, so
a person looks at them before anything is applied or exported.
"""

from __future__ import annotations

import html
from typing import List, Optional

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QMouseEvent
from PySide6.QtWidgets import (QDockWidget, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea,
                               QToolButton, QVBoxLayout, QWidget)

from editor.services.anonymize_service import AnonymizeResult
from editor.services.anonymize_types import (ANONYMIZED, FAILED, FALLBACK, UNCHANGED_NOTE, FaceOutcome,
                                             VerificationLimits)

from ..faces.panel import face_thumbnail

THUMB = 104
OK, BAD, FLAG = "#59c98a", "#ef6b5b", "#f0b35a"
STYLE = f"""
QFrame#faceCard {{ background: #25272b; border: 1px solid #34373c; border-radius: 8px; }}
QFrame#faceCard[flagged="true"] {{ border-color: #8a6a33; }}
QFrame#faceCard[focused="true"] {{ border-color: #4f7bc0; }}
QLabel {{ font-weight: normal; }}
QLabel#cardTitle {{ font-weight: 600; font-size: 14px; }}
QLabel#caption, QLabel#identity {{ color: #8d939c; font-size: 11px; }}
QLabel#chip {{ border-radius: 9px; padding: 2px 9px; font-weight: 600; font-size: 11px; color: #17191c; }}
QLabel#reviewSummary {{ font-weight: normal; color: #c4c8cf; }}
QLabel#reason {{ color: {FLAG}; font-size: 12px; }}
QPushButton {{ padding: 5px 12px; font-weight: normal; }}
QPushButton#applyButton {{ background: #2f6fd0; border: 1px solid #3b7de0; color: white; font-weight: 600;
                           border-radius: 5px; padding: 6px 16px; }}
QPushButton#applyButton:hover {{ background: #3b7de0; }}
QPushButton#applyButton:disabled {{ background: #34373c; border-color: #3d4046; color: #6b6f76; }}
"""


def status_text(outcome: FaceOutcome) -> tuple[str, str]:
    """The chip on a face card: (text, colour)."""
    if outcome.status == ANONYMIZED:
        return "Verified", OK
    if outcome.status == FAILED:
        return f"Flagged: {outcome.method}d, not verified", BAD
    return f"Flagged: {outcome.method}d", FLAG


def verification_lines(outcome: FaceOutcome, limits: VerificationLimits) -> List[tuple[str, Optional[bool]]]:
    """(text, passed) for each check of a face; passed is None where the check did not run."""
    check = outcome.check
    if check is None:
        return [("No new identity: the face was obscured instead", None)]
    lines: List[tuple[str, Optional[bool]]] = [
        ("Found again by the detector" if check.redetected else "Not found again by the detector",
         check.redetected)]
    # "Verified" means every recognizer sees another person: each one's distance and threshold is shown.
    for c in check.identity:
        lines.append((f"{c.label} distance {c.distance:.2f} (new person ≥ {c.threshold:.2f})", c.passed)
                     if c.distance is not None else (f"{c.label} distance: could not be measured", None))
    nme = check.landmark_nme
    lines.append((f"Landmark error {nme:.3f} (≤ {limits.max_nme:.2f})", nme <= limits.max_nme)
                 if nme is not None else ("Landmark error: could not be measured", None))
    return lines


def _mark(passed: Optional[bool]) -> str:
    return {True: f'<span style="color:{OK}">✓</span>', False: f'<span style="color:{BAD}">✗</span>',
            None: '<span style="color:#8d939c">–</span>'}[passed]


class FaceCard(QFrame):
    """One face of the result: before | after, the verification, and "New identity"."""

    reroll_requested = Signal(int)        # position in the result
    focused = Signal(int)                 # the face's index in the photo

    def __init__(self, position: int, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("faceCard")
        self.position = position
        self.outcome: Optional[FaceOutcome] = None
        self.title = QLabel()
        self.title.setObjectName("cardTitle")
        self.chip = QLabel()
        self.chip.setObjectName("chip")
        self.before = QLabel()
        self.after = QLabel()
        for thumb in (self.before, self.after):
            thumb.setFixedSize(THUMB, THUMB)
            thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
            thumb.setStyleSheet("background: #1b1c1f; border-radius: 4px;")
        self.checks = QLabel()
        self.checks.setTextFormat(Qt.TextFormat.RichText)
        self.checks.setWordWrap(True)
        self.reason = QLabel()
        self.reason.setObjectName("reason")
        self.reason.setWordWrap(True)
        self.identity = QLabel()
        self.identity.setObjectName("identity")
        self.identity.setWordWrap(True)
        self.reroll_button = QPushButton("New identity")
        self.reroll_button.clicked.connect(lambda: self.reroll_requested.emit(self.position))

        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.chip)
        thumbs = QGridLayout()
        thumbs.setHorizontalSpacing(8)
        thumbs.setVerticalSpacing(2)
        for col, (thumb, text) in enumerate(((self.before, "Before"), (self.after, "After"))):
            caption = QLabel(text)
            caption.setObjectName("caption")
            thumbs.addWidget(thumb, 0, col)
            thumbs.addWidget(caption, 1, col, Qt.AlignmentFlag.AlignHCenter)
        thumbs.setColumnStretch(2, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.identity, 1)
        foot.addWidget(self.reroll_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addLayout(thumbs)
        layout.addWidget(self.checks)
        layout.addWidget(self.reason)
        layout.addLayout(foot)

    def show_outcome(self, result: AnonymizeResult, limits: VerificationLimits) -> None:
        o = result.outcomes[self.position]
        face = result.faces[self.position]
        self.outcome = o
        self.title.setText(f"Face {o.index + 1}")
        text, colour = status_text(o)
        self.chip.setText(text)
        self.chip.setStyleSheet(f"background: {colour};")
        self.before.setPixmap(face_thumbnail(result.source, face, THUMB))
        self.after.setPixmap(face_thumbnail(result.image, face, THUMB))
        self.checks.setText("<br>".join(f"{_mark(ok)}&nbsp; {line}" for line, ok in verification_lines(o, limits)))
        self.reason.setText(o.reasons[-1] if o.flagged and o.reasons else "")
        self.reason.setVisible(o.flagged and bool(o.reasons))
        self.identity.setText(f"identity {o.identity} · seed {o.seed}" if o.identity else f"seed {o.seed}")
        self.reroll_button.setEnabled(self.can_reroll)
        self.reroll_button.setToolTip("Replace this face with another synthetic identity (the others stay)"
                                      if self.can_reroll else "Too small or without landmarks for a new identity: "
                                      "it is obscured whatever the seed")
        self.setProperty("flagged", o.flagged)
        self.style().unpolish(self)
        self.style().polish(self)

    @property
    def can_reroll(self) -> bool:
        """A face obscured because it is too small or has no landmarks gets the same fallback with any seed."""
        return self.outcome is not None and self.outcome.status != FALLBACK

    def set_focused(self, focused: bool) -> None:
        self.setProperty("focused", focused)
        self.style().unpolish(self)
        self.style().polish(self)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.outcome is not None:
            self.focused.emit(self.outcome.index)
        super().mousePressEvent(event)


class AnonymizeReviewPanel(QDockWidget):
    """Shows the result under review; the controller does the work behind its signals."""

    reroll_requested = Signal(int)
    apply_requested = Signal()
    discard_requested = Signal()
    face_focused = Signal(object)         # face index in the photo

    def __init__(self, compare: QAction, parent: Optional[QWidget] = None) -> None:
        super().__init__("Review anonymization", parent)
        self.setObjectName("anonymizeReview")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.result: Optional[AnonymizeResult] = None
        self.cards: List[FaceCard] = []

        self.summary = QLabel()
        self.summary.setObjectName("reviewSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        compare_button = QToolButton()
        compare_button.setDefaultAction(compare)
        compare_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        compare_button.setIconSize(QSize(18, 18))
        compare_button.setToolTip("Compare the whole photo before and after (or hold \\)")
        self.compare_button = compare_button
        self.card_box = QVBoxLayout()
        self.card_box.setSpacing(8)
        self.card_box.setContentsMargins(0, 0, 4, 0)
        inner = QWidget()
        outer = QVBoxLayout(inner)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self.card_box)
        outer.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Leave the photo as it is")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setObjectName("applyButton")
        self.apply_button.setToolTip("Write the new faces into the photo (one undo step)")
        self.apply_button.setDefault(True)
        self.discard_button.clicked.connect(self.discard_requested)
        self.apply_button.clicked.connect(self.apply_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(compare_button)
        buttons.addStretch(1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.apply_button)

        body = QWidget()
        body.setStyleSheet(STYLE)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.setWidget(body)

    def show_result(self, result: AnonymizeResult) -> None:
        self.result = result
        while self.cards:
            card = self.cards.pop()
            self.card_box.removeWidget(card)
            card.deleteLater()
        for position in range(len(result.outcomes)):
            card = FaceCard(position)
            card.reroll_requested.connect(self.reroll_requested)
            card.focused.connect(self.focus_face)
            self.card_box.addWidget(card)
            self.cards.append(card)
            card.show_outcome(result, result.options.limits)
        self._show_summary()

    def update_face(self, result: AnonymizeResult, position: int) -> None:
        self.result = result
        self.cards[position].show_outcome(result, result.options.limits)
        self._show_summary()

    def focus_face(self, index: int) -> None:
        for card in self.cards:
            card.set_focused(card.outcome is not None and card.outcome.index == index)
        self.face_focused.emit(index)

    def set_busy(self, busy: bool) -> None:
        for widget in (self.apply_button, self.discard_button):
            widget.setEnabled(not busy)
        for card in self.cards:
            card.reroll_button.setEnabled(not busy and card.can_reroll)

    def _show_summary(self) -> None:
        outcomes = self.result.outcomes
        flagged = sum(o.flagged for o in outcomes)
        verified = len(outcomes) - flagged
        text = f"<b>{verified} of {len(outcomes)}</b> face{'s' if len(outcomes) != 1 else ''} verified as a new " \
               "identity."
        if flagged:
            text += (f'<br><span style="color:{FLAG}">{flagged} flagged for review</span>: look at '
                     f"{'it' if flagged == 1 else 'them'}, try a new identity, or confirm on export.")
        self.summary.setText(f"{text}<br>{html.escape(UNCHANGED_NOTE)}<br>Nothing changes in the photo until you "
                             "Apply.")
