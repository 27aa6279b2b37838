"""Veil's performance table: models, baselines, end to end, big photos and the window, in one run (`make bench`).

    .venv/bin/python bench/run_all.py                       # the full run (about 5 minutes on 2 cores)
    .venv/bin/python bench/run_all.py --device cuda         # also the CUDA rows (fails without a working CUDA)
    .venv/bin/python bench/run_all.py --quick --json r.json # tiny inputs, one run each: checks the bench itself

Every ONNX model in models/manifest.json is timed (read at run time, so a new model gets its rows without a code
change). End-to-end scenarios, the 50 MP opens and the window each run in a fresh process, so each peak RSS is
that scenario's own. Times are medians of several runs; ratios (Veil / baseline) are printed next to them because
a shared machine is noisy, and the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from model_latency import detection_rows, inpainting_rows, model_rows  # noqa: E402
from photos import SIZES_MP, group_photo, write_photo  # noqa: E402
from report import (NOT_RUN, Row, load_average, machine, markdown, mib, ms, ratio, rows_json,  # noqa: E402
                    run_child, secs, verdict)
from scenarios import FLOW_SERVICES  # noqa: E402

from editor.services.inpainting import FACE_AWARE_ENGINE  # noqa: E402

QUICK_SIZES = {"12 MP": (400, 300), "24 MP": (600, 400), "50 MP": (1280, 960)}
FILL_SIZE, QUICK_FILL_SIZE = (2048, 2048), (512, 512)     # the classical fill's photo, with a 900 x 260 px band
BUSY_STEPS, QUICK_BUSY_STEPS = 60, 12                     # of the GIL-holding job, about 15 ms each
FACE_COUNTS = (1, 8)
FLOW_LABELS = {"inpaint": "mask faces + fill (`{engine}`)", "anonymize": "anonymize every face (verified)",
               "unmask": "remove face masks"}
QUICK_ENGINE = "telea"      # --quick checks the bench, not the engine: the fastest fill keeps it short
E2E_TARGET_S = 4.0          # 12 MP, 8 faces anonymized, 2 cores
OPEN_TARGET_S = 3.0         # 50 MP
STROKE_TARGET_S = 0.030
UI_GAP_TARGET_S = 0.050     # DESIGN.md: the UI thread never blocks for more than ~50 ms
RSS_TARGET_KIB = 2.5 * 1024 * 1024


def _size_label(name: str, size: tuple[int, int]) -> str:
    """"12 MP (4000x3000)", or the real size of a --quick stand-in."""
    w, h = size
    return f"{name} ({w}x{h})" if SIZES_MP[name] == size else f"{w * h / 1e6:.1f} MP ({w}x{h}, --quick)"


def _scenario(flow: str, photo: Path, engine: str, repeats: int, out: Path, previous: dict) -> dict:
    """The scenario's result from its own process, or {"unavailable": why} when its input data is missing."""
    if "unavailable" in previous:
        return previous                                     # the 1-face run already found the data missing
    return run_child("scenarios.py", ["e2e", "--photo", str(photo), "--flow", flow, "--engine", engine,
                                      "--repeats", str(repeats)], out)


def _e2e_pair(key: str, measure: str, target: str, result: dict) -> list[Row]:
    """The end-to-end row and the peak RSS row of one scenario."""
    rss_target = f"≤ {mib(RSS_TARGET_KIB)}"
    if "unavailable" in result:
        return [Row(f"e2e.{key}", "end to end", measure, NOT_RUN, result["unavailable"], target=target),
                Row(f"rss.{key}", "peak RSS", f"the process running: {measure}", NOT_RUN, result["unavailable"],
                    target=rss_target)]
    steps = ", ".join(f"{k} {v:.2f}" for k, v in result["steps"].items())
    total, rss = result["total"], result["peak_rss_kib"]
    detail = (f"steps (s): {steps}; faces found {result['faces_found']}; warm-up on the portrait (models load) "
              f"before: {secs(result['model_load'])}")
    return [Row(f"e2e.{key}", "end to end", measure, secs(total), detail, "", target,
                verdict(total, E2E_TARGET_S) if target else "", result),
            Row(f"rss.{key}", "peak RSS", f"the process running: {measure}", mib(rss), target=rss_target,
                meets=verdict(rss, RSS_TARGET_KIB), data={"kib": rss})]


