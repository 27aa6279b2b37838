"""Model latency from the manifest (every ONNX model listed, CPU and CUDA, batch 1 and 8) and the baselines:
face inpainting against OpenCV's Telea and FSR, face detection (YuNet) against dlib's HOG detector."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from editor.inpaint.registry import DEFAULT_ENGINE, get_engine
from editor.runtime import device
from editor.runtime.models import load_manifest, model_path
from editor.runtime.onnx_session import create_session

from detection_recall import Bench, photos  # bench/ is on sys.path (run_all.py puts it there)
from photos import aligned_face, celeba_like_portrait, mouth_hole
from report import NO_CUDA, Row, median, ms, ratio, timed, verdict

SIZE = 256
BATCH = 8
INPAINT_TASK = "face-inpainting"
DETECT_TASK = "face-detection"
INPAINT_TARGET_S = 0.150          # 2 CPU cores, one 256 px face
GPU_TARGET_S = 0.005              # H100, per face at batch 1
TELEA_RADIUS = 5                  # the same neighbourhood as Veil's Telea engine

_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64,
           "tensor(uint8)": np.uint8, "tensor(int64)": np.int64, "tensor(int32)": np.int32}


def onnx_models() -> list[tuple[str, dict]]:
    """Every model of models/manifest.json whose file is an ONNX graph, read now: new models need no code change."""
    return [(name, info) for name, info in load_manifest()["models"].items()
            if str(info.get("file", "")).endswith(".onnx")]


def _is_dynamic(dim) -> bool:
    return not isinstance(dim, int)


def batch_is_dynamic(session: ort.InferenceSession) -> bool:
    return all(_is_dynamic(i.shape[0]) for i in session.get_inputs() if i.shape)


def _value(shape: tuple[int, ...], dtype, layout: str) -> np.ndarray:
    """A real input: the portrait's face for 3-channel inputs, a face-mask hole for 1-channel, else zeros."""
    if len(shape) == 4 and shape[1] in (1, 3):
        h, w = shape[2], shape[3]
        if shape[1] == 3:
            plane = cv2.resize(aligned_face(SIZE), (w, h)).astype(np.float32).transpose(2, 0, 1)
        else:
            plane = cv2.resize(mouth_hole(SIZE), (w, h), interpolation=cv2.INTER_NEAREST)[None].astype(np.float32)
        if "0..255" not in layout:
            plane = plane / 255.0
        return np.broadcast_to(plane, shape).astype(dtype)
    return np.zeros(shape, dtype)


def model_feeds(session: ort.InferenceSession, info: dict, batch: int) -> dict[str, np.ndarray]:
    """Inputs at 256 x 256 for every free spatial size, `batch` for a free batch dimension."""
    layouts = {i.get("name"): str(i.get("layout", "")) for i in info.get("inputs", [])}
    feeds = {}
    for inp in session.get_inputs():
        shape = tuple((batch if k == 0 else SIZE) if _is_dynamic(d) else d for k, d in enumerate(inp.shape))
        feeds[inp.name] = _value(shape, _DTYPES.get(inp.type, np.float32), layouts.get(inp.name, ""))
    return feeds


def _latency(session: ort.InferenceSession, feeds: dict, repeats: int, warmup: int) -> float:
    return median(timed(lambda: session.run(None, feeds), repeats, warmup))


def cuda_usable(choice: str) -> bool:
    """Whether CUDA rows can be measured: probed through Veil's own runtime (a real CUDA session)."""
    return choice != "cpu" and device.cuda_works()


def _targets(info: dict, dev: str) -> tuple[str, float | None]:
    """The batch-1 target of a model on a device, as text and as seconds (none for the detector)."""
    if dev == "cuda" and info.get("task") != DETECT_TASK:
        return f"≤ {ms(GPU_TARGET_S)} per face (H100)", GPU_TARGET_S
    if dev == "cpu" and info.get("task") == INPAINT_TASK:
        return f"≤ {ms(INPAINT_TARGET_S)} (2 cores)", INPAINT_TARGET_S
    return "", None


