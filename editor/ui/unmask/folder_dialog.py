"""File › Remove Face Masks in Folder: the batch of `veil unmask` with a window.

Photos and folders in, an output folder (the tree is kept), the engine and parallel jobs. Resumable like the CLI:
the JSON report in the output folder records every finished photo, and running again skips them.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtWidgets import QComboBox, QWidget

from editor.services.inpainting import available_engines
from editor.services.unmask_batch import unmask_paths
from editor.services.unmask_service import DEFAULT_UNMASK_ENGINE, ESTIMATE_NOTICE

from ..common.batch_dialog import BatchDialog

JOB_LABEL = "Removing face masks"


class BatchUnmaskDialog(BatchDialog):
    def __init__(self, parent: Optional[QWidget]) -> None:
        super().__init__(parent, title="Remove face masks in a folder", what="to remove face masks from",
                         output_placeholder="Where the unmasked copies and the report go",
                         run_text="Remove Face Masks", job_label=JOB_LABEL,
                         jobs_tooltip="Photos done at the same time (each in its own process)",
                         stopped_text="Stopped. The photos already done are recorded in the report: run again with "
                                      "the same output folder to continue.",
                         review_text="Done: look at the photos listed in the report without a mask found or failed.")
        self.engine_combo = QComboBox()
        for name, label in available_engines():
            self.engine_combo.addItem(label, name)
        self.engine_combo.setCurrentIndex(self.engine_combo.findData(DEFAULT_UNMASK_ENGINE))
        self.engine_combo.setToolTip("A run is resumed only with the same engine")
        self.form.addRow("Engine:", self.engine_combo)
        self.form.addRow("Parallel jobs:", self.jobs_spin)
        self.finish_layout("Every photo is written to the output folder, its EXIF and colour profile kept; photos "
                           "where no face mask is found are copied unchanged and listed in the report. "
                           + ESTIMATE_NOTICE + " A stopped run continues where it stopped.")
        self.update_enabled()

    def update_enabled(self) -> None:
        super().update_enabled()
        self.engine_combo.setEnabled(not self.busy)

    def summary_text(self, s: dict) -> str:
        text = (f"{s['files']} photo{'s' if s['files'] != 1 else ''} · {s['masks_removed']} face masks removed in "
                f"{s['unmasked']} photos")
        if s["no_mask"] or s["no_face"]:
            text += f" · {s['no_mask'] + s['no_face']} without a mask found, copied unchanged (check them)"
        if s["errors"]:
            text += f" · {s['errors']} could not be read or written"
        return text

    def run(self) -> None:
        inputs, engine, jobs = self.input_paths(), self.engine_combo.currentData(), self.jobs_spin.value()
        self.run_batch(lambda outdir, ctx: unmask_paths(inputs, outdir, engine=engine, jobs=jobs, ctx=ctx))
