"""Build models/dlib_recognizer.onnx from dlib's face recognizer (public domain), once, repeatably.

    .venv/bin/python -m models.training.build_dlib_onnx            # build, check against dlib, report
    .venv/bin/python -m models.training.build_dlib_onnx --install  # ... and write the .onnx, its notice numbers
                                                                   #     and its row in models/manifest.json

dlib's `dlib_face_recognition_resnet_model_v1.dat` (inside the installed face-recognition-models package; its
sha256 is pinned) is read in pure Python (dlib_dat.py), the network of dlib's examples/dnn_face_recognition_ex.cpp
(`anet_type`: a 29-convolution ResNet with frozen batch-norm "affine" layers) is built in PyTorch with those
weights, and exported to ONNX (opset 17, dynamic batch, TorchScript exporter: the same bytes on every rebuild with
the same torch). The graph takes the 150 x 150 RGB uint8 chip of `dlib.get_face_chip` as it is and does dlib's
input scaling itself, so the app passes chips straight through.

The check runs dlib itself and the written file through Veil's own session factory on real aligned chips: the
public-domain fixtures, plus CelebA training photos when ../shared/data/celeba is there (used only in memory,
never committed); it reports the largest difference of descriptor components, of the distances between every
two faces, and the time per descriptor of both (batch 1 and 4). Nothing here runs in the app.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from editor.core.atomic import atomic_write_bytes
from editor.core.files import file_sha256

from .conversion_faces import CELEBA, check_photos, first_faces
from .dlib_dat import WRAPPER_INPUT, WRAPPER_LAYER, WRAPPER_TAG, Network, read_network

REPO = Path(__file__).resolve().parents[2]
MODEL_NAME = "dlib_recognizer"
MODEL_FILE = "dlib_recognizer.onnx"
SOURCE_FILE = "dlib_face_recognition_resnet_model_v1.dat"
SOURCE_SHA256 = "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
OPSET = 17
CHIP_SIZE = 150
DESCRIPTOR_SIZE = 128
MAX_COMPONENT_DIFF = 1e-4           # the build refuses a model whose descriptors differ from dlib's by more


# -- the network definition (dlib's examples/dnn_face_recognition_ex.cpp, anet_type), bottom up ------------------
# Steps: ("con", filters, size, stride), ("affine",), ("relu",), ("max_pool", size, stride), ("avg_pool", size,
# stride) with size 0 = over the whole map, ("tag", n), ("skip", n): continue from tag n's output, ("add_prev", n):
# add tag n's output (dlib zero-pads the smaller of the two), ("fc", outputs).

def _block(filters: int, stride: int) -> list[tuple]:
    return [("con", filters, 3, stride), ("affine",), ("relu",), ("con", filters, 3, 1), ("affine",)]


def _ares(filters: int) -> list[tuple]:
    return [("tag", 1), *_block(filters, 1), ("add_prev", 1), ("relu",)]


def _ares_down(filters: int) -> list[tuple]:
    return [("tag", 1), *_block(filters, 2), ("tag", 2), ("skip", 1), ("avg_pool", 2, 2), ("add_prev", 2), ("relu",)]


ANET_STEPS: list[tuple] = [
    ("con", 32, 7, 2), ("affine",), ("relu",), ("max_pool", 3, 2),
    *_ares(32) * 3,                                    # alevel4
    *_ares_down(64), *_ares(64) * 3,                   # alevel3
    *_ares_down(128), *_ares(128) * 2,                 # alevel2
    *_ares_down(256), *_ares(256) * 2,                 # alevel1
    *_ares_down(256),                                  # alevel0
    ("avg_pool", 0, 1), ("fc", DESCRIPTOR_SIZE)]


def expected_wrappers(steps: list[tuple]) -> list[int]:
    """The wrapper versions dlib writes for these steps, top down (see dlib_dat)."""
    out = [WRAPPER_TAG if s[0] in ("tag", "skip") else WRAPPER_LAYER for s in reversed(steps)]
    out[-1] = WRAPPER_INPUT
    return out


def _padding(size: int, stride: int) -> int:
    return size // 2 if stride == 1 else 0          # dlib's default for con_ and pooling


def check_structure(net: Network, steps: list[tuple] = ANET_STEPS) -> None:
    """The file holds exactly the layers of `steps`, with their sizes, strides and paddings."""
    if net.wrappers != expected_wrappers(steps):
        raise SystemExit("the .dat file's layer nesting is not dlib's face recognition ResNet (anet_type)")
    layers = iter(net.layers)
    for step in steps:
        if step[0] in ("tag", "skip"):
            continue
        layer = next(layers)
        v = layer.values
        ok = layer.kind == step[0]
        if ok and step[0] == "con":
            ok = (v["num_filters"], v["nr"], v["nc"], v["stride_y"], v["stride_x"], v["padding_y"],
                  v["padding_x"]) == (step[1], step[2], step[2], step[3], step[3], *[_padding(step[2], step[3])] * 2)
            ok = ok and v["use_bias"] and v["filters"].shape[0] == step[1]
        elif ok and step[0] in ("max_pool", "avg_pool"):
            pad = 0 if step[1] == 0 else _padding(step[1], step[2])
            ok = (v["nr"], v["nc"], v["stride_y"], v["stride_x"], v["padding_y"], v["padding_x"]) == (
                step[1], step[1], step[2], step[2], pad, pad)
        elif ok and step[0] == "affine":
            ok = v["mode"] == 0 and not v["disabled"]               # per-channel (CONV_MODE), in use
        elif ok and step[0] == "fc":
            ok = v["num_outputs"] == step[1] and v["biases"] is None
        elif ok and step[0] == "relu":
            ok = not v.get("disabled", False)
        if not ok:
            raise SystemExit(f"layer {layer.version} {({k: x for k, x in v.items() if np.isscalar(x)})} "
                             f"is not the expected {step}")
    mean = net.input.values
    if net.input.version != "input_rgb_image_sized" or (mean["nr"], mean["nc"]) != (CHIP_SIZE, CHIP_SIZE):
        raise SystemExit(f"the input layer is not a {CHIP_SIZE} x {CHIP_SIZE} RGB image")


class DlibResNet(nn.Module):
    """dlib's face recognition network in PyTorch: uint8 N x 150 x 150 x 3 RGB chips -> N x 128 descriptors.

    Every step computes what dlib computes, in the same order (convolution, then the per-channel affine, ...);
    the input is scaled as dlib's input_rgb_image_sized: (pixel - mean colour) / 256.
    """

    def __init__(self, net: Network, steps: list[tuple] = ANET_STEPS) -> None:
        super().__init__()
        check_structure(net, steps)
        self.steps = steps
        self.register_buffer("mean", torch.tensor(net.input.values["mean_rgb"], dtype=torch.float32).view(1, 3, 1, 1))
        self.convs, self.pools = nn.ModuleList(), nn.ModuleList()
        self.gammas, self.betas = nn.ParameterList(), nn.ParameterList()
        self.pads: list[tuple[tuple[int, ...], tuple[int, ...]]] = []     # per add_prev: (own, tagged) padding
        layers = iter(net.layers)
        shape, tagged = (3, CHIP_SIZE, CHIP_SIZE), {}
        for step in steps:
            kind = step[0]
            if kind in ("tag", "skip"):
                if kind == "tag":
                    tagged[step[1]] = shape
                else:
                    shape = tagged[step[1]]
                continue
            v = next(layers).values
            if kind == "con":
                conv = nn.Conv2d(shape[0], step[1], step[2], step[3], v["padding_y"])
                conv.weight.data = torch.from_numpy(v["filters"].copy())
                conv.bias.data = torch.from_numpy(v["biases"].copy())
                self.convs.append(conv)
                size = (shape[1] + 2 * v["padding_y"] - step[2]) // step[3] + 1
                shape = (step[1], size, size)
            elif kind == "affine":
                self.gammas.append(nn.Parameter(torch.from_numpy(v["gamma"].copy())))
                self.betas.append(nn.Parameter(torch.from_numpy(v["beta"].copy())))
            elif kind == "max_pool":
                self.pools.append(nn.MaxPool2d(step[1], step[2], v["padding_y"]))
                size = (shape[1] + 2 * v["padding_y"] - step[1]) // step[2] + 1
                shape = (shape[0], size, size)
            elif kind == "avg_pool":
                if step[1] == 0:
                    self.pools.append(nn.AdaptiveAvgPool2d(1))
                    shape = (shape[0], 1, 1)
                else:
                    self.pools.append(nn.AvgPool2d(step[1], step[2], v["padding_y"]))
                    size = (shape[1] + 2 * v["padding_y"] - step[1]) // step[2] + 1
                    shape = (shape[0], size, size)
            elif kind == "add_prev":
                other = tagged[step[1]]
                out = tuple(max(a, b) for a, b in zip(shape, other))
                self.pads.append((_pad_to(shape, out), _pad_to(other, out)))
                shape = out
            elif kind == "fc":
                self.fc = nn.Linear(shape[0] * shape[1] * shape[2], step[1], bias=False)
                self.fc.weight.data = torch.from_numpy(np.ascontiguousarray(v["weights"].T))
        self.eval()

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = (image.permute(0, 3, 1, 2).to(torch.float32) - self.mean) * (1.0 / 256.0)
        convs, pools, gammas, betas, pads = (iter(self.convs), iter(self.pools), iter(self.gammas), iter(self.betas),
                                             iter(self.pads))
        tagged: dict[int, torch.Tensor] = {}
        for step in self.steps:
            kind = step[0]
            if kind == "tag":
                tagged[step[1]] = x
            elif kind == "skip":
                x = tagged[step[1]]
            elif kind == "con":
                x = next(convs)(x)
            elif kind == "affine":
                x = x * next(gammas) + next(betas)
            elif kind == "relu":
                x = torch.relu(x)
            elif kind in ("max_pool", "avg_pool"):
                x = next(pools)(x)
            elif kind == "add_prev":
                own, other = next(pads)
                x = _padded(x, own) + _padded(tagged[step[1]], other)
            elif kind == "fc":
                x = self.fc(x.flatten(1))
        return x


def _pad_to(shape: tuple[int, int, int], target: tuple[int, int, int]) -> tuple[int, ...]:
    """F.pad's amounts that grow a (C, H, W) map to `target` with zeros after the end of each axis, as dlib adds."""
    return (0, target[2] - shape[2], 0, target[1] - shape[1], 0, target[0] - shape[0])


