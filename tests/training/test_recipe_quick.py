"""`make models` end to end, quick (the recipe's photo sample, a few steps): every stage writes outputs the app can
load, a second run skips every stage, a changed knob reruns its stage and the stages that read it, and the final
report lists every shipped file. About a minute on two quiet cores."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="the [train] extra (torch) is not installed")
pytest.importorskip("skimage", reason="scikit-image (the dev extra) is not installed")

from editor.core.files import file_sha256  # noqa: E402
from models.training import lpips_weights  # noqa: E402
from models.training.recipe.cli import main  # noqa: E402
from models.training.recipe.runner import REPO, Context, Runner  # noqa: E402
from models.training.recipe.settings import QUICK_SAMPLE, settings  # noqa: E402
from models.training.recipe.stages import STAGES  # noqa: E402

DATA = REPO.parent / "shared" / "data"


def quick_data_problem() -> str:
    sample = json.loads((REPO / QUICK_SAMPLE).read_text())
    missing = [f"{p}/{f}" for p, files in sample.items() for f in files if not (DATA / "celeba" / p / f).is_file()]
    if missing or not (DATA / "mask-templates" / "masks.cfg").is_file():
        return "the quick sample's CelebA photos and the mask templates (../shared/data) are not present"
    if not (lpips_weights.is_cached("vgg16") and lpips_weights.is_cached("alexnet")):
        return "the LPIPS weights the inpainter trains with are not cached (python -m models.training.lpips_weights)"
    return ""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Context:
    problem = quick_data_problem()
    if problem:
        pytest.skip(problem)
    ctx = Context(DATA, tmp_path_factory.mktemp("recipe"), settings(quick=True))
    outcomes = Runner(ctx, STAGES).run()
    assert {o.stage: o.action for o in outcomes} == {s.name: "ran" for s in STAGES}
    return ctx


def test_every_stage_writes_its_outputs_and_its_record(built):
    for stage in STAGES:
        assert all(p.is_file() or p.is_dir() for p in stage.outputs(built)), stage.name
        record = json.loads((built.work / "stamps" / f"{stage.name}.json").read_text())
        assert set(record["outputs"]) == {f"work:{p.relative_to(built.work)}" for p in stage.outputs(built)}


def test_the_built_models_load_as_the_app_loads_them(built):
    import onnxruntime as ort

    from editor.anonymize.bank import read_bank

    models = built.work / "models"
    manifest = json.loads((models / "manifest.json").read_text())["models"]
    for key in ("mask_segmenter", "mcsam_inpainter", "identities", "recognizer_thresholds", "dlib_recognizer"):
        row = manifest[key]
        path = models / row["file"]
        assert row["sha256"] == file_sha256(path) and row["bytes"] == path.stat().st_size
    session = ort.InferenceSession(str(models / "mcsam_inpainter.onnx"), providers=["CPUExecutionProvider"])
    out = session.run(None, {"image": np.full((1, 3, 256, 256), 0.5, np.float32),
                             "mask": np.zeros((1, 1, 256, 256), np.float32)})[0]
    assert np.allclose(out, 0.5, atol=1e-6)                 # no hole: the known pixels pass through
    assert manifest["mcsam_inpainter"]["training"]["steps"] == 2          # stopped at inpainter.stop_step
    assert manifest["mcsam_inpainter"]["metrics"]["faces"] == 2 and "top1" in manifest["mcsam_inpainter"]["metrics"]
    bank = read_bank(models / "identities" / "identities.npz")
    assert len(bank) == len(json.loads((models / "identities" / "build_record.json").read_text())["identities"])
    assert set(bank.groups.tolist()) == {0, 1}
    check_bank_record(json.loads((built.work / "bank_build" / "build_record.json").read_text()))
    thresholds = json.loads((models / "recognizers.json").read_text())["recognizers"]
    assert 0 < thresholds["dlib"]["threshold"] < 2 and thresholds["facenet"]["validation"]["faces"] == 4
    tables = (models / "model_card_tables.md").read_text()
    assert "M-CSAM with texture losses (this build)" in tables and "| dlib |" in tables


def check_bank_record(record: dict) -> None:
    """The build chose a cut for grey renders for each recognizer (dlib's required distance at least 0.6, each
    from the cut and the margin) and every shipped identity clears each one against every photo of each source
    person, recorded per recognizer and per person."""
    judged = record["source_check"]
    rows, margin = judged["recognizers"], judged["margin"]
    assert set(rows) == {"dlib", "facenet"}
    for name, row in rows.items():
        assert 0 < row["cut_on_grey"] < 2 and 0.5 <= row["balanced_accuracy"] <= 1
        expected = row["cut_on_grey"] * (1 + margin)
        assert row["required"] == pytest.approx(max(expected, 0.6) if name == "dlib" else expected, abs=1e-4)
    assert record["passed_by"].keys() == rows.keys() and record["identities"]
    for ident in record["identities"]:
        assert ident["passed"]
        for name, row in rows.items():
            per_person = ident["min_distance_to_source_people"][name]
            assert len(per_person) == 4 and all(p["photos"] > 0 for p in per_person.values())
            assert min(p["min_distance"] for p in per_person.values()) == ident["min_distance"][name]
            assert ident["min_distance"][name] >= row["required"]


def test_a_second_run_skips_every_stage_and_reports_every_shipped_file(built, capsys):
    assert main(["--quick", "--data", str(DATA), "--work", str(built.work)]) == 0
    out = capsys.readouterr().out
    assert all(f"[{s.name}] skipped" in out for s in STAGES)
    shipped = json.loads((REPO / "models" / "manifest.json").read_text())["models"]
    report = out[out.index("sha256 of every shipped file"):]
    for row in shipped.values():
        assert f"  {row['file']}\n" in report and row["sha256"] in report
    assert "face_detection_yunet_2026may.onnx\n    built     " + shipped["yunet"]["sha256"] in report
    assert "not rebuilt (facenet.convert is off)" in report


def test_a_changed_knob_reruns_its_stage_and_the_stages_that_read_it(built):
    ctx = Context(built.data, built.work, settings(quick=True, changes=["bank_refine.tour_apart=0.9"]))
    before = {s.name: (built.work / "stamps" / f"{s.name}.json").read_text() for s in STAGES}
    outcomes = Runner(ctx, STAGES).run()
    ran = {o.stage for o in outcomes if o.action == "ran"}
    assert ran == {"bank_refine", "bank_extend", "manifest"}
    assert all((built.work / "stamps" / f"{name}.json").read_text() == before[name] for name in before
               if name not in ran)
    assert json.loads((built.work / "bank_refine" / "build_record.json").read_text())[
        "tour_on_training_hosts"]["target"] == 0.9
    assert {o.action for o in Runner(ctx, STAGES).run()} == {"skipped"}


def test_install_refuses_a_quick_build(built, capsys):
    assert main(["--quick", "--install", "--data", str(DATA), "--work", str(built.work)]) == 2
    assert "--install takes a full build" in capsys.readouterr().err
