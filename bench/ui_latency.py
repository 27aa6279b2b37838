"""The window's latency, measured in an offscreen MainWindow with real Qt events (run in its own process).

    python bench/ui_latency.py --sizes 4000x3000,8660x5780 --gap-size 4000x3000 --mask-size 6000x4000 \
        --fill-size 2048x2048 --busy-steps 60 --out r.json

Brush: for each photo size and view (fit, 100%), drags of real mouse events across the canvas, the sizes in one
order and then in the reverse order so that neither always runs first. Each move is timed from sending the move
event until the canvas has painted the region it changed (a paint-event filter installed here, not in the app,
sees the paint and its region). The same drag on 12 MP and 50 MP should cost the same: work proportional to the
whole photo would show as a ratio well above 1.
Jobs: a 5 ms timer on the UI thread (tests/ui/ui_helpers.GapMeter) records the event loop's worst gap while Faces ›
Detect Faces, Mask Selected Faces and Fill run on a 12 MP photo with 8 faces; while the first Detect Faces after
the face-model process starts runs on that photo (dlib loads in the child meanwhile: it holds the GIL for seconds);
while the classical engine (fsr-fast) fills a 900 x 260 px band of a 2048 x 2048 photo; and while a job that holds
the GIL in pure Python for most of each of its steps runs (tests/ui/ui_helpers.gil_heavy_job).
Mask operations: the same timer while Invert, Grow, Shrink, Feather, Invert and Clear run on a 24 MP mask (each a
job: done on the UI thread they would stall it for hundreds of milliseconds), then while Clear is undone (its tiles
are written back on the UI thread).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

os.environ["QT_QPA_PLATFORM"] = "offscreen"      # the same measurement on every machine, no window shown

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "tests" / "ui"))

import numpy as np  # noqa: E402
from PySide6.QtCore import QEvent, QEventLoop, QObject, QPoint, QPointF, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from photos import group_photo  # noqa: E402
from report import median, peak_rss_kib  # noqa: E402
from ui_helpers import GapMeter, gil_heavy_job  # noqa: E402

from editor.core.document import Document  # noqa: E402
from editor.core.geometry import Rect  # noqa: E402
from editor.services.faces import isolate_face_models  # noqa: E402
from editor.vision import model_host  # noqa: E402
from editor.ui.common import dialogs  # noqa: E402
from editor.ui.app import create_app  # noqa: E402
from editor.ui.main_window import MainWindow  # noqa: E402

WINDOW = (1400, 900)
MASK_OPERATIONS = ("invert_mask", "grow_mask", "shrink_mask", "feather_mask", "invert_mask", "clear_mask")
FILL_ENGINE = "fsr-fast"
FILL_BAND = (1100 / 2048, 1360 / 2048, 560 / 2048, 1460 / 2048)   # y0, y1, x0, x1: 900 x 260 px on 2048 x 2048
JOB_TIMEOUT_S = 300
PAINT_TIMEOUT_S = 5.0
SETTLE_MS = 100


class PaintProbe(QObject):
    """Event filter on the canvas: records the area of each paint event's region (the bench's hook, not the
    app's); a region of two far-apart rects counts as their two areas, not as the rect spanning them."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.areas: list[int] = []
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            self.areas.append(sum(r.width() * r.height() for r in event.region()))
        return False


def _move(canvas: QWidget, p: QPoint) -> QMouseEvent:
    return QMouseEvent(QEvent.Type.MouseMove, QPointF(p), QPointF(canvas.mapToGlobal(p)), Qt.MouseButton.NoButton,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)


def _until_painted(app: QApplication, probe: PaintProbe, before: int) -> None:
    deadline = time.perf_counter() + PAINT_TIMEOUT_S
    while len(probe.areas) == before and time.perf_counter() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)


def _drag(app: QApplication, canvas: QWidget, probe: PaintProbe, points: list[QPoint]) -> dict:
    """Press, move through `points` (each move timed until its paint), release (timed until processed)."""
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    app.processEvents()
    out: dict = {"step_s": [], "cpu_s": [], "areas": []}
    for p in points[1:]:
        before = len(probe.areas)
        start, cpu = time.perf_counter(), time.thread_time()
        QApplication.sendEvent(canvas, _move(canvas, p))
        _until_painted(app, probe, before)
        out["step_s"].append(time.perf_counter() - start)
        out["cpu_s"].append(time.thread_time() - cpu)     # the UI thread's own CPU: steady on a busy machine
        out["areas"].append(sum(probe.areas[before:]))
    start = time.perf_counter()
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
    app.processEvents()
    out["release_s"] = time.perf_counter() - start
    return out


