"""A dark Fusion look, the same on every platform: photo editors use a neutral dark frame so colours read true."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

WINDOW = QColor(43, 45, 49)
BASE = QColor(33, 35, 38)
TEXT = QColor(222, 225, 230)
DIM = QColor(135, 140, 148)
ACCENT = QColor(64, 140, 235)

STYLE_SHEET = """
QMainWindow::separator { background: #1e1f22; width: 1px; height: 1px; }
QToolBar { background: #2b2d31; border: none; border-bottom: 1px solid #1e1f22; padding: 4px 6px; spacing: 4px; }
QToolBar::separator { background: #3d4046; width: 1px; margin: 4px 8px; }
QToolButton { border: 1px solid transparent; border-radius: 5px; padding: 4px; color: #dee1e6; }
QToolButton:hover { background: #393c42; border-color: #45484f; }
QToolButton:checked { background: #3a4a63; border-color: #4f7bc0; }
QToolButton:disabled { color: #6b6f76; }
QToolButton#fillButton { background: #2f6fd0; border-color: #3b7de0; color: white; font-weight: 600;
                         padding: 4px 12px; }
QToolButton#fillButton:hover { background: #3b7de0; }
QToolButton#fillButton:disabled { background: #34373c; border-color: #3d4046; color: #6b6f76; }
QDockWidget QToolButton { background: #34373c; border: 1px solid #3f4248; padding: 6px 10px; font-weight: normal;
                          text-align: left; }
QDockWidget QToolButton:hover { background: #3c4046; border-color: #4a4e55; }
QToolButton#cancelJob { background: #34373c; border: 1px solid #45484f; padding: 1px 10px; }
QToolButton#cancelJob:hover { background: #3c4046; }
QLabel#toolLabel { color: #9aa0a8; }
QDockWidget { color: #dee1e6; font-weight: 600; }
QDockWidget::title { background: #2b2d31; padding: 7px 10px; border-bottom: 1px solid #1e1f22; }
QListWidget { background: #212326; border: 1px solid #1e1f22; border-radius: 6px; padding: 4px;
              font-weight: normal; }
QListWidget::item { padding: 6px 4px; border-radius: 5px; }
QListWidget::item:selected { background: #34465f; color: white; }
QListWidget::item:hover:!selected { background: #2c2f34; }
QLabel#panelSummary { color: #9aa0a8; font-weight: normal; }
QLabel#emptyHint { color: #7c818a; font-weight: normal; }
QLabel#emptyTitle { color: #d7dae0; font-size: 22px; font-weight: 600; }
QLabel#emptyBody { color: #969ba5; font-size: 14px; }
QToolButton#emptyButton { background: #34373c; border: 1px solid #45484f; padding: 6px 14px; }
QToolButton#emptyButton:hover { background: #3c4046; border-color: #4f7bc0; }
QLabel#deviceWarning, QLabel#keyringProblem, QLabel#manifestProblem { color: #f0b35a; }
QLabel#settingsNote { color: #9aa0a8; }
QStatusBar { background: #25272b; color: #b5bac2; border-top: 1px solid #1e1f22; }
QStatusBar QLabel { color: #b5bac2; padding: 0 10px; border-left: 1px solid #35383d; }
QStatusBar::item { border: none; }
QProgressBar { background: #1d1f22; border: 1px solid #3d4046; border-radius: 4px; max-height: 10px; }
QProgressBar::chunk { background: #3b7de0; border-radius: 3px; }
QMenuBar { background: #2b2d31; border-bottom: 1px solid #1e1f22; }
QMenuBar::item { padding: 4px 10px; background: transparent; }
QMenuBar::item:selected { background: #393c42; border-radius: 4px; }
QMenu { background: #2b2d31; border: 1px solid #1e1f22; padding: 4px; }
QMenu::item { padding: 5px 28px 5px 24px; border-radius: 4px; }
QMenu::item:selected { background: #34465f; }
QMenu::separator { height: 1px; background: #3d4046; margin: 4px 8px; }
QSlider::groove:horizontal { height: 4px; background: #1d1f22; border-radius: 2px; }
QSlider::sub-page:horizontal { background: #3b7de0; border-radius: 2px; }
QSlider::handle:horizontal { background: #dee1e6; width: 12px; height: 12px; margin: -5px 0; border-radius: 6px; }
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, WINDOW), (QPalette.ColorRole.WindowText, TEXT),
        (QPalette.ColorRole.Base, BASE), (QPalette.ColorRole.AlternateBase, WINDOW),
        (QPalette.ColorRole.Text, TEXT), (QPalette.ColorRole.Button, QColor(52, 55, 60)),
        (QPalette.ColorRole.ButtonText, TEXT), (QPalette.ColorRole.ToolTipBase, QColor(25, 26, 28)),
        (QPalette.ColorRole.ToolTipText, TEXT), (QPalette.ColorRole.Highlight, ACCENT),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)), (QPalette.ColorRole.Link, ACCENT),
        (QPalette.ColorRole.PlaceholderText, DIM), (QPalette.ColorRole.BrightText, QColor(255, 90, 90)),
    ):
        pal.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(105, 109, 116))
    app.setPalette(pal)
    app.setStyleSheet(STYLE_SHEET)
