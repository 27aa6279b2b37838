"""The identity bank, as it shipped: the photos analysed (landmarks, every recognizer's vectors), then the build,
--refine and --extend-group runs of models/training/shipped_bank, each on a copy of the previous run's bank. The
build chooses each recognizer's cut for grey renders from data (shipped_bank.source_judges, with
identity_bank.calibrate) and the extension reuses the build's recorded cuts; bank_build.source_margin is how far
past each cut every source photo must be."""

from __future__ import annotations

import shutil
from pathlib import Path

from .data_stages import code
from .runner import Context, Stage

BANK_FILES = ("identities.npz", "build_record.json")
ENGINE_CODE = ["editor/anonymize/synthesis.py", "editor/anonymize/mesh.py", "editor/anonymize/reshape.py",
               "editor/anonymize/identity.py", "editor/anonymize/skin.py", "editor/anonymize/recognizers.py",
               "editor/anonymize/thresholds.py", "editor/vision/facenet.py"]
# The recognizers the source check judges by: both networks the app loads and both photo thresholds (recorded
# beside the cuts).
JUDGE_FILES = ["models/facenet.onnx", "models/dlib_recognizer.onnx", "models/recognizers.json"]
BANK_CODE = [f"models/training/shipped_bank/{m}.py" for m in (
    "bank_file", "build", "cli", "collage", "extend", "faces", "frame", "refine", "source_judges", "sources",
    "texture_checks", "tours")] + ["models/training/identity_bank/frame.py", "models/training/identity_bank/select.py",
                                   "models/training/identity_bank/sources.py",
                                   "models/training/identity_bank/candidates.py",
                                   "models/training/identity_bank/calibrate.py",
                                   "models/training/reproducible_npz.py"]


def celeba(ctx: Context) -> Path:
    return ctx.source / "celeba"


def analysed(ctx: Context) -> Path:
    return ctx.folder("bank_faces") / "faces.npz"


def make_bank_faces(ctx: Context, folder: Path) -> None:
    from models.training.shipped_bank.cli import SPLIT_FILE, training_identities
    from models.training.shipped_bank.faces import analyse

    analyse(celeba(ctx), training_identities(celeba(ctx), SPLIT_FILE), folder / "faces.npz")


def bank_run(ctx: Context, folder: Path, previous: str | None, options: list[str]) -> None:
    """One shipped_bank run on --out `folder` (a copy of stage `previous`'s bank, when given)."""
    from models.training.shipped_bank.cli import main

    if previous is not None:
        for name in BANK_FILES:
            shutil.copyfile(ctx.folder(previous) / name, folder / name)
    build = ctx.settings["bank_build"]
    code_ = main(["--data", str(celeba(ctx)), "--cache", str(analysed(ctx)), "--out", str(folder), "--seed",
                  str(build["seed"]), "--hosts", str(build["hosts"]), "--per-person", str(build["per_person"]),
                  "--source-margin", str(build["source_margin"])] + options)
    if code_:
        raise SystemExit(code_)


def make_build(ctx: Context, folder: Path) -> None:
    knobs = ctx.settings["bank_build"]
    bank_run(ctx, folder, None, ["--count", str(knobs["count"]), "--candidates", str(knobs["candidates"])])


def make_refine(ctx: Context, folder: Path) -> None:
    knobs = ctx.settings["bank_refine"]
    bank_run(ctx, folder, "bank_build",
             ["--refine", "--tour-hosts", str(knobs["tour_hosts"]), "--tour-apart", str(knobs["tour_apart"])])


def make_extend(ctx: Context, folder: Path) -> None:
    knobs = ctx.settings["bank_extend"]
    bank_run(ctx, folder, "bank_refine",
             ["--extend-group", str(knobs["group"]), "--candidates", str(knobs["candidates"]),
              "--tour-apart", str(knobs["tour_apart"]),
              "--tour-hosts", str(ctx.settings["bank_refine"]["tour_hosts"])])


def bank_outputs(stage: str):
    return lambda ctx: [ctx.folder(stage) / name for name in BANK_FILES]


def bank_inputs(previous: str):
    return lambda ctx: ([celeba(ctx), analysed(ctx), ctx.repo / "models" / "training" / "split.json"]
                        + (bank_outputs(previous)(ctx) if previous != "bank_faces" else [])
                        + code(ctx, BANK_CODE + ENGINE_CODE + JUDGE_FILES))


BANK_FACES = Stage(
    "bank_faces", "find the landmarks and every recognizer's vector of every training photo", make_bank_faces,
    lambda ctx: [analysed(ctx)],
    lambda ctx: [celeba(ctx), ctx.repo / "models" / "training" / "split.json"]
    + code(ctx, ["models/training/shipped_bank/faces.py", "models/training/shipped_bank/cli.py",
                 "editor/vision/largest_face.py", "editor/anonymize/identity.py", "editor/anonymize/recognizers.py",
                 "editor/vision/facenet.py", "models/facenet.onnx", "models/dlib_recognizer.onnx"]))

BANK_BUILD = Stage("bank_build", "build the collage identities", make_build, bank_outputs("bank_build"),
                   bank_inputs("bank_faces"), lambda ctx: ctx.settings["bank_build"])

BANK_REFINE = Stage("bank_refine", "refine the bank (texture checks, tour on training faces)", make_refine,
                    bank_outputs("bank_refine"), bank_inputs("bank_build"),
                    lambda ctx: {k: ctx.settings[k] for k in ("bank_build", "bank_refine")})

BANK_EXTEND = Stage("bank_extend", "extend the second group and keep its best set", make_extend,
                    bank_outputs("bank_extend"), bank_inputs("bank_refine"),
                    lambda ctx: {k: ctx.settings[k] for k in ("bank_build", "bank_refine", "bank_extend")})