def stroke(app: QApplication, win: MainWindow, pixels: np.ndarray, view: str, steps: int, drags: int) -> list[dict]:
    """`drags` brush drags of `steps` moves over a photo at a zoom ("fit" or "100%"), as _drag measures them."""
    doc = Document(pixels)
    win.bridge.attach(doc)
    canvas = win.canvas
    if view == "100%":
        canvas.zoom_actual()
    canvas.repaint()                                   # the first paint builds the zoomed-out levels: not a stroke
    probe = PaintProbe(canvas)
    w, h = canvas.width(), canvas.height()
    runs = []
    for d in range(drags):
        y = 0.3 + 0.4 * d / max(1, drags - 1)
        points = [QPoint(int(w * (0.3 + 0.4 * i / steps)), int(h * (y + 0.05 * i / steps))) for i in range(steps + 1)]
        run = _drag(app, canvas, probe, points)
        run["areas"] = [a / float(w * h) for a in run["areas"]]
        run["scale"] = canvas.view.scale
        runs.append(run)
    canvas.removeEventFilter(probe)
    win.bridge.attach(None)
    return runs


def summary(runs: list[dict]) -> dict:
    step_s = [t for r in runs for t in r["step_s"]]
    return {"median_s": median(step_s), "worst_s": max(step_s), "moves": len(step_s),
            "cpu_median_s": median([t for r in runs for t in r["cpu_s"]]),
            "release_s": median([r["release_s"] for r in runs]), "releases": len(runs), "scale": runs[0]["scale"],
            "max_painted_share": max(a for r in runs for a in r["areas"])}


def brush_latency(app: QApplication, win: MainWindow, sizes: list[str], steps: int, drags: int) -> dict:
    """Drags on every size and zoom, in one order and then the reverse: what runs first pays for cold caches."""
    photos = {size: group_photo(*_size(size), faces=1)[0] for size in sizes}
    stroke(app, win, group_photo(640, 480, faces=1)[0], "fit", 4, 1)   # untimed: first paints, first calls
    runs: dict[str, list[dict]] = {}
    for order in (sizes, sizes[::-1]):
        for size in order:
            for view in ("fit", "100%"):
                runs.setdefault(f"{size} {view}", []).extend(stroke(app, win, photos[size], view, steps, drags))
    return {key: summary(value) for key, value in runs.items()}


def _wait_jobs(win: MainWindow) -> None:
    if not win.runner.busy:
        return
    loop = QEventLoop()
    win.runner.busy_changed.connect(lambda busy: None if busy else loop.quit())
    QTimer.singleShot(JOB_TIMEOUT_S * 1000, loop.quit)
    loop.exec()