def _padded(x: torch.Tensor, pad: tuple[int, ...]) -> torch.Tensor:
    return F.pad(x, pad) if any(pad) else x


def source_path() -> Path:
    """The pinned .dat file of the installed face-recognition-models package."""
    from editor.vision.dlib_models import dlib_model_path

    path = dlib_model_path(SOURCE_FILE, "face recognition model")
    if file_sha256(path) != SOURCE_SHA256:
        raise SystemExit(f"{path} does not match the pinned sha256 {SOURCE_SHA256}: refusing to convert it")
    return path


def export(module: nn.Module, path: Path) -> None:
    """The module as ONNX at `path`: input "image" (batch x 150 x 150 x 3 uint8), output "descriptor"."""
    import onnx

    tmp = path.with_name(path.name + ".export")
    dummy = torch.zeros(1, CHIP_SIZE, CHIP_SIZE, 3, dtype=torch.uint8)
    with warnings.catch_warnings():               # the TorchScript exporter is deprecated but exact for this net;
        warnings.simplefilter("ignore", DeprecationWarning)      # it also says it cannot fold F.pad's amounts,
        warnings.simplefilter("ignore", UserWarning)             # which ONNX Runtime folds when it loads the graph
        torch.onnx.export(module.eval(), (dummy,), str(tmp), opset_version=OPSET, input_names=["image"],
                          output_names=["descriptor"], dynamo=False,
                          dynamic_axes={"image": {0: "batch"}, "descriptor": {0: "batch"}})
    model = onnx.load(str(tmp))
    tmp.unlink()
    model.graph.name = "dlib_face_recognition_resnet_model_v1"
    model.producer_name = f"veil build_dlib_onnx (torch {torch.__version__})"
    model.producer_version = ""
    onnx.checker.check_model(model)
    atomic_write_bytes(path, model.SerializeToString())


