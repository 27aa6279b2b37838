"""The data stages: the photo subset (quick runs), the third-party detector's check, the aligned-face cache."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from editor.core.files import file_sha256

from .runner import Context, Stage
from .stamps import RecipeError

YUNET_FILE = "face_detection_yunet_2026may.onnx"
FACES_CODE = ["models/training/prepare_faces.py", "models/training/align.py", "editor/vision/largest_face.py",
              "editor/vision/pipeline.py", "editor/vision/detector.py", "editor/vision/landmarks.py",
              "editor/vision/face_alignment.py"]


def code(ctx: Context, files: list[str]) -> list[Path]:
    return [ctx.repo / f for f in files]


def sample_of(ctx: Context) -> dict[str, list[str]]:
    """The subset's photos (person -> file names), from the sample file named in the settings."""
    path = ctx.repo / ctx.settings["subset"]["sample"]
    if not path.is_file():
        raise RecipeError(f"the sample file {path} does not exist.")
    return json.loads(path.read_text())


def make_subset(ctx: Context, folder: Path) -> None:
    """Link the sample's photos into folder/celeba/PERSON/, and DATA's mask templates and detector beside them."""
    for person, photos in sample_of(ctx).items():
        (folder / "celeba" / person).mkdir(parents=True, exist_ok=True)
        for photo in photos:
            source = ctx.data / "celeba" / person / photo
            if not source.is_file():
                raise RecipeError(f"{source} is missing: the quick sample is a list of CelebA photos as in "
                                  "../shared/data; give that data folder, or a sample of your own "
                                  "(--set subset.sample=FILE).")
            os.symlink(source.resolve(), folder / "celeba" / person / photo)
    for part in ("mask-templates", "models"):
        if (ctx.data / part).exists():
            os.symlink((ctx.data / part).resolve(), folder / part, target_is_directory=True)


def subset_inputs(ctx: Context) -> list[Path]:
    if not ctx.settings["subset"]["sample"]:
        return []
    return [ctx.repo / ctx.settings["subset"]["sample"]] + [
        ctx.data / "celeba" / person / photo for person, photos in sample_of(ctx).items() for photo in photos]


def subset_outputs(ctx: Context) -> list[Path]:
    if not ctx.settings["subset"]["sample"]:
        return []
    return [ctx.folder("subset") / "celeba"]


SUBSET = Stage("subset", "link the sample photos into the work folder", make_subset, subset_outputs, subset_inputs,
               lambda ctx: ctx.settings["subset"],
               unused=lambda ctx: "" if ctx.settings["subset"]["sample"] else "every photo of the data folder is used")


def shipped_row(ctx: Context, key: str) -> dict:
    return json.loads((ctx.repo / "models" / "manifest.json").read_text())["models"][key]


def detector_source(ctx: Context) -> Path:
    """The YuNet file of the data folder (models/yunet/), else the one shipped in models/."""
    given = ctx.data / "models" / "yunet" / YUNET_FILE
    return given if given.is_file() else ctx.repo / "models" / YUNET_FILE


def check_detector(ctx: Context, folder: Path) -> None:
    """Copy the third-party detector into the build after checking it is the manifest's file (it is not
    retrained: OpenCV Model Zoo's weights, under their own notice)."""
    source, want = detector_source(ctx), shipped_row(ctx, "yunet")["sha256"]
    got = file_sha256(source)
    if got != want:
        raise RecipeError(f"the face detector {source} has sha256 {got}, not the manifest's {want}.")
    shutil.copyfile(source, folder / YUNET_FILE)


DETECTOR = Stage("detector", "check the third-party YuNet detector against the manifest", check_detector,
                 lambda ctx: [ctx.folder("detector") / YUNET_FILE],
                 lambda ctx: [detector_source(ctx), ctx.repo / "models" / "manifest.json"])


def faces_file(ctx: Context) -> Path:
    given = ctx.settings["faces"]["given"]
    return Path(given) if given else ctx.folder("faces") / "faces256.npz"


def make_faces(ctx: Context, folder: Path) -> None:
    from models.training.prepare_faces import prepare

    prepare(ctx.source, folder / "faces256.npz", ctx.settings["faces"]["limit"])


def faces_inputs(ctx: Context) -> list[Path]:
    return [ctx.source / "celeba", ctx.repo / "models" / "training" / "split.json",
            ctx.folder("detector") / YUNET_FILE] + code(ctx, FACES_CODE)


FACES = Stage("faces", "align every photo's face (prepare_faces) into the aligned-face cache", make_faces,
              lambda ctx: [faces_file(ctx)], faces_inputs, lambda ctx: ctx.settings["faces"],
              unused=lambda ctx: f"the given cache {faces_file(ctx)} is used" if ctx.settings["faces"]["given"] else "")