def _model_rows(name: str, info: dict, dev: str, repeats: int) -> list[Row]:
    section, key = f"model `{name}`", f"model.{name}.{dev}"
    on = "CPU" if dev == "cpu" else "CUDA"
    where = f"{on}, {os.cpu_count()} threads" if dev == "cpu" else on
    session, ran_on = create_session(model_path(name), prefer=dev)
    if ran_on != on:
        raise RuntimeError(f"{name} ran on {ran_on}, not {on}")
    one = _latency(session, model_feeds(session, info, 1), repeats, warmup=2 if repeats > 2 else 1)
    target, limit = _targets(info, dev)
    rows = [Row(f"{key}.b1", section, f"{where}, {SIZE}x{SIZE}, batch 1", ms(one), target=target,
                meets=verdict(one, limit) if limit else "", data={"seconds": one})]
    label = f"{where}, batch {BATCH}, per face"
    if not batch_is_dynamic(session):
        rows.append(Row(f"{key}.b{BATCH}", section, label, "n/a (the model's batch is fixed at 1)"))
        return rows
    # A batch takes BATCH times longer: fewer runs (one, without warm-up, for --quick's repeats of 2 or less).
    quick = repeats <= 2
    batched = _latency(session, model_feeds(session, info, BATCH), 1 if quick else max(2, repeats // 2),
                       warmup=0 if quick else 1) / BATCH
    faster = "faster than batch 1" if dev == "cuda" else ""
    rows.append(Row(f"{key}.b{BATCH}", section, label, ms(batched), f"batch 1: {ms(one)}", ratio(batched, one),
                    faster, verdict(batched, one) if faster else "", {"seconds_per_face": batched}))
    return rows


def _missing_cuda_rows(name: str, info: dict, why: str) -> list[Row]:
    section, key = f"model `{name}`", f"model.{name}.cuda"
    target, _ = _targets(info, "cuda")
    return [Row(f"{key}.b1", section, f"CUDA, {SIZE}x{SIZE}, batch 1", why, target=target),
            Row(f"{key}.b{BATCH}", section, f"CUDA, batch {BATCH}, per face", why)]


def model_rows(device_choice: str, repeats: int) -> tuple[list[Row], dict[str, float]]:
    """Rows for every ONNX model on the CPU and on CUDA; also {model: CPU seconds at batch 1} for other rows."""
    rows: list[Row] = []
    cpu_b1: dict[str, float] = {}
    has_cuda = cuda_usable(device_choice)
    for name, info in onnx_models():
        cpu = _model_rows(name, info, "cpu", repeats)
        cpu_b1[name] = cpu[0].data["seconds"]
        rows += cpu
        if has_cuda:
            rows += _model_rows(name, info, "cuda", repeats)
        else:
            rows += _missing_cuda_rows(name, info, "n/a (--device cpu)" if device_choice == "cpu" else NO_CUDA)
    return rows, cpu_b1


def inpainting_rows(cpu_b1: dict[str, float], repeats: int, quick: bool) -> list[Row]:
    """The face model (when it exists), Veil's current classical engine and raw OpenCV on one 256 px face."""
    face, hole = aligned_face(SIZE), mouth_hole(SIZE)
    bgr = cv2.cvtColor(face, cv2.COLOR_RGB2BGR)
    known = np.where(hole > 0, 0, 255).astype(np.uint8)              # xphoto's mask: non-zero = known

    def fsr_fast() -> None:
        cv2.xphoto.inpaint(bgr, known, np.zeros_like(bgr), cv2.xphoto.INPAINT_FSR_FAST)

    # FSR at full size takes seconds a call: fewer runs (one, and no warm-up, for --quick)
    slow_runs, warmup = (1, 0) if quick else (max(1, repeats // 4), 1)
    telea = median(timed(lambda: cv2.inpaint(bgr, hole, TELEA_RADIUS, cv2.INPAINT_TELEA), repeats))
    fsr = median(timed(fsr_fast, slow_runs, warmup))
    engine = get_engine(DEFAULT_ENGINE)
    current = median(timed(lambda: engine.run_region(face, hole), slow_runs, warmup))
    learned = [name for name, info in onnx_models() if info.get("task") == INPAINT_TASK]
    model = cpu_b1.get(learned[0]) if learned else None
    what = f"face {SIZE} px, nose-to-chin hole ({int(np.count_nonzero(hole))} px), CPU"
    model_label = f"Veil face model `{learned[0]}`" if learned else "Veil face model (M-CSAM)"
    veil = ms(model) if model is not None else "n/a (no face-inpainting model in the manifest)"
    target, meets = f"≤ {ms(INPAINT_TARGET_S)} (2 cores)", verdict(model, INPAINT_TARGET_S)
    return [
        Row("inpaint.model_vs_telea", "inpainting", f"{what}: {model_label} vs OpenCV Telea", veil,
            f"Telea: {ms(telea)}", ratio(model, telea), target, meets, {"model_s": model, "telea_s": telea}),
        Row("inpaint.model_vs_fsr", "inpainting", f"{what}: {model_label} vs OpenCV FSR (fast)", veil,
            f"FSR fast: {ms(fsr)}", ratio(model, fsr), target, meets, {"model_s": model, "fsr_fast_s": fsr}),
        Row("inpaint.engine_vs_fsr", "inpainting",
            f"{what}: Veil's classical engine today (`{engine.name}`, a big hole filled downscaled) vs OpenCV FSR "
            "(fast) at full size", ms(current), f"FSR fast: {ms(fsr)}", ratio(current, fsr),
            data={"engine_s": current, "fsr_fast_s": fsr}),
    ]


def _detection_photos(data: Path, count: int) -> tuple[list[np.ndarray], str]:
    """`count` CelebA photos spread over the identities (read at run time, never stored), else the portrait."""
    celeba = data / "celeba"
    if celeba.is_dir():
        files = photos(celeba, None)
        picked = files[:: max(1, len(files) // count)][:count]
        images = [cv2.cvtColor(cv2.imread(str(f), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) for f in picked]
        return images, f"{len(images)} CelebA photos, {images[0].shape[1]}x{images[0].shape[0]}"
    return [celeba_like_portrait()], "the sample portrait, 178x218 (no CelebA found)"


def detection_rows(data: Path, count: int) -> list[Row]:
    """YuNet (Veil) vs dlib HOG per photo, through bench/detection_recall.py's own measuring code."""
    images, what = _detection_photos(data, count)
    bench = Bench(templates=[])
    bench.yunet(images[0]), bench.hog_box(images[0])                # first calls load and size buffers
    yunet = [bench.yunet(im) for im in images]
    hog = [bench.hog_box(im) for im in images]
    y_ms, h_ms = median([t for _, t in yunet]) / 1000, median([t for _, t in hog]) / 1000
    y_found = 100.0 * sum(f is not None for f, _ in yunet) / len(images)
    h_found = 100.0 * sum(f is not None for f, _ in hog) / len(images)
    section = "detection"
    return [
        Row("detect.time", section, f"time per photo, YuNet vs dlib HOG ({what}, median)", ms(y_ms),
            f"HOG: {ms(h_ms)}", ratio(y_ms, h_ms), data={"yunet_s": y_ms, "hog_s": h_ms, "photos": len(images)}),
        Row("detect.found", section, f"faces found, YuNet vs dlib HOG ({what})", f"{y_found:.1f}%",
            f"HOG: {h_found:.1f}%", data={"yunet_found": y_found, "hog_found": h_found}),
    ]