def validation_chips(celeba_photos: int, celeba: Path = CELEBA) -> list[np.ndarray]:
    """Real faces through Veil's own detector, 68 landmarks and dlib chip; CelebA training people only."""
    from editor.anonymize.identity import face_chip

    return [face_chip(image, face.landmarks68) for image, face in first_faces(check_photos(celeba_photos, celeba))
            if face.landmarks68 is not None]


def dlib_descriptors(chips: list[np.ndarray]) -> np.ndarray:
    """What the app computed before this model: dlib's compute_face_descriptor on the chips."""
    import dlib

    net = dlib.face_recognition_model_v1(str(source_path()))
    return np.array([np.array(d) for d in net.compute_face_descriptor([np.ascontiguousarray(c) for c in chips])],
                    np.float32)


def compare(got: np.ndarray, want: np.ndarray) -> dict:
    """Largest difference of descriptor components, and of the Euclidean distances between every two faces."""
    def pairwise(v: np.ndarray) -> np.ndarray:
        v = v.astype(np.float64)
        return np.linalg.norm(v[:, None] - v[None], axis=-1)[np.triu_indices(len(v), 1)]

    return {"faces": len(got), "max_abs_diff": float(np.abs(got - want).max()),
            "max_distance_diff": float(np.abs(pairwise(got) - pairwise(want)).max()),
            "descriptor_norm": [round(float(n), 4) for n in np.percentile(np.linalg.norm(want, axis=1), [0, 50, 100])]}