def e2e_rows(sizes: dict, repeats: int, engine: str, tmp: Path) -> list[Row]:
    """open + detect + flow + export on the 12 MP photo with 1 and 8 faces, each scenario in its own process."""
    size = sizes["12 MP"]
    photos = {n: write_photo(tmp / f"group_{n}.jpg", group_photo(*size, faces=n)[0]) for n in FACE_COUNTS}
    rows: list[Row] = []
    for flow in ("inpaint", *FLOW_SERVICES):
        result: dict = {}
        for n in FACE_COUNTS:
            what = f"{_size_label('12 MP', size)}, {n} face{'s' if n > 1 else ''}"
            measure = f"open + detect + {FLOW_LABELS[flow].format(engine=engine)} + export JPEG, {what}"
            target = f"≤ {secs(E2E_TARGET_S)} (2 cores)" if flow == "anonymize" and n == 8 else ""
            result = _scenario(flow, photos[n], engine, repeats, tmp / f"e2e_{flow}_{n}.json", result)
            rows += _e2e_pair(f"{flow}.{n}", measure, target, result)
    return rows


def open_rows(sizes: dict, repeats: int, tmp: Path) -> list[Row]:
    """Veil's open (decode, checks, document) of a 50 MP JPEG and PNG against a bare cv2.imread."""
    size = sizes["50 MP"]
    pixels, _ = group_photo(*size, faces=1)
    rows = []
    for fmt, ext in (("JPEG", ".jpg"), ("PNG", ".png")):
        path = write_photo(tmp / f"big{ext}", pixels)
        result = run_child("scenarios.py", ["open", "--photo", str(path), "--repeats", str(repeats)],
                           tmp / f"open_{fmt}.json")
        veil, base = result["veil"], result["cv2_imread"]
        what = f"open a {_size_label('50 MP', size)} {fmt} ({path.stat().st_size / 1e6:.0f} MB)"
        rows.append(Row(f"open.{fmt.lower()}", "big photos", what, secs(veil), f"cv2.imread: {secs(base)}",
                        ratio(veil, base), f"≤ {secs(OPEN_TARGET_S)} (2 cores)", verdict(veil, OPEN_TARGET_S),
                        result))
        rss = result["peak_rss_kib"]
        rows.append(Row(f"rss.open.{fmt.lower()}", "peak RSS", f"the process running: {what}", mib(rss),
                        target=f"≤ {mib(RSS_TARGET_KIB)}", meets=verdict(rss, RSS_TARGET_KIB), data={"kib": rss}))
        path.unlink()
    return rows


