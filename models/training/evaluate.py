"""Evaluate on validation identities: the inpainter beside the L1-only model, OpenCV Telea and FSR; the segmenter.

Inpainting metrics follow the paper: on the whole 256x256 composite, SSIM (skimage, 11x11 window, RGB),
PSNR (skimage, RGB) and L1 (grayscale, / 255); and the same on the hole alone (SSIM map and errors averaged
over hole pixels). Beyond them (inpaint_quality.py): the texture ratio in the hole (output / truth, 1 = as
sharp as the photo), LPIPS (VGG16) of the whole composite when its training-only weights are cached, and with
--recognition the top-1 identification by dlib and FaceNet among the other validation photos, for the masked
photo untouched, each method and the original. Pairs are the fixed validation pairs of
dataset.validation_pairs. `--inpainter` may be an .onnx or a training checkpoint (.pt).

    nice -n 19 .venv/bin/python -m models.training.evaluate --what inpainting --count 200 --fsr-count 0 \
        --recognition
    nice -n 19 .venv/bin/python -m models.training.evaluate --count 200 --fsr-count 60
    nice -n 19 .venv/bin/python -m models.training.evaluate --real-photos DIR   # segmenter on real photos
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import onnxruntime as ort
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from editor.core.atomic import atomic_write_bytes
from models.training.align import ALIGNED_SIZE, alignment_matrix
from models.training.dataset import FaceCache, Pair, validation_pairs, validation_subset
from models.training.manifest import update_manifest
from models.training.inpaint_quality import LpipsScorer, embed, texture_ratio, top1_recognition
from models.training.synth_masks import MaskLibrary

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "models" / "manifest.json"
BASELINE = REPO / "models" / "training" / "baselines" / "mcsam_l1_step6201.onnx"
Inpaint = Callable[[np.ndarray, np.ndarray], np.ndarray]     # (masked RGB uint8, hole bool) -> RGB uint8


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_inpainter(path: Path) -> Inpaint:
    net = session(path)

    def run(masked: np.ndarray, hole: np.ndarray) -> np.ndarray:
        image = masked.transpose(2, 0, 1)[None].astype(np.float32) / 255.0
        out = net.run(None, {"image": image, "mask": hole[None, None].astype(np.float32)})[0][0]
        return np.round(out.transpose(1, 2, 0) * 255.0).astype(np.uint8)
    return run


def checkpoint_inpainter(path: Path) -> Inpaint:
    """A training checkpoint (.pt: a run's last.pt or a published one) run in torch, before any export."""
    import torch

    from models.training.checkpoints import build_from_checkpoint
    from models.training.nets import InpainterConfig, MCSAMInpainter

    torch.set_num_threads(2)
    model, _ = build_from_checkpoint(path, lambda config: MCSAMInpainter(InpainterConfig(**config)))
    model.eval()

    def run(masked: np.ndarray, hole: np.ndarray) -> np.ndarray:
        image = torch.from_numpy(masked.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)
        with torch.no_grad():
            out = model(image, torch.from_numpy(hole[None, None].astype(np.float32)))[0].numpy()
        return np.round(out.transpose(1, 2, 0) * 255.0).astype(np.uint8)
    return run


def inpainter(path: Path) -> Inpaint:
    return checkpoint_inpainter(path) if path.suffix == ".pt" else onnx_inpainter(path)


def telea(masked: np.ndarray, hole: np.ndarray) -> np.ndarray:
    return cv2.inpaint(masked, hole.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)


def fsr(masked: np.ndarray, hole: np.ndarray) -> np.ndarray:
    out = np.zeros_like(masked)
    cv2.xphoto.inpaint(masked, (~hole).astype(np.uint8) * 255, out, cv2.xphoto.INPAINT_FSR_FAST)  # 0 = missing
    return out


def pair_metrics(result: np.ndarray, truth: np.ndarray, hole: np.ndarray) -> dict[str, float]:
    ssim, ssim_map = structural_similarity(truth, result, win_size=11, channel_axis=2, data_range=255, full=True)
    gray_err = np.abs(cv2.cvtColor(truth, cv2.COLOR_RGB2GRAY).astype(np.float64)
                      - cv2.cvtColor(result, cv2.COLOR_RGB2GRAY).astype(np.float64)) / 255.0
    hole_mse = np.mean((truth[hole].astype(np.float64) - result[hole].astype(np.float64)) ** 2)
    return {"ssim": float(ssim), "psnr": float(peak_signal_noise_ratio(truth, result, data_range=255)),
            "l1": float(gray_err.mean()), "hole_ssim": float(ssim_map.mean(axis=2)[hole].mean()),
            "hole_psnr": float(10 * np.log10(255.0 ** 2 / max(hole_mse, 1e-10))),
            "hole_l1": float(gray_err[hole].mean()), "texture": texture_ratio(result, truth, hole)}


def evaluate_inpainting(pairs: list[Pair], method: Inpaint, lpips: LpipsScorer | None = None
                        ) -> tuple[dict[str, float], list[np.ndarray]]:
    """Mean metrics over the pairs, and the composites (for recognition)."""
    rows, composites, seconds = [], [], 0.0
    for p in pairs:
        start = time.perf_counter()
        result = method(p.masked, p.hole)
        seconds += time.perf_counter() - start
        composite = np.where(p.hole[..., None], result, p.face)        # known pixels stay exact
        rows.append(pair_metrics(composite, p.face, p.hole))
        composites.append(composite)
    out = {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]}
    if lpips is not None and lpips.available:
        out["lpips_vgg"] = float(lpips(composites, [p.face for p in pairs]).mean())
    out["ms_per_face"] = seconds / len(pairs) * 1e3                     # the method alone, on a busy machine
    out["faces"] = len(pairs)
    return out, composites