def _per_descriptor_ms(run, chips: list[np.ndarray], batch: int, repeats: int) -> dict:
    """Median wall and CPU (process) milliseconds per descriptor over `repeats` passes, `batch` chips a call."""
    groups = [chips[i:i + batch] for i in range(0, len(chips) - batch + 1, batch)]
    run(groups[0])                                           # warm up
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        for group in groups:
            run(group)
        count = len(groups) * batch
        walls.append((time.perf_counter() - wall) / count * 1e3)
        cpus.append((time.process_time() - cpu) / count * 1e3)
    return {"wall_ms": round(float(np.median(walls)), 1), "cpu_ms": round(float(np.median(cpus)), 1)}


def timing(model: Path, chips: list[np.ndarray], repeats: int = 5) -> dict:
    """ms per descriptor, dlib and ONNX Runtime (the app's session factory, CPU), batch 1 and 4; other jobs may
    be running, so the median of `repeats` passes."""
    import dlib

    from editor.runtime.onnx_session import create_session

    net = dlib.face_recognition_model_v1(str(source_path()))
    session, _ = create_session(model, prefer="cpu")
    runs = {"dlib": lambda g: net.compute_face_descriptor([np.ascontiguousarray(c) for c in g]),
            "onnxruntime": lambda g: session.run(None, {"image": np.stack(g)})}
    chips = (chips * 8)[:8]
    return {"threads": os.cpu_count(), **{
        f"{name}_batch_{batch}": _per_descriptor_ms(run, chips, batch, repeats)
        for name, run in runs.items() for batch in (1, 4)}}


def float16_check(model: Path, chips: list[np.ndarray], want: np.ndarray, work: Path) -> dict:
    """The same graph with its weights stored as float16 (arithmetic in float32): how far it drifts from dlib."""
    import onnx
    from onnx import helper, numpy_helper

    from editor.runtime.onnx_session import create_session

    proto = onnx.load(str(model))
    casts, kept = [], []
    for init in proto.graph.initializer:
        if init.data_type == onnx.TensorProto.FLOAT and np.prod(init.dims) >= 1024:
            kept.append(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name + "_fp16"))
            casts.append(helper.make_node("Cast", [init.name + "_fp16"], [init.name], to=onnx.TensorProto.FLOAT))
        else:
            kept.append(init)
    del proto.graph.initializer[:]
    proto.graph.initializer.extend(kept)
    nodes = casts + list(proto.graph.node)
    del proto.graph.node[:]
    proto.graph.node.extend(nodes)
    half = work / "dlib_recognizer_fp16.onnx"
    half.write_bytes(proto.SerializeToString())
    session, _ = create_session(half, prefer="cpu")
    got = session.run(None, {"image": np.stack(chips)})[0]
    return {"bytes": half.stat().st_size, **{k: v for k, v in compare(got, want).items() if k != "descriptor_norm"}}


def build(work: Path, celeba_photos: int, celeba: Path = CELEBA, timing_repeats: int = 5) -> tuple[Path, dict]:
    """Read the pinned .dat, export it (twice: the bytes must not change) and check it against dlib in `work`:
    (the .onnx, the conversion's numbers)."""
    work.mkdir(parents=True, exist_ok=True)
    net = read_network(source_path())
    module = DlibResNet(net)
    out, again = work / MODEL_FILE, work / ("again_" + MODEL_FILE)
    export(module, out)
    export(DlibResNet(read_network(source_path())), again)
    if out.read_bytes() != again.read_bytes():
        raise SystemExit("two exports of the same weights gave different bytes")
    again.unlink()

    from editor.runtime.onnx_session import create_session

    chips = validation_chips(celeba_photos, celeba)
    want = dlib_descriptors(chips)
    with torch.no_grad():
        torch_out = module(torch.from_numpy(np.stack(chips))).numpy()
    session, device = create_session(out, prefer="cpu")
    got = session.run(None, {"image": np.stack(chips)})[0]
    one_by_one = np.concatenate([session.run(None, {"image": c[None]})[0] for c in chips])
    result = {
        "source": {"file": SOURCE_FILE, "sha256": SOURCE_SHA256, "loss": net.loss.values,
                   "mean_rgb": net.input.values["mean_rgb"]},
        "tools": f"torch {torch.__version__} (TorchScript exporter), opset {OPSET}",
        "torch_vs_dlib": compare(torch_out, want),
        "onnx_vs_dlib": compare(got, want),
        "onnx_batch_vs_single_max_abs": float(np.abs(got - one_by_one).max()),
        "float16_weights_vs_dlib": float16_check(out, chips, want, work),
        "timing": timing(out, chips, timing_repeats),
        "device": device, "sha256": file_sha256(out), "file_bytes": out.stat().st_size}
    print(json.dumps(result, indent=1))
    atomic_write_bytes(work / "build_result.json", (json.dumps(result, indent=1) + "\n").encode())
    if result["onnx_vs_dlib"]["max_abs_diff"] > MAX_COMPONENT_DIFF:
        raise SystemExit("the ONNX model does not reproduce dlib's descriptors: not installed")
    return out, result


