"""What every benchmark section shares: rows of the results table, robust timing, the machine's description."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

REPO = Path(__file__).resolve().parents[1]
NOT_RUN = "n/a (could not run: see the baseline column)"
NO_CUDA = "n/a (no CUDA)"


@dataclass
class Row:
    """One line of the table: Veil's figure, the baseline's, their ratio (Veil / baseline) and the target."""

    key: str                         # stable id, e.g. "e2e.inpaint.8" (the test and --json readers use it)
    section: str
    measure: str
    veil: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    meets: str = ""                  # "yes" / "no" / "" when there is no target or no figure
    data: dict = field(default_factory=dict)   # raw numbers for --json


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def ratio(veil: Optional[float], baseline: Optional[float]) -> str:
    if not veil or not baseline:
        return ""
    return f"{veil / baseline:.2f}x"


def verdict(value: Optional[float], limit: float) -> str:
    return "" if value is None else ("yes" if value <= limit else "no")


def timed(fn: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of `repeats` calls after `warmup` untimed ones (first calls size buffers, load code)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def cpu_model() -> str:
    """`lscpu`'s model name (the CPU's name in /proc/cpuinfo, or platform's, where lscpu is missing)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10, env={**os.environ, "LC_ALL": "C"})
        for line in out.stdout.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    import cv2
    import numpy
    import onnxruntime

    return {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
            "onnxruntime": onnxruntime.__version__, "opencv": cv2.__version__, "numpy": numpy.__version__,
            "system": f"{platform.system()} {platform.release()}"}


def peak_rss_kib() -> float:
    """This process's own peak resident set (KiB) since it started.

    /proc/self/status VmHWM, not getrusage: on Linux ru_maxrss survives exec, so a child started from a big
    parent would report the parent's peak. Elsewhere getrusage is all there is.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform == "darwin" else float(peak)   # macOS reports bytes


def run_child(script: str, args: list[str], out: Path, timeout: float = 600) -> dict:
    """Run `python bench/<script> ... --out OUT` in a fresh process and return the JSON it wrote.

    Each scenario gets its own process so that one scenario's memory, caches and loaded models never hide or
    inflate another's.
    """
    cmd = [sys.executable, str(REPO / "bench" / script), *args, "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO)
    if proc.returncode != 0 or not out.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-12:]
        raise RuntimeError(f"{script} {' '.join(args)} failed (exit {proc.returncode}):\n" + "\n".join(tail))
    return json.loads(out.read_text())


def markdown(rows: list[Row]) -> str:
    lines = ["| section | measure | Veil | baseline | Veil / baseline | target | meets |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        cells = (r.section, r.measure, r.veil, r.baseline, r.ratio, r.target, r.meets)
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def rows_json(rows: list[Row]) -> list[dict]:
    return [asdict(r) for r in rows]


def publish(script: str, argv: Optional[list[str]], summary: dict, table: Callable[[dict, str], str],
            json_path: Optional[Path]) -> int:
    """Print a benchmark's table under the command that made it, and write its summary as JSON when asked."""
    command = f"python bench/{script} " + " ".join(sys.argv[1:] if argv is None else argv)
    print(table(summary, command.strip()))
    if json_path:
        json_path.write_text(json.dumps(summary, indent=1) + "\n")
    return 0