def ui_rows(sizes: dict, steps: int, drags: int, faces: int, fill: tuple[int, int], busy_steps: int,
            tmp: Path) -> list[Row]:
    """Brush stroke latency on 12 MP vs 50 MP and the event loop's worst gap during jobs and mask operations, in an
    offscreen window."""
    small, mask, big = (f"{w}x{h}" for w, h in (sizes["12 MP"], sizes["24 MP"], sizes["50 MP"]))
    result = run_child("ui_latency.py", ["--sizes", f"{small},{big}", "--gap-size", small, "--steps", str(steps),
                                         "--drags", str(drags), "--faces", str(faces), "--mask-size", mask,
                                         "--fill-size", "{}x{}".format(*fill), "--busy-steps", str(busy_steps)],
                       tmp / "ui.json")
    rows = []
    big_label, small_label = _size_label("50 MP", sizes["50 MP"]), _size_label("12 MP", sizes["12 MP"])
    for view in ("fit", "100%"):
        s, b = result["brush"][f"{small} {view}"], result["brush"][f"{big} {view}"]
        key = view.rstrip("%")
        cpu = ratio(b["cpu_median_s"], s["cpu_median_s"])
        # Zoomed to fit, the same drag on screen covers more photo pixels (dabs, undo tiles) on the bigger photo.
        reach = s["scale"] / b["scale"]
        expected = "ratio ≈ 1" if view == "100%" else \
            f"ratio ≤ {reach:.1f} (the drag covers {reach:.1f}x the pixels)"
        rows.append(Row(f"ui.stroke.{key}", "window",
                        f"brush stroke step, mouse event → canvas painted, {big_label}, zoom {view} "
                        f"(median of {b['moves']} moves, worst in brackets)",
                        f"{ms(b['median_s'])} ({ms(b['worst_s'])})",
                        f"{small_label}: {ms(s['median_s'])} ({ms(s['worst_s'])})",
                        f"{ratio(b['median_s'], s['median_s'])} (UI-thread CPU {cpu})",
                        f"≤ {ms(STROKE_TARGET_S)}; {expected}", verdict(b["median_s"], STROKE_TARGET_S),
                        {"big": b, "small": s}))
        rows.append(Row(f"ui.release.{key}", "window",
                        f"end of a stroke (its undo step recorded), {big_label}, zoom {view} "
                        f"(median of {b['releases']})",
                        ms(b["release_s"]), f"{small_label}: {ms(s['release_s'])}",
                        ratio(b["release_s"], s["release_s"]), f"≤ {ms(STROKE_TARGET_S)}; {expected}",
                        verdict(b["release_s"], STROKE_TARGET_S)))
    painted = max(v["max_painted_share"] for v in result["brush"].values())
    rows.append(Row("ui.painted", "window", "largest canvas area repainted by one stroke step (any size, any zoom)",
                    f"{100 * painted:.1f}% of the canvas", target="a small part", meets=verdict(painted, 0.25)))
    gap = result["jobs"]
    jobs = ", ".join(f"{k} {v:.2f}" for k, v in gap["job_s"].items())
    rows.append(Row("ui.gap", "window",
                    f"UI event loop's worst gap while Detect Faces, Mask Selected Faces and Fill run, "
                    f"{small_label}, {gap['faces']} faces (CPU-wait excluded)",
                    ms(gap["max_gap_s"]), f"wall-clock: {ms(gap['max_wall_gap_s'])}; jobs (s): {jobs}", "",
                    f"≤ {ms(UI_GAP_TARGET_S)}", verdict(gap["max_gap_s"], UI_GAP_TARGET_S), gap))
    cold = result["cold_detect"]
    rows.append(Row("ui.cold_detect", "window",
                    f"UI event loop's worst gap during the first Detect Faces after the face-model process starts "
                    f"(dlib loads in it meanwhile), {small_label}, {cold['faces']} faces (CPU-wait excluded)",
                    ms(cold["max_gap_s"]), f"wall-clock: {ms(cold['max_wall_gap_s'])}; job: {secs(cold['job_s'])}",
                    "", f"≤ {ms(UI_GAP_TARGET_S)}", verdict(cold["max_gap_s"], UI_GAP_TARGET_S), cold))
    filled = result["fill"]
    rows.append(Row("ui.fill", "window",
                    f"UI event loop's worst gap while `{filled['engine']}` fills a {filled['hole'][0]} x "
                    f"{filled['hole'][1]} px band of a {filled['size'][0]} x {filled['size'][1]} photo "
                    f"(CPU-wait excluded)", ms(filled["max_gap_s"]),
                    f"wall-clock: {ms(filled['max_wall_gap_s'])}; job: {secs(filled['job_s'])}", "",
                    f"≤ {ms(UI_GAP_TARGET_S)}", verdict(filled["max_gap_s"], UI_GAP_TARGET_S), filled))
    busy = result["busy_job"]
    rows.append(Row("ui.busy_job", "window",
                    f"UI event loop's worst gap while a job holds the GIL in pure Python for most of each of its "
                    f"{busy['steps']} steps (CPU-wait excluded)", ms(busy["max_gap_s"]),
                    f"wall-clock: {ms(busy['max_wall_gap_s'])}; job: {secs(busy['job_s'])}", "",
                    f"≤ {ms(UI_GAP_TARGET_S)}", verdict(busy["max_gap_s"], UI_GAP_TARGET_S), busy))
    if not filled["filled"]:
        result["errors"].append(f"the {filled['engine']} fill left the mask in place")
    if busy["steps_done"] != busy["steps"]:
        result["errors"].append(f"the GIL-holding job did {busy['steps_done']} of its {busy['steps']} steps")
    masks = result["mask_ops"]
    mask_label = _size_label("24 MP", sizes["24 MP"])
    worst = ", ".join(f"{name.removesuffix('_mask')} {ms(s)}" for name, s in masks["worst_gap_s"].items())
    rows.append(Row("ui.mask_ops", "window",
                    f"UI event loop's worst gap while Invert, Grow, Shrink, Feather and Clear run on the mask of a "
                    f"{mask_label} photo (CPU-wait excluded)", ms(masks["max_gap_s"]), f"each: {worst}", "",
                    f"≤ {ms(UI_GAP_TARGET_S)}", verdict(masks["max_gap_s"], UI_GAP_TARGET_S), masks))
    undo = masks["undo_clear"]
    rows.append(Row("ui.mask_undo", "window",
                    f"UI event loop's worst gap while Clear of that mask is undone (tiles written back on the UI "
                    f"thread), {mask_label}", ms(undo["max_gap_s"]), f"wall-clock: {ms(undo['max_wall_gap_s'])}", "",
                    f"≤ {ms(UI_GAP_TARGET_S)}", verdict(undo["max_gap_s"], UI_GAP_TARGET_S), undo))
    if not masks["undo_restored"]:
        result["errors"].append("undoing Clear did not bring the mask back")
    if result["errors"]:
        raise RuntimeError("the window reported: " + "; ".join(result["errors"]))
    return rows


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny inputs and single runs (for the test)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="auto: CUDA rows when CUDA works; cpu: skip them; cuda: require them")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per model (default 20, quick 2)")
    parser.add_argument("--data", type=Path, default=BENCH.parent.parent / "shared" / "data",
                        help="folder holding celeba/ for the detection baseline (default ../shared/data)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows and the machine as JSON")
    args = parser.parse_args(argv)

    from model_latency import cuda_usable

    if args.device == "cuda" and not cuda_usable("cuda"):
        print("--device cuda: ONNX Runtime cannot run on CUDA on this machine.", file=sys.stderr)
        return 2
    quick = args.quick
    repeats = args.repeats or (2 if quick else 20)
    scenario_repeats = 1 if quick else 3
    sizes = QUICK_SIZES if quick else SIZES_MP
    info = machine()
    load_before = load_average()
    print(f"Veil benchmark on {info['cpu']}, {info['cores']} cores; ONNX Runtime {info['onnxruntime']}, "
          f"OpenCV {info['opencv']}; load average before: {load_before}", file=sys.stderr, flush=True)

    started = time.perf_counter()

    def progress(done: str) -> None:
        print(f"  {done} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)

    rows, cpu_b1 = model_rows(args.device, repeats)
    progress("models")
    rows += inpainting_rows(cpu_b1, repeats, quick)
    progress("inpainting baselines")
    rows += detection_rows(args.data, 3 if quick else 200)
    progress("detection baselines")
    with tempfile.TemporaryDirectory(prefix="veil-bench-") as tmp:
        rows += e2e_rows(sizes, scenario_repeats, QUICK_ENGINE if quick else FACE_AWARE_ENGINE, Path(tmp))
        progress("end to end")
        rows += open_rows(sizes, scenario_repeats, Path(tmp))
        progress("big photos")
        rows += ui_rows(sizes, 8 if quick else 40, 1 if quick else 2, 2 if quick else 8,
                        QUICK_FILL_SIZE if quick else FILL_SIZE, QUICK_BUSY_STEPS if quick else BUSY_STEPS, Path(tmp))
        progress("window")
    load_after = load_average()

    command = "python bench/run_all.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"`{command.strip()}` on {info['cpu']}, {info['cores']} cores, {info['system']}; Python {info['python']}, "
          f"ONNX Runtime {info['onnxruntime']}, OpenCV {info['opencv']}. Load average (1, 5, 15 min) before: "
          f"{load_before}; after: {load_after}.\n")
    print(markdown(rows))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "command": command.strip(), "load_before": load_before,
                                         "load_after": load_after, "rows": rows_json(rows)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
