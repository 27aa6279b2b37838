"""`bench/run_all.py --quick` runs end to end on tiny inputs and prints every row of the performance table, each
with a measurement made by the shipped models.

The models folder is a copy of models/ whose manifest lists one more ONNX model (a copy of the segmenter under
another name): the bench must time it without a code change.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FLOWS = ("inpaint", "anonymize", "unmask")
PROBE = "bench_probe"
MASK_TEMPLATES = REPO.parent / "shared" / "data" / "mask-templates"      # the unmask flow puts masks on faces


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    manifest = json.loads((REPO / "models" / "manifest.json").read_text())
    for info in manifest["models"].values():
        (folder / info["file"]).parent.mkdir(parents=True, exist_ok=True)     # e.g. identities/
        shutil.copyfile(REPO / "models" / info["file"], folder / info["file"])
    probe = dict(manifest["models"]["mask_segmenter"], task="bench-probe", label="bench probe")
    manifest["models"][PROBE] = probe
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture(scope="module")
def quick_run(models_dir, tmp_path_factory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("bench") / "result.json"
    env = {**os.environ, "VEIL_MODELS_DIR": str(models_dir), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "run_all.py"), "--quick", "--device", "cpu",
                           "--json", str(out)],
                          capture_output=True, text=True, timeout=120, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, json.loads(out.read_text())


def expected_keys(models: list[str]) -> set[str]:
    keys = {f"model.{m}.{dev}.{b}" for m in models for dev in ("cpu", "cuda") for b in ("b1", "b8")}
    keys |= {"inpaint.model_vs_telea", "inpaint.model_vs_fsr", "inpaint.engine_vs_fsr", "detect.time", "detect.found"}
    keys |= {f"{kind}.{flow}.{n}" for kind in ("e2e", "rss") for flow in FLOWS for n in (1, 8)}
    keys |= {"open.jpeg", "open.png", "rss.open.jpeg", "rss.open.png", "ui.painted", "ui.gap", "ui.cold_detect",
             "ui.fill", "ui.busy_job", "ui.mask_ops", "ui.mask_undo"}
    keys |= {f"ui.{what}.{view}" for what in ("stroke", "release") for view in ("fit", "100")}
    return keys


def test_every_row_is_printed(quick_run, models_dir):
    stdout, result = quick_run
    manifest = json.loads((models_dir / "manifest.json").read_text())["models"]
    models = [name for name, info in manifest.items() if info["file"].endswith(".onnx")]   # the timed graphs
    rows = {r["key"]: r for r in result["rows"]}
    assert set(rows) == expected_keys(models)
    table = [line for line in stdout.splitlines() if line.startswith("| ")]
    assert len(table) == len(rows) + 2                                   # header and rule, then one line a row
    for row in rows.values():
        assert row["veil"], row["key"]
        assert any(f"| {row['measure']} | {row['veil']} |" in line for line in table), row["key"]
    assert result["machine"]["cores"] == os.cpu_count() and "load average" in stdout.lower()


def test_rows_hold_measurements(quick_run, models_dir):
    _, result = quick_run
    rows = {r["key"]: r for r in result["rows"]}
    # The manifest was read at run time: the extra model is timed.
    assert rows[f"model.{PROBE}.cpu.b1"]["data"]["seconds"] > 0
    assert rows[f"model.{PROBE}.cpu.b8"]["data"]["seconds_per_face"] > 0   # its batch is dynamic
    assert rows["model.yunet.cpu.b8"]["veil"] == "n/a (the model's batch is fixed at 1)"
    assert rows[f"model.{PROBE}.cuda.b1"]["veil"] == "n/a (--device cpu)"
    manifest = json.loads((models_dir / "manifest.json").read_text())["models"]
    inpainters = [name for name, info in manifest.items() if info.get("task") == "face-inpainting"]
    assert inpainters, "the shipped manifest has no face-inpainting model"
    for key in ("inpaint.model_vs_telea", "inpaint.model_vs_fsr"):     # the face model against the baselines
        row = rows[key]
        assert inpainters[0] in row["measure"] and row["data"]["model_s"] > 0 and row["ratio"].endswith("x")
    for flow in ("inpaint", "anonymize"):
        for n in (1, 8):
            e2e = rows[f"e2e.{flow}.{n}"]["data"]
            assert e2e["faces_found"] == n and e2e["total"] > 0 and e2e["steps"][flow] > 0, (flow, n)
            assert 0 < rows[f"rss.{flow}.{n}"]["data"]["kib"] < 2.5 * 1024 * 1024
    assert rows["ui.painted"]["meets"] == "yes"                          # a stroke step repaints a small part
    assert rows["ui.gap"]["data"]["faces"] >= 1 and rows["ui.gap"]["data"]["ticks"] > 0
    cold = rows["ui.cold_detect"]["data"]
    assert cold["faces"] >= 1 and cold["landmarks"] == cold["faces"] and cold["ticks"] > 0
    fill, busy = rows["ui.fill"]["data"], rows["ui.busy_job"]["data"]
    assert fill["engine"] == "fsr-fast" and fill["filled"] and fill["ticks"] > 0 and fill["max_gap_s"] > 0
    assert busy["steps_done"] == busy["steps"] and busy["ticks"] > 0 and busy["max_gap_s"] > 0
    masks = rows["ui.mask_ops"]["data"]
    assert set(masks["worst_gap_s"]) == {"invert_mask", "grow_mask", "shrink_mask", "feather_mask", "clear_mask"}
    assert masks["max_gap_s"] > 0 and masks["undo_restored"]
    assert all(run["job_s"] > 0 for runs in masks["operations"].values() for run in runs)


def test_unmask_rows_hold_measurements(quick_run):
    if not MASK_TEMPLATES.is_dir():
        pytest.skip(f"mask templates ({MASK_TEMPLATES}) not present: the unmask flow needs masked faces")
    _, result = quick_run
    rows = {r["key"]: r for r in result["rows"]}
    for n in (1, 8):
        e2e = rows[f"e2e.unmask.{n}"]["data"]
        assert e2e["faces_found"] >= 1 and e2e["total"] > 0 and e2e["steps"]["unmask"] > 0, n
        assert 0 < rows[f"rss.unmask.{n}"]["data"]["kib"] < 2.5 * 1024 * 1024
