"""The recover dialog: which sealed regions to restore, where to write the photo (lossless), and progress.

It reads the payload again when it opens, so a key imported since the photo was checked is found, and says who
sealed the photo and why a region cannot be restored (no key of its keyholders, or a refused sealer).
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from editor.core.errors import VeilError
from editor.services.vault_service import RecoverResult, SealInfo, VaultService
from editor.services.vault_types import NoPayloadError, show_fingerprint

from ..common.job_dialog import JobDialog
from .keys_dialog import created_text

LOSSLESS_FILTER = "Lossless images (*.png *.tif *.tiff *.webp)"

Inspection = Tuple[Optional[SealInfo], Optional[str]]


def inspect_quietly(service: VaultService, path: Path) -> Inspection:
    """(what the payload says, None); (None, None) when there is none; (None, why) when it cannot be read."""
    try:
        return service.inspect(path), None
    except NoPayloadError:
        return None, None
    except VeilError as e:
        return None, str(e)


def missing_key_text(info: SealInfo) -> str:
    if info.version >= 2:
        names = ", ".join(f'"{h.label}" ({show_fingerprint(h.key_id)})' for h in info.keyholders)
        return (f"This photo was sealed for {names}; none of their private keys is in your keyring (a recipient's "
                "public key seals but cannot restore), so only one of those keyholders can restore it.")
    return (f'This photo was sealed for the recovery key "{info.key_label}" (id {info.key_id}), which is not in '
            "your keyring; import it with Recovery Keys… and try again.")


def sealer_text(info: SealInfo) -> str:
    """Who sealed the photo, as this keyring sees it ("" for format 1, which names no sealer)."""
    if info.sealer is None:
        return ""
    sentence = info.sealer.sentence()
    return sentence[0].upper() + sentence[1:] + ("" if sentence.endswith(".") else ".")


def region_text(region) -> str:
    r, kind = region.rect, "Face" if region.kind == "face" else "Region"
    return f"{kind} {region.index}: {r.width} × {r.height} px at ({r.x0}, {r.y0})"


def free_recovered_path(path: Path) -> Path:
    """`<name>-recovered.png` beside the photo, numbered so that an earlier recovery is not replaced."""
    candidate = path.with_name(f"{path.stem}-recovered.png")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-recovered-{n}.png")
        n += 1
    return candidate


def ask_recover_path(parent: Optional[QWidget], suggested: str) -> Optional[str]:
    path, _ = QFileDialog.getSaveFileName(parent, "Save the recovered photo as", suggested, LOSSLESS_FILTER)
    return path or None


class RecoverDialog(JobDialog):
    """Which regions to restore, where to write the photo (lossless), and progress."""

    recovered = Signal(Path)

    def __init__(self, parent: Optional[QWidget], service: VaultService, path: Path, info: SealInfo) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recover originals")
        self.service = service
        self.path = path
        self.info = info
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.sealer_label = QLabel()
        self.sealer_label.setWordWrap(True)
        self.sealer_label.setObjectName("sealerInfo")
        self.sealer_label.hide()
        self.key_problem = QLabel()
        self.key_problem.setWordWrap(True)
        self.key_problem.setObjectName("keyProblem")
        self.key_problem.hide()
        self.all_check = QCheckBox("All regions")
        self.all_check.setChecked(True)
        self.all_check.toggled.connect(self._set_all)
        self.region_list = QListWidget()
        self.region_list.itemChanged.connect(self._on_item_changed)
        self.output_edit = QLineEdit(str(free_recovered_path(path)))
        self.output_edit.setMinimumWidth(380)
        self.output_edit.setToolTip("PNG, TIFF or WebP (lossless), so the restored pixels stay exact")
        self.output_edit.textChanged.connect(self.update_enabled)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        out_row = QHBoxLayout()
        out_row.addWidget(QLabel("Save as:"))
        out_row.addWidget(self.output_edit, 1)
        out_row.addWidget(browse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.recover_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.recover_button.setText("Recover")
        self.buttons.accepted.connect(self.recover)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.sealer_label)
        layout.addWidget(self.key_problem)
        layout.addWidget(self.all_check)
        layout.addWidget(self.region_list, 1)
        layout.addLayout(out_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(520, 380)
        self._show_info(info)
        # The key may have been imported since the photo was opened: read the payload (and keyring) again.
        self.run_job("Reading the recovery data", lambda ctx: inspect_quietly(service, path), self._refreshed)

    # -- state -------------------------------------------------------------------------------------------------------
    def _show_info(self, info: SealInfo) -> None:
        self.info = info
        n, when = len(info.regions), created_text(info.created)
        where = "its .veil sidecar" if info.source != self.path else "the file"
        whom = (f'the recovery key "{info.key_label}"' if info.version == 1 else
                ", ".join(f'"{h.label}"' for h in info.keyholders))
        self.summary.setText(f"{self.path.name} carries the sealed originals of {n} region{'s' if n != 1 else ''} "
                             f"in {where}, sealed {when} for {whom}.")
        self.sealer_label.setText(sealer_text(info))
        self.sealer_label.setVisible(bool(info.sealer))
        refused = info.sealer is not None and info.sealer.refused
        self.key_problem.setText(sealer_text(info) if refused else missing_key_text(info))
        self.key_problem.setVisible(refused or not info.key_available)
        self.region_list.blockSignals(True)
        self.region_list.clear()
        for region in info.regions:
            item = QListWidgetItem(region_text(region))
            item.setData(Qt.ItemDataRole.UserRole, region.index)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if self.all_check.isChecked() else Qt.CheckState.Unchecked)
            self.region_list.addItem(item)
        self.region_list.blockSignals(False)
        self.update_enabled()

    def _refreshed(self, result) -> None:
        info, problem = result
        if info is not None:
            self._show_info(info)
        elif problem:
            self.key_problem.setText(problem)
            self.key_problem.show()

    def _items(self) -> List[QListWidgetItem]:
        return [self.region_list.item(i) for i in range(self.region_list.count())]

    def chosen(self) -> List[int]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self._items()
                if item.checkState() == Qt.CheckState.Checked]

    def set_chosen(self, indices: List[int]) -> None:
        for item in self._items():
            checked = item.data(Qt.ItemDataRole.UserRole) in indices
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def _set_all(self, checked: bool) -> None:
        self.set_chosen([r.index for r in self.info.regions] if checked else [])

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        self.all_check.blockSignals(True)
        self.all_check.setChecked(len(self.chosen()) == self.region_list.count())
        self.all_check.blockSignals(False)
        self.update_enabled()

    def update_enabled(self) -> None:
        ready = (not self.busy and self.info.key_available and self.key_problem.isHidden() and bool(self.chosen())
                 and bool(self.output_edit.text().strip()))
        self.recover_button.setEnabled(ready)

    # -- commands --------------------------------------------------------------------------------------------------
    def _browse(self) -> None:
        path = ask_recover_path(self, self.output_edit.text())
        if path:
            self.output_edit.setText(path)

    def recover(self) -> None:
        """Restore the chosen regions in a worker; on success emit `recovered` and close."""
        chosen = self.chosen()
        text = self.output_edit.text().strip()
        if not chosen or not text:
            return
        out = Path(text).expanduser()
        faces = None if len(chosen) == self.region_list.count() else chosen
        service, path = self.service, self.path

        def done(result: RecoverResult) -> None:
            self.recovered.emit(result.path)
            self.accept()

        self.run_job(f"Recovering {path.name}", lambda ctx: service.recover(path, out, faces=faces, ctx=ctx), done)