def recognition_rows(cache: FaceCache, val_idx: np.ndarray, chosen: np.ndarray, pairs: list[Pair],
                     outputs: dict[str, list[np.ndarray]]) -> dict[str, dict[str, float]]:
    """Top-1 identification (dlib, FaceNet) of the masked photo, each method's output and the original.

    Gallery: every validation photo, unmasked; each probe's own photo is left out of its search. All chips
    are cut on the original's landmarks.
    """
    from editor.anonymize.recognizers import default_recognizers

    marks = [cache.landmarks[i] for i in chosen]
    rows_in_gallery = np.searchsorted(val_idx, chosen)
    probes = {"masked": [p.masked for p in pairs], **outputs, "original": [p.face for p in pairs]}
    table: dict[str, dict[str, float]] = {name: {} for name in probes}
    for recognizer in default_recognizers():
        gallery = embed(recognizer, [cache.images[i] for i in val_idx], [cache.landmarks[i] for i in val_idx])
        for name, faces in probes.items():
            vectors = embed(recognizer, faces, marks)
            table[name][recognizer.name] = top1_recognition(vectors, rows_in_gallery, gallery,
                                                            cache.identity[val_idx])
        print(f"recognition by {recognizer.name}: " + ", ".join(f"{n} {t[recognizer.name]:.1%}"
                                                                for n, t in table.items()), flush=True)
    return table


def segmenter_iou(pairs: list[Pair], path: Path) -> dict[str, float]:
    net = session(path)
    scores = []
    for p in pairs:
        prob = net.run(None, {"image": p.masked.transpose(2, 0, 1)[None].astype(np.float32) / 255.0})[0][0, 0]
        pred = prob > 0.5
        scores.append((pred & p.hole).sum() / max((pred | p.hole).sum(), 1))
    scores = np.array(scores)
    return {"iou_mean": float(scores.mean()), "iou_median": float(np.median(scores)),
            "share_iou_ge_0.9": float((scores >= 0.9).mean()), "faces": len(pairs)}


