"""The built models as they would ship: the work folder's models/ tree with its manifest rows and the model
card's tables, the sha256 of every shipped file beside the manifest's, and `--install` into models/."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from editor.core.atomic import atomic_path, atomic_write_bytes
from editor.core.files import file_sha256

from .bank_stages import BANK_FILES
from .card_tables import card_tables
from .data_stages import YUNET_FILE, code
from .judge_stages import DLIB_FILE
from .model_stages import INPAINTER_FILE, SEGMENTER_FILE
from .runner import Context, Stage
from .stamps import RecipeError

TABLES = "model_card_tables.md"


def built_files(ctx: Context) -> dict[str, Path]:
    """Each file of the build (a path relative to models/) and the stage output it is copied from."""
    work = ctx.work
    files = {YUNET_FILE: work / "detector" / YUNET_FILE,
             SEGMENTER_FILE: work / "export" / SEGMENTER_FILE, INPAINTER_FILE: work / "export" / INPAINTER_FILE,
             "recognizers.json": work / "recognizers" / "recognizers.json",
             DLIB_FILE: work / "dlib_recognizer" / DLIB_FILE,
             **{f"identities/{name}": work / "bank_extend" / name for name in BANK_FILES}}
    if ctx.settings["facenet"]["convert"]:
        files["facenet.onnx"] = work / "facenet" / "facenet.onnx"
    return files


def copy_atomic(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def make_models(ctx: Context, folder: Path) -> None:
    from models.training.evaluate import write_manifest_metrics
    from models.training.manifest import update_manifest

    for name, source in built_files(ctx).items():
        copy_atomic(source, folder / name)
    manifest = folder / "manifest.json"
    copy_atomic(ctx.repo / "models" / "manifest.json", manifest)
    for key, row in json.loads((ctx.work / "export" / "rows.json").read_text()).items():
        update_manifest(manifest, key, row)
    evaluation = json.loads((ctx.work / "evaluate" / "metrics.json").read_text())
    write_manifest_metrics(evaluation, manifest)
    recognizers = json.loads((folder / "recognizers.json").read_text())
    rows = json.loads(manifest.read_text())["models"]
    for key, row in rows.items():
        path = folder / row["file"]
        if path.is_file() and key != "yunet":
            update_manifest(manifest, key, {"sha256": file_sha256(path), "bytes": path.stat().st_size})
    judged = recognizers["recognizers"]
    update_manifest(manifest, "recognizer_thresholds", {"metrics": {
        name: {"threshold": judged[name]["threshold"],
               "train_balanced_accuracy": judged[name]["train"]["balanced_accuracy"],
               **({"validation_balanced_accuracy": judged[name]["validation"]["balanced_accuracy"]}
                  if "validation" in judged[name] else {})}
        for name in ("dlib", "facenet")}})
    facenet_metrics = {k: judged["facenet"][k] for k in ("threshold", "train", "validation") if k in judged["facenet"]}
    update_manifest(manifest, "facenet", {"metrics": {**rows["facenet"].get("metrics", {}), **facenet_metrics}})
    record = json.loads((folder / "identities" / "build_record.json").read_text())
    atomic_write_bytes(folder / TABLES, card_tables(evaluation, recognizers, record).encode())


def models_outputs(ctx: Context) -> list[Path]:
    folder = ctx.folder("models")
    return [folder / name for name in built_files(ctx)] + [folder / "manifest.json", folder / TABLES]


MANIFEST = Stage(
    "manifest", "assemble the built models with their manifest rows and the model card tables", make_models,
    models_outputs,
    lambda ctx: list(built_files(ctx).values()) + [
        ctx.work / "export" / "rows.json", ctx.work / "evaluate" / "metrics.json",
        ctx.repo / "models" / "manifest.json"] + code(ctx, ["models/training/manifest.py",
                                                            "models/training/recipe/card_tables.py"]),
    folder="models")


@dataclass(frozen=True)
class FileCheck:
    file: str            # relative to models/
    built: str | None    # sha256 of the built file, None when this build does not make it
    manifest: str        # sha256 in models/manifest.json
    verdict: str


def sha256_report(ctx: Context) -> list[FileCheck]:
    """Every file models/manifest.json lists, the built file's sha256 beside the manifest's."""
    shipped = json.loads((ctx.repo / "models" / "manifest.json").read_text())["models"]
    built_dir = ctx.folder("models")
    checks = []
    for key, row in shipped.items():
        path = built_dir / row["file"]
        if path.is_file():
            sha = file_sha256(path)
            verdict = "same" if sha == row["sha256"] else "differs"
            if verdict == "differs" and path.suffix == ".npz" and same_arrays(path, ctx.repo / "models" / row["file"]):
                verdict += " (the same arrays, stored otherwise: another entry order, dtype or zlib)"
            if key == "yunet":
                verdict += " (third-party, checked, not rebuilt)"
        else:
            sha = None
            present = ctx.repo / "models" / row["file"]
            ok = present.is_file() and file_sha256(present) == row["sha256"]
            reason = "facenet.convert is off" if key == "facenet" else "no build yet"
            verdict = f"not rebuilt ({reason}); the shipped file {'matches' if ok else 'does NOT match'} the manifest"
        checks.append(FileCheck(row["file"], sha, row["sha256"], verdict))
    return checks


def same_arrays(a: Path, b: Path) -> bool:
    """Whether two .npz files hold the same named arrays, equal in value, however their zip entries are stored."""
    if not b.is_file():
        return False
    with np.load(a, allow_pickle=False) as x, np.load(b, allow_pickle=False) as y:
        return sorted(x.files) == sorted(y.files) and all(np.array_equal(x[k], y[k]) for k in x.files)


def print_report(checks: list[FileCheck], built_dir: Path) -> None:
    print(f"\nsha256 of every shipped file: built ({built_dir}) and in models/manifest.json")
    for c in checks:
        print(f"  {c.file}\n    built     {c.built or '-'}\n    manifest  {c.manifest}\n    -> {c.verdict}")


def install(ctx: Context) -> list[Path]:
    """Copy the built models, the bank's record and the manifest into models/ (each write atomic)."""
    built_dir = ctx.folder("models")
    if not (built_dir / "manifest.json").is_file():
        raise RecipeError("there is no complete build to install: run the recipe to its end first.")
    names = list(built_files(ctx)) + ["manifest.json"]
    written = []
    for name in names:
        copy_atomic(built_dir / name, ctx.repo / "models" / name)
        written.append(ctx.repo / "models" / name)
    return written
