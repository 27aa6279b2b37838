"""The tool bar: tools, brush size and hardness, undo/redo, mask operations with their radius, engine and Fill."""

from __future__ import annotations

import math
from typing import Iterable, Optional, Tuple

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QSizePolicy, QSlider, QSpinBox, QToolBar, QToolButton,
                               QWidget)

from ..actions import Actions
from .tools import MAX_SIZE, MIN_SIZE, BrushSettings

SLIDER_STEPS = 1000


def _size_to_slider(size: float) -> int:
    """Brush size on a log scale: 1-20 px gets as much of the slider as 200-2000 px."""
    t = math.log(size / MIN_SIZE) / math.log(MAX_SIZE / MIN_SIZE)
    return int(round(t * SLIDER_STEPS))


def _slider_to_size(value: int) -> float:
    return round(MIN_SIZE * (MAX_SIZE / MIN_SIZE) ** (value / SLIDER_STEPS))


def _labelled(text: str, *widgets: QWidget) -> QWidget:
    box = QWidget()
    box.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
    layout = QHBoxLayout(box)
    layout.setContentsMargins(6, 0, 6, 0)
    layout.setSpacing(6)
    label = QLabel(text)
    label.setObjectName("toolLabel")
    layout.addWidget(label)
    for w in widgets:
        layout.addWidget(w)
    return box


class ToolOptionsBar(QToolBar):
    def __init__(self, actions: Actions, settings: BrushSettings, engines: Iterable[Tuple[str, str]],
                 default_engine: str, parent: Optional[QWidget] = None) -> None:
        super().__init__("Tool options", parent)
        self.setObjectName("toolOptions")
        self.setMovable(False)
        self.setIconSize(QSize(22, 22))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self._settings = settings

        self.tool_group = QActionGroup(self)
        for name in ("brush", "eraser"):
            self.tool_group.addAction(actions[name])
            self.addAction(actions[name])
        actions.brush.setChecked(True)
        self.addSeparator()

        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(0, SLIDER_STEPS)
        self.size_slider.setFixedWidth(100)
        self.size_spin = QSpinBox()
        self.size_spin.setRange(int(MIN_SIZE), int(MAX_SIZE))
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Brush size ([ and ])")
        self.size_slider.setToolTip("Brush size ([ and ])")
        self.addWidget(_labelled("Size", self.size_slider, self.size_spin))

        self.hardness_slider = QSlider(Qt.Orientation.Horizontal)
        self.hardness_slider.setRange(0, 100)
        self.hardness_slider.setFixedWidth(80)
        self.hardness_slider.setToolTip("Brush hardness (Shift+[ and Shift+])")
        self.hardness_value = QLabel()
        self.hardness_value.setMinimumWidth(36)
        self.addWidget(_labelled("Hardness", self.hardness_slider, self.hardness_value))
        self.addSeparator()

        self.addAction(actions.undo)
        self.addAction(actions.redo)
        self.addSeparator()

        self.radius_spin = QSpinBox()
        self.radius_spin.setRange(1, 200)
        self.radius_spin.setValue(8)
        self.radius_spin.setSuffix(" px")
        self.radius_spin.setToolTip("Radius used by Grow, Shrink and Feather")
        self.addWidget(_labelled("Radius", self.radius_spin))
        for name in ("grow_mask", "shrink_mask", "feather_mask", "invert_mask", "clear_mask"):
            self.addAction(actions[name])
        self.addSeparator()

        self.engine_combo = QComboBox()
        self.engine_combo.setToolTip("Inpainting engine used by Fill. Face model + FSR: the learned face "
                                     "inpainter where the mask lies on a face, FSR (fast) elsewhere")
        # A bounded width keeps the bar within a 1400 px window whatever the engines' labels; the open list shows
        # them whole.
        self.engine_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.engine_combo.setMinimumContentsLength(12)
        for name, label in engines:
            self.engine_combo.addItem(label, name)
        index = self.engine_combo.findData(default_engine)
        self.engine_combo.setCurrentIndex(max(0, index))
        self.addWidget(_labelled("Engine", self.engine_combo))
        actions.inpaint.setIconText("Fill")       # short label on the button; menus keep the full text
        fill_button = QToolButton()
        fill_button.setDefaultAction(actions.inpaint)
        fill_button.setObjectName("fillButton")
        fill_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.fill_button = fill_button
        self.addWidget(fill_button)

        self.size_slider.valueChanged.connect(lambda v: settings.set_size(_slider_to_size(v)))
        self.size_spin.valueChanged.connect(lambda v: settings.set_size(float(v)))
        self.hardness_slider.valueChanged.connect(lambda v: settings.set_hardness(v / 100.0))
        settings.changed.connect(self._show_settings)
        self._show_settings()

    @property
    def radius(self) -> int:
        return self.radius_spin.value()

    @property
    def engine(self) -> str:
        return str(self.engine_combo.currentData())

    def _show_settings(self) -> None:
        s = self._settings
        for widget, value in ((self.size_slider, _size_to_slider(s.size)), (self.size_spin, int(round(s.size))),
                              (self.hardness_slider, int(round(s.hardness * 100)))):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        self.hardness_value.setText(f"{int(round(s.hardness * 100))}%")
