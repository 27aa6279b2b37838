"""The bundle puts every model of models/manifest.json where the frozen app looks for it.

PyInstaller copies each (source, destination folder) pair of the spec's datas to sys._MEIPASS/<folder>/<file name>.
These tests lay installer/bundle_contents.py's datas out the same way in a temporary folder, make the process look
frozen there (the two attributes PyInstaller's bootloader sets) and run the GUI's own start-up model check on it:
so the expected places come from editor.runtime, not from a list here. Fast, and PyInstaller need not be installed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path, PurePosixPath

import pytest

from editor.runtime import models as runtime_models
from editor.ui.settings.startup_checks import model_problems

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bundle_contents(monkeypatch):
    # A None entry makes `import PyInstaller...` fail: the module and the lists it builds must not need it.
    monkeypatch.setitem(sys.modules, "PyInstaller", None)
    spec = importlib.util.spec_from_file_location("bundle_contents", REPO_ROOT / "installer" / "bundle_contents.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def frozen_model_problems(datas, meipass: Path, monkeypatch) -> list[str]:
    """Lay `datas` out as PyInstaller does, look frozen with sys._MEIPASS there, and return what the start-up
    check reports (one sentence per manifest model that is missing or corrupt)."""
    for source, folder in datas:
        target = meipass / folder / Path(source).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source)           # the locator stats and hashes through it, as through a copy
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(meipass), raising=False)
    monkeypatch.delenv(runtime_models.ENV_MODELS_DIR, raising=False)
    # Otherwise the check would read the checkout's models/ and pass whatever the datas hold.
    assert runtime_models.models_dir().is_relative_to(meipass)
    return model_problems()


def test_every_manifest_model_and_notice_is_where_the_frozen_app_looks(bundle_contents, tmp_path, monkeypatch):
    meipass = tmp_path / "_internal"
    assert frozen_model_problems(bundle_contents.file_datas(), meipass, monkeypatch) == []
    shipped = runtime_models.load_manifest()              # the bundle's copy, as the frozen app reads it
    assert shipped == json.loads((REPO_ROOT / "models" / "manifest.json").read_text(encoding="utf-8"))
    notices = {row["notice"] for row in shipped["models"].values() if row.get("notice")}
    assert notices and all((runtime_models.models_dir() / notice).is_file() for notice in notices)


def test_files_flattened_into_models_are_reported_missing(bundle_contents, tmp_path, monkeypatch):
    # The layout the bundle once had: every manifest file straight in models/, whatever its sub-path.
    flat = [(source, "models" if folder.startswith("models") else folder)
            for source, folder in bundle_contents.file_datas()]
    problems = frozen_model_problems(flat, tmp_path / "_internal", monkeypatch)
    rows = json.loads((REPO_ROOT / "models" / "manifest.json").read_text(encoding="utf-8"))["models"].values()
    in_subfolders = [row["file"] for row in rows if PurePosixPath(row["file"]).parent != PurePosixPath(".")]
    assert in_subfolders, "the manifest has no model in a subfolder any more; this test shows nothing"
    assert len(problems) == len(in_subfolders)
    for file in in_subfolders:
        assert any(f"(models/{file}) is missing" in problem for problem in problems), problems


def _write_model_folder(models: Path, file: str, notice: str) -> None:
    """A models folder whose manifest lists one model at `file` (with a notice), both present."""
    data = b"stand-in weights " * 64
    (models / file).parent.mkdir(parents=True, exist_ok=True)
    (models / file).write_bytes(data)
    (models / notice).parent.mkdir(parents=True, exist_ok=True)
    (models / notice).write_text("Licence of the new model.\n", encoding="utf-8")
    (models / "MODEL_CARD.md").write_text("# Models\n", encoding="utf-8")
    row = {"file": file, "label": "new", "notice": notice, "sha256": hashlib.sha256(data).hexdigest(),
           "bytes": len(data)}
    (models / "manifest.json").write_text(json.dumps({"version": 1, "models": {"new": row}}), encoding="utf-8")


def test_a_new_model_in_a_deeper_folder_needs_no_spec_change(bundle_contents, tmp_path, monkeypatch):
    models = tmp_path / "models"
    _write_model_folder(models, "new/deeper/new.onnx", "new/NOTICE.md")
    datas = bundle_contents.model_datas(models)
    assert frozen_model_problems(datas, tmp_path / "_internal", monkeypatch) == []
    assert (runtime_models.models_dir() / "new" / "NOTICE.md").is_file()


def test_the_check_bites_when_the_datas_leave_a_manifest_model_out(bundle_contents, tmp_path, monkeypatch):
    models = tmp_path / "models"
    _write_model_folder(models, "new/deeper/new.onnx", "new/NOTICE.md")
    datas = [d for d in bundle_contents.model_datas(models) if not d[0].endswith("new.onnx")]
    problems = frozen_model_problems(datas, tmp_path / "_internal", monkeypatch)
    assert problems == ["The new model (models/new/deeper/new.onnx) is missing; reinstall Veil."]


def test_a_manifest_file_missing_from_models_stops_the_build(bundle_contents, tmp_path):
    models = tmp_path / "models"
    _write_model_folder(models, "new/deeper/new.onnx", "new/NOTICE.md")
    (models / "new" / "deeper" / "new.onnx").unlink()
    with pytest.raises(SystemExit, match=r"lacks new/deeper/new\.onnx, listed in its manifest\.json"):
        bundle_contents.model_datas(models)