def real_photo_overlays(folder: Path, segmenter: Path, out: Path) -> None:
    """Align every face of every photo in `folder` by YuNet's 5 points (as the app does) and save overlays."""
    detector = cv2.FaceDetectorYN.create(str(REPO / "models" / "face_detection_yunet_2026may.onnx"), "", (320, 320))
    net = session(segmenter)
    tiles = []
    for photo in sorted(folder.iterdir()):
        bgr = cv2.imread(str(photo))
        if bgr is None:
            continue
        detector.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, rows = detector.detect(bgr)
        for row in rows if rows is not None else []:
            matrix = alignment_matrix(row[4:14].reshape(5, 2))
            face = cv2.cvtColor(cv2.warpAffine(bgr, matrix, (ALIGNED_SIZE,) * 2, flags=cv2.INTER_CUBIC,
                                               borderMode=cv2.BORDER_REFLECT101), cv2.COLOR_BGR2RGB)
            prob = net.run(None, {"image": face.transpose(2, 0, 1)[None].astype(np.float32) / 255.0})[0][0, 0]
            tile = face.copy()
            tile[prob > 0.5] = (0.5 * tile[prob > 0.5] + [0, 127, 0]).astype(np.uint8)
            tiles.append(tile)
            print(f"{photo.name}: face at {row[:4].round().tolist()}, mask covers {(prob > 0.5).mean():.1%}")
    if tiles:
        cv2.imwrite(str(out), cv2.cvtColor(np.concatenate(tiles, axis=1), cv2.COLOR_RGB2BGR))
        print(f"overlays: {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--faces", type=Path, default=REPO / "data" / "faces256.npz")
    ap.add_argument("--inpainter", type=Path, default=REPO / "models" / "mcsam_inpainter.onnx",
                    help="the model to judge: .onnx, or a training checkpoint .pt")
    ap.add_argument("--baseline", type=Path, default=BASELINE, help="the L1-only model, reported beside it")
    ap.add_argument("--recognition", action="store_true",
                    help="top-1 identification by dlib and FaceNet among the other validation photos")
    ap.add_argument("--segmenter", type=Path, default=REPO / "models" / "mask_segmenter.onnx")
    ap.add_argument("--count", type=int, default=200, help="validation faces (0 = all)")
    ap.add_argument("--fsr-count", type=int, default=50, help="faces for FSR, which takes seconds per face")
    ap.add_argument("--out", type=Path, default=REPO / "runs" / "eval" / "metrics.json")
    ap.add_argument("--what", choices=["all", "segmenter", "inpainting"], default="all")
    ap.add_argument("--manifest", action="store_true", help="write the numbers into models/manifest.json")
    ap.add_argument("--real-photos", type=Path, help="folder of real photos of people wearing masks")
    ap.add_argument("--from-report", type=Path,
                    help="with --manifest: write the numbers of a saved report (--out of an earlier run), run nothing")
    args = ap.parse_args()
    if args.from_report:
        report = json.loads(args.from_report.read_text())
        print_table(report)
        if args.manifest:
            write_manifest_metrics(report)
        return
    cv2.setNumThreads(2)
    if args.real_photos:
        real_photo_overlays(args.real_photos, args.segmenter, Path("/tmp/veil_real_mask_overlays.png"))
        return
    report = evaluate_models(args.faces, args.data, args.what, args.count, args.fsr_count, args.inpainter,
                             args.baseline, args.segmenter, args.recognition)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(args.out, (json.dumps(report, indent=1) + "\n").encode())
    print_table(report)
    if "segmenter" in report:
        print("segmenter:", report["segmenter"])
    print(f"written {args.out}")
    if args.manifest:
        write_manifest_metrics(report)


