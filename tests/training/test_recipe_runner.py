"""The recipe's runner on toy stages (no torch): stamps, skips, reruns of what reads a change, resume, dry run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.training.recipe.runner import Context, Runner, Stage
from models.training.recipe.settings import settings
from models.training.recipe.stamps import RecipeError


def toy_stages(calls: list[str], fail: set[str] = frozenset()) -> list[Stage]:
    """a (data file -> a.txt, scaled by a.factor) -> b (a.txt -> b.txt); c reads only the data file."""
    def make_a(ctx: Context, folder: Path) -> None:
        calls.append("a")
        value = int((ctx.data / "numbers.txt").read_text()) * ctx.settings["a"]["factor"]
        (folder / "a.txt").write_text(str(value))

    def make_b(ctx: Context, folder: Path) -> None:
        calls.append("b")
        (folder / "partial.txt").write_text("begun")          # a resumable stage's own progress
        if "b" in fail:
            raise RuntimeError("stopped half-way")
        (folder / "b.txt").write_text(str(int((ctx.work / "a" / "a.txt").read_text()) + 1))

    def make_c(ctx: Context, folder: Path) -> None:
        calls.append("c")
        (folder / "c.txt").write_text((ctx.data / "numbers.txt").read_text()[::-1])

    return [
        Stage("a", "scale", make_a, lambda ctx: [ctx.work / "a" / "a.txt"], lambda ctx: [ctx.data / "numbers.txt"],
              lambda ctx: ctx.settings["a"]),
        Stage("b", "add one", make_b, lambda ctx: [ctx.work / "b" / "b.txt"], lambda ctx: [ctx.work / "a" / "a.txt"]),
        Stage("c", "reverse", make_c, lambda ctx: [ctx.work / "c" / "c.txt"], lambda ctx: [ctx.data / "numbers.txt"]),
    ]


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "numbers.txt").write_text("21")
    return Context(tmp_path / "data", tmp_path / "work", {"a": {"factor": 2}})


def actions(outcomes) -> dict[str, str]:
    return {o.stage: o.action for o in outcomes}


def test_a_second_run_skips_every_stage_and_keeps_the_outputs(ctx):
    calls: list[str] = []
    first = Runner(ctx, toy_stages(calls)).run()
    assert actions(first) == {"a": "ran", "b": "ran", "c": "ran"}
    assert (ctx.work / "b" / "b.txt").read_text() == "43"
    record = json.loads((ctx.work / "stamps" / "b.json").read_text())
    assert record["outputs"] == {"work:b/b.txt": record["outputs"]["work:b/b.txt"]} and len(record["stamp"]) == 64
    second = Runner(ctx, toy_stages(calls)).run()
    assert actions(second) == {"a": "skipped", "b": "skipped", "c": "skipped"}
    assert calls == ["a", "b", "c"]


def test_a_changed_setting_reruns_its_stage_and_the_stages_that_read_it_only(ctx):
    calls: list[str] = []
    Runner(ctx, toy_stages(calls)).run()
    ctx.settings["a"]["factor"] = 3
    outcomes = Runner(ctx, toy_stages(calls)).run()
    assert actions(outcomes) == {"a": "ran", "b": "ran", "c": "skipped"}
    assert "factor 2 -> 3" in outcomes[0].reason
    assert (ctx.work / "b" / "b.txt").read_text() == "64"


def test_a_changed_data_file_reruns_every_stage_that_reads_it(ctx):
    calls: list[str] = []
    Runner(ctx, toy_stages(calls)).run()
    (ctx.data / "numbers.txt").write_text("5")
    outcomes = Runner(ctx, toy_stages(calls)).run()
    assert actions(outcomes) == {"a": "ran", "b": "ran", "c": "ran"}
    assert "data:numbers.txt" in outcomes[0].reason


def test_an_upstream_rerun_with_the_same_output_leaves_the_readers_alone(ctx):
    calls: list[str] = []
    Runner(ctx, toy_stages(calls)).run()
    (ctx.data / "numbers.txt").write_text("21\n")       # other bytes, the same number: a.txt comes out the same
    outcomes = Runner(ctx, toy_stages(calls)).run()
    assert actions(outcomes) == {"a": "ran", "b": "skipped", "c": "ran"}


def test_an_edited_output_is_made_again(ctx):
    calls: list[str] = []
    Runner(ctx, toy_stages(calls)).run()
    (ctx.work / "c" / "c.txt").write_text("tampered")
    outcomes = Runner(ctx, toy_stages(calls)).run()
    assert actions(outcomes) == {"a": "skipped", "b": "skipped", "c": "ran"}
    assert (ctx.work / "c" / "c.txt").read_text() == "12"


def test_a_stopped_stage_resumes_in_its_folder_but_other_settings_start_it_afresh(ctx):
    calls: list[str] = []
    with pytest.raises(RuntimeError):
        Runner(ctx, toy_stages(calls, fail={"b"})).run()
    assert (ctx.work / "b" / "partial.txt").exists() and not (ctx.work / "stamps" / "b.json").exists()
    (ctx.work / "b" / "progress.txt").write_text("kept")
    Runner(ctx, toy_stages(calls)).run()
    assert (ctx.work / "b" / "progress.txt").exists()            # same stamp: the folder was resumed
    with pytest.raises(RuntimeError):
        ctx.settings["a"]["factor"] = 5
        Runner(ctx, toy_stages(calls, fail={"b"})).run()
    ctx.settings["a"]["factor"] = 7
    Runner(ctx, toy_stages(calls)).run()
    assert not (ctx.work / "b" / "progress.txt").exists()        # another stamp: emptied first
    assert (ctx.work / "b" / "b.txt").read_text() == "148"


def test_dry_run_says_what_would_run_and_why_and_runs_nothing(ctx):
    calls: list[str] = []
    Runner(ctx, toy_stages(calls)).run()
    ctx.settings["a"]["factor"] = 4
    outcomes = Runner(ctx, toy_stages(calls)).run(dry_run=True)
    assert actions(outcomes) == {"a": "would run", "b": "would run", "c": "skipped"}
    assert outcomes[1].reason == "a would run first"
    assert calls == ["a", "b", "c"] and (ctx.work / "a" / "a.txt").read_text() == "42"


def test_only_runs_one_stage_and_uses_the_others_outputs_as_they_are(ctx):
    calls: list[str] = []
    Runner(ctx, toy_stages(calls)).run()
    ctx.settings["a"]["factor"] = 10
    outcomes = Runner(ctx, toy_stages(calls)).run(only="c", force=True)
    assert actions(outcomes) == {"a": "not selected", "b": "skipped", "c": "ran"}
    with pytest.raises(RecipeError, match="no stage 'd'"):
        Runner(ctx, toy_stages(calls)).run(only="d")


def test_a_stage_never_run_cannot_be_skipped_by_from(ctx):
    with pytest.raises(RecipeError, match="stage a has never run here"):
        Runner(ctx, toy_stages([])).run(start="b")


def test_settings_take_changes_and_refuse_unknown_knobs():
    changed = settings(quick=True, changes=["segmenter.steps=7", "faces.given=/tmp/x.npz"])
    assert changed["segmenter"]["steps"] == 7 and changed["faces"]["given"] == "/tmp/x.npz"
    assert changed["inpainter"]["stop_step"] == 2
    # The full recipe stops the fine-tune where the shipped inpainter was taken, with the weights it last ran with.
    shipped = json.loads((Path(__file__).resolve().parents[2] / "models" / "manifest.json").read_text())
    training = shipped["models"]["mcsam_inpainter"]["training"]
    assert settings()["inpainter"]["stop_step"] == training["steps"]
    assert settings()["inpainter"]["colour_weight"] == float(training["args"]["colour_weight"])
    with pytest.raises(RecipeError, match="names no knob"):
        settings(changes=["segmenter.stepz=1"])