def manifest_row(result: dict) -> dict:
    check, timed = result["onnx_vs_dlib"], result["timing"]
    return {
        "file": MODEL_FILE,
        "label": "face recognizer (dlib)",
        "task": "face-recognition",
        "purpose": "First identity judge: dlib's 128-d face descriptor, computed by ONNX Runtime instead of dlib "
                   "(the same numbers, several times faster without a BLAS); two faces closer (Euclidean) than the "
                   "threshold in recognizers.json are the same person. Run by editor.anonymize.identity.",
        "sha256": result["sha256"],
        "bytes": result["file_bytes"],
        "licence": "Public domain (released by its author, Davis King)",
        "notice": "DLIB_RECOGNIZER_NOTICE.md",
        "source": f"{SOURCE_FILE} (sha256 {SOURCE_SHA256}) of the face-recognition-models 0.3.0 package "
                  "(= davisking/dlib-models), read by models/training/dlib_dat.py and rebuilt in PyTorch as dlib's "
                  "anet_type by models/training/build_dlib_onnx.py; float32 weights",
        "trained_on": "about 3 million faces of 7,485 identities (FaceScrub, VGG Face and photos from the web), by "
                      "the author; no LFW identities",
        "runtime": "onnxruntime",
        "alignment": "150x150 chip of dlib.get_face_chip from the 68 landmarks, padding 0.25 "
                     "(editor.anonymize.identity.face_chip)",
        "inputs": [{"name": "image", "shape": ["batch", CHIP_SIZE, CHIP_SIZE, 3], "dtype": "uint8",
                    "layout": "RGB, NHWC, 0..255, the chip as dlib.get_face_chip gives it; the graph subtracts "
                              "dlib's mean colour and divides by 256"}],
        "outputs": [{"name": "descriptor", "shape": ["batch", DESCRIPTOR_SIZE], "dtype": "float32",
                     "layout": "dlib's descriptor, not normalised"}],
        "conversion": {"faces": check["faces"], "tools": result["tools"],
                       "onnx_vs_dlib_max_abs": check["max_abs_diff"],
                       "onnx_vs_dlib_max_distance_diff": check["max_distance_diff"],
                       "float16_weights_vs_dlib_max_abs": result["float16_weights_vs_dlib"]["max_abs_diff"]},
        "ort_ms_2_threads": timed["onnxruntime_batch_1"]["wall_ms"],
        "ort_cpu_ms": timed["onnxruntime_batch_1"]["cpu_ms"],
        "dlib_ms": timed["dlib_batch_1"]["wall_ms"],
        "ort_ms_note": "per descriptor, batch 1, median of 5 passes over 8 faces, measured by the build with "
                       "other jobs on the 2 cores; batch 4 and dlib's own numbers are in MODEL_CARD.md",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build models/dlib_recognizer.onnx from dlib's face recognizer.")
    parser.add_argument("--work", type=Path, default=Path("/tmp/veil-dlib-build"))
    parser.add_argument("--celeba-photos", type=int, default=40, help="CelebA training photos added to the check")
    parser.add_argument("--install", action="store_true", help="copy the model into models/ and write its row")
    args = parser.parse_args(argv)
    out, result = build(args.work, args.celeba_photos)
    shipped = json.loads((REPO / "models" / "manifest.json").read_text())["models"].get(MODEL_NAME, {})
    print(f"same bytes as the manifest's {MODEL_NAME} row" if shipped.get("sha256") == result["sha256"]
          else f"differs from the manifest's {MODEL_NAME} row ({shipped.get('sha256')})")
    if args.install:
        from models.training.manifest import update_manifest

        target = REPO / "models" / MODEL_FILE
        atomic_write_bytes(target, out.read_bytes())
        update_manifest(REPO / "models" / "manifest.json", MODEL_NAME, manifest_row(result))
        print(f"wrote {target} ({result['file_bytes']} bytes, sha256 {result['sha256']}) and its manifest row")


if __name__ == "__main__":
    main()