def evaluate_models(faces: Path, data: Path, what: str, count: int, fsr_count: int, inpainter_path: Path,
                    baseline: Path, segmenter: Path, recognition: bool) -> dict[str, dict]:
    """The report: the segmenter's IoU (`what` "all" or "segmenter") and each inpainting method's metrics ("all"
    or "inpainting") on `count` fixed validation pairs (0 = all), FSR on `fsr_count` of them; models whose file
    is missing are left out."""
    cache = FaceCache.load(faces)
    _, val_idx = cache.split()
    count = min(count or len(val_idx), len(val_idx))
    pairs = validation_pairs(cache, val_idx, MaskLibrary(data / "mask-templates"), count)
    chosen = validation_subset(val_idx, count)                       # the faces of `pairs`
    spread = lambda n: [pairs[i] for i in np.linspace(0, len(pairs) - 1, min(n, len(pairs))).round().astype(int)]
    report: dict[str, dict] = {}
    if segmenter.exists() and what != "inpainting":
        report["segmenter"] = segmenter_iou(pairs, segmenter)
    methods: dict[str, tuple[Inpaint, list[Pair]]] = {"telea": (telea, pairs)}
    if fsr_count:
        methods["fsr_fast"] = (fsr, spread(fsr_count))
    if baseline.exists():
        methods = {"mcsam_l1": (onnx_inpainter(baseline), pairs), **methods}
    if inpainter_path.exists():
        methods = {"mcsam": (inpainter(inpainter_path), pairs), **methods}
        if fsr_count:
            methods["mcsam_on_fsr_faces"] = (methods["mcsam"][0], spread(fsr_count))
    lpips = LpipsScorer() if what != "segmenter" else None
    if lpips is not None and not lpips.available:
        print(f"LPIPS left out: {lpips.reason} (python -m models.training.lpips_weights fetches it)")
    outputs: dict[str, list[np.ndarray]] = {}
    for name, (method, subset) in methods.items() if what != "segmenter" else ():
        report[name], composites = evaluate_inpainting(subset, method, lpips)
        if subset is pairs:
            outputs[name] = composites
        print(f"{name}: done", flush=True)
    if recognition and outputs:
        for name, row in recognition_rows(cache, val_idx, chosen, pairs, outputs).items():
            report.setdefault(name, {})["top1"] = row
    return report


def print_table(report: dict[str, dict]) -> None:
    keys = ["psnr", "ssim", "l1", "texture", "lpips_vgg", "hole_psnr", "hole_ssim", "hole_l1", "ms_per_face"]
    print("| method | " + " | ".join(keys) + " | top-1 dlib | top-1 FaceNet | faces |")
    for name, row in report.items():
        if name == "segmenter":
            continue
        cells = [f"{row[k]:.4f}" if k in row else "-" for k in keys]
        top1 = row.get("top1", {})
        cells += [f"{top1[r]:.1%}" if r in top1 else "-" for r in ("dlib", "facenet")]
        print(f"| {name} | " + " | ".join(cells) + f" | {row.get('faces', '-')} |")


def write_manifest_metrics(report: dict[str, dict], manifest: Path = MANIFEST) -> None:
    """The evaluation's numbers as the 'metrics' of the two rows of `manifest` (validation identities, split.json)."""
    where = "CelebA validation identities (models/training/split.json), synthetic masks, fixed seed"
    def rounded(row: dict) -> dict:
        return {k: round(v, 4) if isinstance(v, float) else rounded(v) if isinstance(v, dict) else v
                for k, v in row.items()}
    if "segmenter" in report:
        update_manifest(manifest, "mask_segmenter", {"metrics": {"set": where, **rounded(report["segmenter"])}})
    if "mcsam" in report:
        metrics = {"set": where, "protocol": "whole 256x256 composite: skimage SSIM (win 11, RGB), PSNR (RGB), "
                   "L1 on grayscale / 255; hole_*: the same over hole pixels; texture: mean |Laplacian| in the hole "
                   "eroded 2 px, output / truth; lpips_vgg: LPIPS (VGG16) of the composite; top1: identified "
                   "among the other validation photos, chips on the original's landmarks",
                   **rounded(report["mcsam"]),
                   "baselines": {k: rounded(v) for k, v in report.items() if k not in ("segmenter", "mcsam")}}
        update_manifest(manifest, "mcsam_inpainter", {"metrics": metrics})


if __name__ == "__main__":
    main()
