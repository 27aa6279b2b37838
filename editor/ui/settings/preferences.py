"""The user's preferences, kept in QSettings: brush, device, default recovery key and export profile.

Recent files live in the same QSettings (document/recent_files.py). Every value is checked when read, so a
hand-edited or stale settings file gives the default rather than an error.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QObject, QSettings, Signal

from editor.services.runtime_setup import PREFERENCES

from ..canvas.tools import MAX_SIZE, MIN_SIZE

BRUSH_SIZE, BRUSH_HARDNESS = "brush/size", "brush/hardness"
DEVICE, DEFAULT_KEY, EXPORT_PROFILE = "runtime/device", "vault/defaultKey", "export/profile"
ANONYMIZE_STRENGTH = "anonymize/strength"
DEFAULTS = {BRUSH_SIZE: 40.0, BRUSH_HARDNESS: 0.7, DEVICE: "auto", EXPORT_PROFILE: "retouch",
            ANONYMIZE_STRENGTH: "standard"}
STRENGTH_LABELS = {
    "standard": "Standard: new identity, same pose, expression and landmarks",
    "strong": "Strong: the face shape and eyes change too (high-risk publication)",
}
EXPORT_PROFILES = (
    ("retouch", "Retouch: keep EXIF, colour profile and camera data"),
    ("privacy", "Privacy: strip GPS, EXIF and personal metadata"),
)
DEVICE_LABELS = {"auto": "Auto (GPU when available)", "cpu": "CPU", "cuda": "GPU (CUDA)"}


def _number(value: object, default: float, low: float, high: float) -> float:
    try:
        number = float(value)       # INI files give strings back
    except (TypeError, ValueError):
        return default
    return min(high, max(low, number)) if number == number else default     # NaN -> default


class Preferences(QObject):
    """Typed access to the settings; `changed(key)` after each change made through it."""

    changed = Signal(str)

    def __init__(self, settings: QSettings, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)        # a child of the window: dialogs find it with findChild(Preferences)
        self.settings = settings

    def _set(self, key: str, value: object) -> None:
        if self.settings.value(key) == value:
            return
        self.settings.setValue(key, value)
        self.changed.emit(key)

    def _choice(self, key: str, allowed) -> str:
        value = self.settings.value(key, DEFAULTS[key])
        return value if value in allowed else DEFAULTS[key]

    @property
    def brush_size(self) -> float:
        return _number(self.settings.value(BRUSH_SIZE), DEFAULTS[BRUSH_SIZE], MIN_SIZE, MAX_SIZE)

    @brush_size.setter
    def brush_size(self, size: float) -> None:
        self._set(BRUSH_SIZE, float(size))

    @property
    def brush_hardness(self) -> float:
        return _number(self.settings.value(BRUSH_HARDNESS), DEFAULTS[BRUSH_HARDNESS], 0.0, 1.0)

    @brush_hardness.setter
    def brush_hardness(self, hardness: float) -> None:
        self._set(BRUSH_HARDNESS, round(float(hardness), 3))

    @property
    def device(self) -> str:
        """ "auto", "cpu" or "cuda"."""
        return self._choice(DEVICE, PREFERENCES)

    @device.setter
    def device(self, preference: str) -> None:
        if preference not in PREFERENCES:
            raise ValueError(f"unknown device preference {preference!r}")
        self._set(DEVICE, preference)

    @property
    def export_profile(self) -> str:
        """ "retouch" or "privacy": the metadata profile Export starts with."""
        return self._choice(EXPORT_PROFILE, [key for key, _ in EXPORT_PROFILES])

    @export_profile.setter
    def export_profile(self, profile: str) -> None:
        if profile not in [key for key, _ in EXPORT_PROFILES]:
            raise ValueError(f"unknown export profile {profile!r}")
        self._set(EXPORT_PROFILE, profile)

    @property
    def anonymize_strength(self) -> str:
        """ "standard" or "strong": how far Anonymize moves a face from the original."""
        return self._choice(ANONYMIZE_STRENGTH, STRENGTH_LABELS)

    @anonymize_strength.setter
    def anonymize_strength(self, strength: str) -> None:
        if strength not in STRENGTH_LABELS:
            raise ValueError(f"unknown anonymize strength {strength!r}")
        self._set(ANONYMIZE_STRENGTH, strength)

    @property
    def default_key(self) -> Optional[str]:
        """Id of the recovery key that sealing offers first, or None to ask each time."""
        value = self.settings.value(DEFAULT_KEY)
        return str(value) if value else None

    @default_key.setter
    def default_key(self, key_id: Optional[str]) -> None:
        if key_id:
            self._set(DEFAULT_KEY, str(key_id))
        elif self.settings.contains(DEFAULT_KEY):
            self.settings.remove(DEFAULT_KEY)
            self.changed.emit(DEFAULT_KEY)

    def sync(self) -> None:
        self.settings.sync()
