"""Faults on a real two-node Ray cluster: a worker killed with SIGKILL mid-photo, a photo whose worker dies every
time, a worker killed after writing but before reporting, and the driver killed and resumed."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

import faulty_work
from cluster_helpers import make_photos
from process_helpers import alive, start_until_recorded, still_alive_after      # tests/process_helpers.py
from editor.core import image_io
from editor.services.anonymize_batch import REPORT_NAME, anonymize_paths
from editor.services.photo_batch import BatchKind, run_batch
from editor.services.ray_executor import RayExecutor

COPY_REPORT = "copy-report.json"


def _copy_kind() -> BatchKind:
    def count(entries):
        return {"files": len(entries), "copied": sum(e.get("status") == "copied" for e in entries),
                "errors": sum(e.get("status") == "error" for e in entries)}

    return BatchKind(COPY_REPORT, ("copied",), ("error",), settings={"kind": "copy"}, count=count)


@pytest.fixture
def by_value():
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(faulty_work)
    yield
    ray.cloudpickle.unregister_pickle_by_value(faulty_work)


def test_a_photo_whose_worker_always_dies_is_reported_after_three_tries_and_the_run_goes_on(
        ray_cluster, by_value, tmp_path, astronaut):
    photos = make_photos(tmp_path / "shoot", astronaut)
    notes: list[str] = []
    options = {"always": ["p0.png"], "once": ["flag.png"]}
    batch = run_batch([photos], tmp_path / "out", _copy_kind(), faulty_work.copy_photo, lambda s, d: options,
                      executor=RayExecutor(ray_cluster.address, on_note=notes.append))

    report = json.loads((tmp_path / "out" / COPY_REPORT).read_text())
    assert report["summary"]["files"] == 4 and report["summary"]["copied"] == 3 and report["summary"]["errors"] == 1
    failed = report["files"][str(photos / "p0.png")]
    assert failed["status"] == "error" and failed["message"].startswith("failed 3 times on the Ray cluster")
    # Killed after its output was written, before it was reported: done again, recorded once, the output whole.
    assert sorted(Path(f.source).name for f in batch.files) == ["flag.png", "p0.png", "p1.png", "p2.jpg"]
    assert (tmp_path / "out" / "shoot" / "flag.png").read_bytes() == (photos / "flag.png").read_bytes()
    assert sum("flag.png" in n for n in notes) == 1 and sum("p0.png" in n for n in notes) == 2
    assert not (tmp_path / "out" / "shoot" / "p0.png").exists()
    assert not list((tmp_path / "out").rglob("*.tmp"))


def _kill_first_busy_worker(cluster, stop: threading.Event, killed: list) -> None:
    """SIGKILL the first PhotoWorker seen doing a photo (Ray names the process after the running method)."""
    while not stop.is_set() and not killed:
        for pid in cluster.workers():
            if ".start" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
        time.sleep(0.05)


def test_a_worker_killed_mid_photo_is_replaced_and_the_photo_done_once(ray_cluster, vault, tmp_path, astronaut):
    photos = make_photos(tmp_path / "shoot", astronaut)
    stop, killed, notes = threading.Event(), [], []
    killer = threading.Thread(target=_kill_first_busy_worker, args=(ray_cluster, stop, killed), daemon=True)
    killer.start()
    try:
        batch = anonymize_paths([photos], tmp_path / "out", None, recipients=["HR"], seed=2, vault=vault,
                                ray=ray_cluster.address, on_note=notes.append)
    finally:
        stop.set()
        killer.join()
    assert killed and not alive(killed[0])
    assert len(notes) == 1 and "its Ray worker was lost" in notes[0] and "attempt 2 of 3" in notes[0]
    summary = batch.summary()
    assert summary["files"] == 4 and summary["done_this_run"] == 4 and summary["errors"] == 0
    assert summary["anonymized"] == 3 and summary["no_face"] == 1
    report = json.loads((tmp_path / "out" / REPORT_NAME).read_text())["files"]
    for entry in report.values():            # every output whole: it decodes, and is the file the report names
        image_io.load_image(entry["output"])
        assert Path(entry["output"]).is_file()
    assert not list((tmp_path / "out").rglob("*.tmp"))


def test_the_driver_killed_takes_its_workers_along_and_a_rerun_resumes(ray_cluster, vault, tmp_path, astronaut):
    photos = make_photos(tmp_path / "shoot", astronaut, faces=5)
    out = tmp_path / "out"
    report = out / REPORT_NAME
    driver = start_until_recorded(["anonymize", str(photos), "-o", str(out), "--recipient", "HR", "--ray",
                                   ray_cluster.address], report, timeout=240)
    workers = ray_cluster.workers()
    assert workers, "no Ray worker was running"
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    assert not still_alive_after(workers, 60), "Ray workers outlived their driver"

    recorded = json.loads(report.read_text())["files"]
    assert 1 <= len(recorded) < 6
    batch = anonymize_paths([photos], out, None, recipients=["HR"], vault=vault, ray=ray_cluster.address)
    assert batch.summary()["files"] == 6 and batch.summary()["anonymized"] == 5
    assert len(batch.files) == 6 - len(recorded) and batch.skipped == len(recorded)
    for entry in json.loads(report.read_text())["files"].values():     # every output whole
        assert image_io.load_image(entry["output"]).pixels.shape[0] == 512
    assert not list(out.rglob("*.tmp"))
