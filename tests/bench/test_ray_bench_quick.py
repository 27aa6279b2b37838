"""`bench/ray_bench.py --quick` runs end to end: the three executors anonymize the same photos, Ray's cost per
photo and the driver's costs are measured, and the table is printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_ray_bench_quick(tmp_path):
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("Ray is not installed: `pip install -e '.[dev,cluster]'` (make test does)")
        pytest.skip("Ray is not installed (the cluster extra)")
    out = tmp_path / "rb.json"
    env = {k: v for k, v in os.environ.items() if k != "VEIL_RAY_BENCH_KEYRING"}
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "ray_bench.py"), "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=REPO, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(out.read_text())
    assert [x["executor"] for x in r["runs"]] == ["jobs 1", "jobs 2", "ray"]
    for run in r["runs"]:
        assert run["photos"] == 3 and run["anonymized"] == 3 and run["photos_per_s"] > 0
    per = r["overhead"]["seconds_per_photo"]
    assert set(per) == {"local loop", "ray", "ray + signing"} and min(per.values()) > 0
    writes = r["driver"]["report_write_s"]
    assert writes["10000"] > writes["1000"] > 0                 # a whole rewrite grows with the photos in it
    assert "| `--ray` |" in proc.stdout and "Ray's cost per photo on a worker" in proc.stdout