def _run_loop(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def jobs_gap(win: MainWindow, pixels: np.ndarray) -> dict:
    """The UI thread's worst gap while detection, masking and the fill run on a photo, as a user would run them."""
    doc = Document(pixels)
    win.bridge.attach(doc)
    times = {}
    with GapMeter() as meter:
        for action in ("detect_faces", "mask_faces", "inpaint"):
            start = time.perf_counter()
            win.commands[action].trigger()
            _wait_jobs(win)
            times[action] = time.perf_counter() - start
            # A user clicks the next command later; a gap is measured by the tick that ends it.
            _run_loop(SETTLE_MS)
    result = {"max_gap_s": meter.max_gap, "max_wall_gap_s": meter.max_wall_gap, "ticks": meter.ticks,
              "faces": len(doc.faces), "filled": doc.history.depth >= 2, "job_s": times}
    win.bridge.attach(None)
    return result


def _gap_of(meter: GapMeter) -> dict:
    return {"max_gap_s": meter.max_gap, "max_wall_gap_s": meter.max_wall_gap, "ticks": meter.ticks}


def _timed_command(win: MainWindow, action: str) -> tuple[dict, float]:
    """Trigger a window command and wait for its jobs: the UI thread's gaps meanwhile, and the seconds it took."""
    with GapMeter() as meter:
        start = time.perf_counter()
        win.commands[action].trigger()
        _wait_jobs(win)
        took = time.perf_counter() - start
    return _gap_of(meter), took


def cold_detect_gap(win: MainWindow, pixels: np.ndarray) -> dict:
    """The UI thread's worst gap during the first Detect Faces after the face-model process starts: the child loads
    dlib's models (seconds of GIL) while the window's worker waits for its landmarks."""
    model_host.disable_isolation()
    isolate_face_models()                               # a fresh child, loading its models from now on
    doc = Document(pixels)
    win.bridge.attach(doc)
    gap, took = _timed_command(win, "detect_faces")
    result = {**gap, "job_s": took, "faces": len(doc.faces),
              "landmarks": sum(f.landmarks68 is not None for f in doc.faces)}
    win.bridge.attach(None)
    return result


def fill_gap(win: MainWindow, size: tuple[int, int]) -> dict:
    """The UI thread's worst gap while the classical engine fills a wide band of a photo of `size` (OpenCV's FSR:
    seconds of work in the worker at 2048 x 2048)."""
    w, h = size
    doc = Document(group_photo(w, h, faces=1)[0])
    win.bridge.attach(doc)
    y0, y1, x0, x1 = (round(f * n) for f, n in zip(FILL_BAND, (h, h, w, w)))
    doc.add_to_mask(Rect(x0, y0, x1, y1), np.full((y1 - y0, x1 - x0), 255, np.uint8), "band")
    combo = win.options.engine_combo
    combo.setCurrentIndex(combo.findData(FILL_ENGINE))
    gap, took = _timed_command(win, "inpaint")
    result = {**gap, "job_s": took, "engine": win.options.engine, "size": [w, h], "hole": [x1 - x0, y1 - y0],
              "filled": not doc.has_mask}
    win.bridge.attach(None)
    return result


def busy_job_gap(win: MainWindow, steps: int) -> dict:
    """The UI thread's worst gap while a job holds the GIL in pure Python for most of each of `steps` steps: the UI
    thread gets the interpreter only when it switches threads."""
    done: list = []
    with GapMeter() as meter:
        start = time.perf_counter()
        win.runner.submit("Crunching", gil_heavy_job(steps, done), lambda result: None)
        _wait_jobs(win)
        took = time.perf_counter() - start
    return {**_gap_of(meter), "job_s": took, "steps": steps, "steps_done": len(done)}


def mask_ops_gap(win: MainWindow, size: tuple[int, int]) -> dict:
    """The UI thread's worst gap during each mask operation on a photo of `size` with a square selected in its
    middle (a sixth of the shorter side), and during the undo of the last one (Clear)."""
    w, h = size
    yy, xx = np.mgrid[0:h:8, 0:w:8]
    coarse = np.stack([xx % 256, yy % 256, (xx + yy) % 256], -1).astype(np.uint8)
    doc = Document(np.ascontiguousarray(np.repeat(np.repeat(coarse, 8, 0), 8, 1)[:h, :w]))
    win.bridge.attach(doc)
    side = min(w, h) // 6
    x0, y0 = (w - side) // 2, (h - side) // 2
    doc.add_to_mask(Rect(x0, y0, x0 + side, y0 + side), np.full((side, side), 255, np.uint8), "blob")
    ops: dict[str, list[dict]] = {}
    for name in MASK_OPERATIONS:
        with GapMeter() as meter:
            start = time.perf_counter()
            win.commands[name].trigger()
            _wait_jobs(win)
            took = time.perf_counter() - start
            _run_loop(30)                                # the repaint of the changed area
        ops.setdefault(name, []).append({"max_gap_s": meter.max_gap, "max_wall_gap_s": meter.max_wall_gap,
                                         "job_s": took})
    with GapMeter() as meter:
        win.commands.undo.trigger()
        _run_loop(30)
    undo = {"max_gap_s": meter.max_gap, "max_wall_gap_s": meter.max_wall_gap}
    restored = bool(doc.has_mask)
    win.bridge.attach(None)
    worst = {name: max(r["max_gap_s"] for r in runs) for name, runs in ops.items()}
    return {"size": [w, h], "operations": ops, "worst_gap_s": worst, "max_gap_s": max(worst.values()),
            "undo_clear": undo, "undo_restored": restored}


def _size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="4000x3000,8660x5780", help="photo sizes for the brush, WxH,WxH")
    parser.add_argument("--steps", type=int, default=40, help="mouse moves per brush drag")
    parser.add_argument("--drags", type=int, default=2, help="brush drags per photo size and zoom, in each order")
    parser.add_argument("--gap-size", default="4000x3000", help="photo size for the job gap, WxH")
    parser.add_argument("--faces", type=int, default=8)
    parser.add_argument("--mask-size", default="6000x4000", help="photo size for the mask operations, WxH")
    parser.add_argument("--fill-size", default="2048x2048", help="photo size for the classical fill, WxH")
    parser.add_argument("--busy-steps", type=int, default=60, help="steps of the GIL-holding job (~15 ms each)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    errors: list[str] = []
    dialogs.show_error = lambda parent, message, details=None: errors.append(message)   # never a modal dialog
    app = create_app([])
    isolate_face_models()                              # as the app does: dlib answers from a child process
    with tempfile.TemporaryDirectory() as tmp:
        win = MainWindow(QSettings(str(Path(tmp) / "bench.ini"), QSettings.Format.IniFormat))
        win.resize(*WINDOW)
        win.show()
        QTest.qWaitForWindowExposed(win)
        brush = brush_latency(app, win, args.sizes.split(","), args.steps, args.drags)
        pixels, _ = group_photo(*_size(args.gap_size), faces=args.faces)
        gap = jobs_gap(win, pixels)
        cold = cold_detect_gap(win, pixels)
        fill = fill_gap(win, _size(args.fill_size))
        busy = busy_job_gap(win, args.busy_steps)
        mask_ops = mask_ops_gap(win, _size(args.mask_size))
        win.close()
        win.runner.shutdown()
    args.out.write_text(json.dumps({"brush": brush, "jobs": gap, "cold_detect": cold, "fill": fill, "busy_job": busy,
                                    "mask_ops": mask_ops, "errors": errors, "peak_rss_kib": peak_rss_kib(),
                                    "window": WINDOW}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
