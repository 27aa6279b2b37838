"""Recover sealed originals: notice when an opened photo carries recovery data, and open the recover dialog.

`check(path)` runs after a photo opens and enables the "Recover Originals…" action only when the file (or its
`.veil` sidecar) carries a payload. The dialog (recover_dialog.py) restores all or chosen regions and writes the
photo losslessly; `recovered(path)` then asks the window to open it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from editor.services.vault_service import SealInfo, VaultService

from ..common.jobs import JobRunner
from .recover_dialog import Inspection, RecoverDialog, inspect_quietly

SYNC_CHECK_BYTES = 8 << 20      # smaller files are inspected at once (a few ms); bigger ones in a worker


class RecoverController(QObject):
    """Owns the "Recover Originals…" action (pass the window's own QAction, or one is made) and its dialog."""

    recovered = Signal(Path)            # the restored photo, written: open it
    checked = Signal(object)            # SealInfo of the photo just checked, or None
    status_message = Signal(str)

    def __init__(self, parent: QWidget, service: VaultService, runner: JobRunner,
                 action: Optional[QAction] = None) -> None:
        super().__init__(parent)
        self._parent = parent
        self.service = service
        self._runner = runner
        if action is None:
            action = QAction("Recover Originals…", parent)
            action.setStatusTip("Restore the sealed original regions of this photo with your recovery key")
        self.action = action
        self.action.setEnabled(False)
        self.action.triggered.connect(lambda _=False: self.open_dialog())
        self.path: Optional[Path] = None
        self.info: Optional[SealInfo] = None
        self._pending: Optional[Path] = None

    def check(self, path: Optional[str | Path]) -> Optional[SealInfo]:
        """Whether the photo at `path` carries sealed originals (None: no photo). Big files are read in a worker:
        the answer then comes with `checked` and this returns None."""
        self.path = self.info = None
        self.action.setEnabled(False)
        self._pending = Path(path) if path is not None else None
        if path is None:
            return self._apply(None, (None, None))
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError:      # an unsaved or vanished file carries nothing
            return self._apply(path, (None, None))
        if size <= SYNC_CHECK_BYTES:
            return self._apply(path, inspect_quietly(self.service, path))
        service = self.service
        self._runner.submit(f"Looking for sealed originals in {path.name}",
                            lambda ctx: inspect_quietly(service, path),
                            lambda result: self._apply(path, result) if self._pending == path else None)
        return None

    def _apply(self, path: Optional[Path], result: Inspection) -> Optional[SealInfo]:
        info, problem = result
        self.path, self.info = (path, info) if info is not None else (None, None)
        self.action.setEnabled(info is not None)
        message = problem
        if info is not None:
            n, command = len(info.regions), self.action.text().replace("&", "")
            whom = (f'the key "{info.key_label}"' if info.version == 1 else
                    f"{len(info.keyholders)} keyholder{'s' if len(info.keyholders) != 1 else ''}")
            message = (f"This photo carries the sealed originals of {n} region{'s' if n != 1 else ''} for {whom}; "
                       f"{command} restores them.")
        if message:
            # After the current event: a check run while a photo opens must not be hidden by "Opened …".
            QTimer.singleShot(0, lambda: self.status_message.emit(message))
        self.checked.emit(info)
        return info

    def open_dialog(self) -> Optional[RecoverDialog]:
        """Show the recover dialog for the checked photo: window-modal, returns at once; it deletes itself when
        closed."""
        if self.path is None or self.info is None:
            return None
        dialog = RecoverDialog(self._parent, self.service, self.path, self.info)
        dialog.recovered.connect(self.recovered)
        dialog.open()
        return dialog
