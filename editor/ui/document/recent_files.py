"""Most-recently-used photos, kept in QSettings, shown as File > Open Recent."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, List, Optional

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QMenu

MAX_RECENT = 10
KEY = "recentFiles"


class RecentFiles(QObject):
    changed = Signal()
    pruned = Signal(list)              # paths dropped because the files are gone

    def __init__(self, settings: Optional[QSettings] = None) -> None:
        super().__init__()
        self._settings = settings if settings is not None else QSettings()

    def paths(self) -> List[str]:
        value = self._settings.value(KEY, [])
        if isinstance(value, str):          # QSettings gives a bare string for a one-item list
            value = [value]
        return [str(v) for v in value or []]

    def _store(self, paths: List[str]) -> None:
        self._settings.setValue(KEY, paths[:MAX_RECENT])
        self._settings.sync()
        self.changed.emit()

    def add(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        self._store([p] + [q for q in self.paths() if q != p])

    def remove(self, path: str) -> None:
        self._store([q for q in self.paths() if q != path])

    def clear(self) -> None:
        self._store([])

    def prune(self) -> List[str]:
        """Drop entries whose file no longer exists; returns them."""
        paths = self.paths()
        gone = [p for p in paths if not Path(p).is_file()]
        if gone:
            self._store([p for p in paths if p not in gone])
            self.pruned.emit(gone)
        return gone

    def populate(self, menu: QMenu, open_path: Callable[[str], None]) -> None:
        """Fill `menu` with one entry per file (numbered for keyboard access) and 'Clear Menu'."""
        menu.clear()
        paths = self.paths()
        for i, path in enumerate(paths):
            label = f"&{i + 1} {Path(path).name}" if i < 9 else f"1&0 {Path(path).name}"
            action = menu.addAction(label)
            action.setStatusTip(path)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: open_path(p))
        if not paths:
            menu.addAction("No recent photos").setEnabled(False)
            return
        menu.addSeparator()
        menu.addAction("Clear Menu").triggered.connect(self.clear)
