#!/usr/bin/env python3
"""Convert the BlazePose detector and landmark models to ONNX (build-time only).

formcam's ``onnx`` backend (:mod:`formcam.pose.backends.onnx`) runs these files with
onnxruntime. They are made from exactly the same pinned registry sources as the
``.task`` bundles (see ``models/build.py``, whose functions this script imports):
``pose_detection.tflite`` and ``pose_landmark_full.tflite`` from the PyPI wheel
``mediapipe==0.10.21``, ``pose_landmark_lite/heavy.tflite`` from the npm tarball
``@mediapipe/pose@0.5.1675469404``.

Tools (build time only, never formcam dependencies)
----------------------------------------------------
The conversion needs ``tensorflow-cpu`` (its TFLite interpreter) and ``tf2onnx``,
which pin ``numpy<2`` and an old protobuf, so they live in a separate throw-away
virtual environment, not in the project's::

    python3.11 -m venv /tmp/convenv
    /tmp/convenv/bin/pip install "tensorflow-cpu==2.15.1" "tf2onnx==1.16.1" "onnx==1.16.2" \\
        "onnxruntime==1.19.2" "numpy<2"
    /tmp/convenv/bin/python models/convert_onnx.py            # lite + full + detector
    /tmp/convenv/bin/python models/convert_onnx.py --models heavy
    /tmp/convenv/bin/python models/convert_onnx.py --check    # rebuild, compare with the manifest

Steps
-----
1. Fetch and verify the sources (``build.fetch_sources``/``build.read_sources``:
   ``pip download`` and ``npm pack``, pinned sha256 values).
2. Detector only: 38 of its weights are stored sparse (float16 values behind
   ``DENSIFY`` ops), which tf2onnx cannot convert. Each is read back dense from
   the TFLite interpreter with XNNPACK turned off
   (``BUILTIN_WITHOUT_DEFAULT_DELEGATES``; the team found them wrong with XNNPACK
   on, see DESIGN.md) and checked against an independent NumPy decoding of the
   TFLite sparse format. A copy of the flatbuffer then gets each dense array as
   the constant buffer of the ``DENSIFY`` output tensor, and the ``DENSIFY`` ops
   and the sparse buffers are removed.
3. ``tf2onnx.convert.from_tflite`` at opset 17.
4. Post-processing with ``onnx``: keep only the outputs formcam uses (landmark
   model: ``landmarks [1,195]``, ``presence [1,1]``, ``heatmap [1,64,64,39]``;
   the segmentation mask and world landmarks are pruned with every node that
   only feeds them, which saves inference time); rename the input to ``image``
   (NHWC float32 RGB: detector 224x224 in [-1, 1], landmarks 256x256 in [0, 1])
   and the detector outputs to ``boxes [1,2254,12]`` / ``scores [1,2254,1]``.
   tf2onnx folds the models' float16 -> float32 ``DEQUANTIZE`` into float32
   constants, doubling the files; every float32 constant that is exactly a
   float16 value is stored back as float16 followed by a ``Cast`` (onnxruntime
   folds it again when it loads the model), so the files keep the size of the
   originals with identical numbers; then the graph is canonicalised (below).
5. Each model is checked against the TFLite interpreter on a fixed random input
   (max abs difference is printed: 3e-4 detector, 1e-3 lite, 7e-4 full, 3e-3
   heavy, in raw output units: crop pixels and logits), then written to
   ``models/onnx/`` and recorded in ``models/onnx/MANIFEST.sha256``.

Files: ``pose_detector.onnx`` (~6 MB), ``pose_landmark_lite.onnx`` (~3 MB),
``pose_landmark_full.onnx`` (~6 MB); ``pose_landmark_heavy.onnx`` (~27 MB) is
built on demand with ``--models heavy``, like the heavy ``.task`` bundle.

Determinism
-----------
A re-run gives the same bytes (``--check`` rebuilds and compares with the
manifest). tf2onnx alone is not deterministic: its optimiser visits nodes in an
order that changes from run to run (different name counters, different node
order, same graph). :func:`canonicalize` therefore sorts the nodes
topologically with a content hash as tie-breaker and renames every internal
tensor and node from that order; the densified weights are exact float16
copies, the producer fields are fixed, and the protobuf is serialised with
``deterministic=True``. The bytes still depend on the tool versions pinned
above (another tf2onnx may build a different but equivalent graph).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "onnx"
MANIFEST = "MANIFEST.sha256"
OPSET = 17
ALL_MODELS = ("lite", "full", "heavy")
DEFAULT_MODELS = ("lite", "full")
DETECTOR_FILE = "pose_detector.onnx"
INPUT_NAME = "image"
DETECTOR_OUTPUTS = {"Identity": "boxes", "Identity_1": "scores"}
LANDMARK_OUTPUTS = {"Identity": "landmarks", "Identity_1": "presence", "Identity_3": "heatmap"}
PRODUCER = "formcam models/convert_onnx.py"

SETUP_HINT = """\
models/convert_onnx.py needs tensorflow-cpu and tf2onnx, which are build-time tools
kept out of formcam's environment. Set up a throw-away venv and run the script with it:

    python3.11 -m venv /tmp/convenv
    /tmp/convenv/bin/pip install "tensorflow-cpu==2.15.1" "tf2onnx==1.16.1" "onnx==1.16.2" \\
        "onnxruntime==1.19.2" "numpy<2"
    /tmp/convenv/bin/python models/convert_onnx.py
"""


def load_build() -> ModuleType:
    """Import ``models/build.py`` (sources, hashes, schema modules) from this folder."""
    spec = importlib.util.spec_from_file_location("_formcam_models_build", HERE / "build.py")
    if spec is None or spec.loader is None:
        raise SystemExit("cannot load models/build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def require_tools() -> None:
    try:
        import onnx  # noqa: F401
        import tensorflow  # noqa: F401
        import tf2onnx  # noqa: F401
    except ImportError as exc:
        raise SystemExit(f"{exc}\n\n{SETUP_HINT}") from None


# --- step 2: densify the detector ------------------------------------------------------------

def _index_vector(vec: Any) -> Any:
    import numpy as np

    return np.asarray(vec.values, dtype=np.int64)


def numpy_densify(sparsity: Any, values: Any, shape: list[int]) -> Any:
    """Decode a TFLite sparse tensor (no block map) with NumPy, as TFLite's FormatConverter does.

    ``values`` are the stored non-zeros in traversal order; returns the dense array.
    """
    import numpy as np

    order = list(sparsity.traversalOrder)
    if sparsity.blockMap is not None and len(sparsity.blockMap):
        raise ValueError("block-sparse tensors are not supported by this check")
    coords = np.zeros((1, 0), dtype=np.int64)  # one row per path so far, one column per level
    prev = np.zeros(1, dtype=np.int64)
    for meta in sparsity.dimMetadata:
        if meta.format == 0:  # DENSE
            n = int(meta.denseSize)
            coords = np.repeat(coords, n, axis=0)
            idx = np.tile(np.arange(n, dtype=np.int64), len(prev))
            prev = np.repeat(prev, n) * n + idx
        else:  # SPARSE_CSR
            seg, ind = _index_vector(meta.arraySegments), _index_vector(meta.arrayIndices)
            counts = seg[prev + 1] - seg[prev]
            coords = np.repeat(coords, counts, axis=0)
            prev = np.concatenate([np.arange(seg[p], seg[p + 1]) for p in prev]) if len(prev) else prev
            idx = ind[prev]
        coords = np.concatenate([coords, idx[:, None]], axis=1)
    dense = np.zeros(shape, dtype=values.dtype)
    dims = np.empty_like(coords)
    dims[:, order] = coords  # traversal order -> tensor dimension order
    dense[tuple(dims.T)] = values[: len(coords)]
    return dense


def densify_detector(schema: ModuleType, model_buf: bytes) -> bytes:
    """Return the detector flatbuffer with every DENSIFY op replaced by a dense constant."""
    import numpy as np
    import tensorflow as tf

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_buf, 0))
    graph = model.subgraphs[0]
    codes = [max(oc.builtinCode, oc.deprecatedBuiltinCode) for oc in model.operatorCodes]
    densify_ops = [op for op in graph.operators if codes[op.opcodeIndex] == schema.BuiltinOperator.DENSIFY]
    interpreter = tf.lite.Interpreter(
        model_content=model_buf, experimental_preserve_all_tensors=True,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], dtype=np.float32))
    interpreter.invoke()
    type_names = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    for op in densify_ops:
        src, dst = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        dense = np.ascontiguousarray(interpreter.get_tensor(op.outputs[0]))
        stored = np.frombuffer(bytes(model.buffers[src.buffer].data), dtype=np.dtype(
            type_names[src.type].lower()))
        check = numpy_densify(src.sparsity, stored, list(dst.shape))
        if not np.array_equal(dense, check):
            raise SystemExit(f"densify mismatch for {dst.name!r}: interpreter and NumPy disagree")
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(dense.tobytes(), dtype=np.uint8)
        model.buffers.append(buffer)
        dst.buffer = len(model.buffers) - 1
        model.buffers[src.buffer].data = None
        src.buffer, src.sparsity = 0, None
    graph.operators = [op for op in graph.operators if op not in densify_ops]
    print(f"detector: densified {len(densify_ops)} sparse weights")
    builder = load_build().aligned_builder()
    builder.Finish(model.Pack(builder), b"TFL3")
    return bytes(builder.Output())


# --- steps 3-5: convert, post-process, verify ---------------------------------------------------

def prune_and_rename(model: Any, outputs: dict[str, str]) -> None:
    """Keep graph outputs in ``outputs`` (renamed), drop nodes feeding only others; rename the input."""
    graph = model.graph
    renames = {graph.input[0].name: INPUT_NAME, **outputs}
    keep = [o for o in graph.output if o.name in outputs]
    del graph.output[:]
    graph.output.extend(keep)
    needed = {o.name for o in keep}
    kept_nodes = []
    for node in reversed(graph.node):
        if any(out in needed for out in node.output):
            kept_nodes.append(node)
            needed.update(i for i in node.input if i)
    kept_nodes.reverse()
    del graph.node[:]
    graph.node.extend(kept_nodes)
    inits = [i for i in graph.initializer if i.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(inits)
    infos = [v for v in graph.value_info if v.name in needed]
    del graph.value_info[:]
    graph.value_info.extend(infos)
    for node in graph.node:
        node.input[:] = [renames.get(n, n) for n in node.input]
        node.output[:] = [renames.get(n, n) for n in node.output]
    for value in [*graph.input, *graph.output, *graph.value_info]:
        value.name = renames.get(value.name, value.name)


def store_float16(model: Any, min_elements: int = 16) -> int:
    """Store float32 initializers that are exact float16 values as float16 + Cast; return the count."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    casts = []
    kept = []
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size >= min_elements:
            half = arr.astype(np.float16)
            if np.array_equal(half.astype(np.float32), arr):
                name = init.name
                kept.append(numpy_helper.from_array(half, name=f"{name}__f16"))
                casts.append(helper.make_node("Cast", [f"{name}__f16"], [name], to=TensorProto.FLOAT,
                                              name=f"{name}__cast"))
                continue
        kept.append(init)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend([*casts, *nodes])
    return len(casts)


def canonicalize(model: Any) -> None:
    """Give the graph a canonical node order and canonical tensor/node names.

    tf2onnx's optimiser visits nodes in an order that changes from run to run, so
    the same graph comes out with other counters in its names and another node
    order. Here every tensor gets a content hash (initializers: dtype, shape and
    bytes; node outputs: op type, attributes and the hashes of its inputs), nodes
    are topologically sorted with that hash as the tie-breaker, and tensors are
    renamed ``w<i>`` (initializers) / ``t<i>`` (node outputs) in that order. The
    graph input and outputs keep their names.
    """
    from onnx import numpy_helper

    graph = model.graph
    keep_names = {v.name for v in [*graph.input, *graph.output]}
    sig: dict[str, str] = {v.name: hashlib.sha256(f"input:{v.name}".encode()).hexdigest()
                           for v in graph.input}
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        sig[init.name] = hashlib.sha256(f"{arr.dtype.str}{arr.shape}".encode() + arr.tobytes()).hexdigest()
    pending = list(graph.node)
    node_sig: dict[int, str] = {}
    ordered = []
    while pending:
        ready = [n for n in pending if all(not i or i in sig for i in n.input)]
        if not ready:
            raise SystemExit("graph has a cycle or a missing input")
        for node in ready:
            h = hashlib.sha256(node.op_type.encode() + node.domain.encode())
            for attr in sorted(node.attribute, key=lambda a: a.name):
                h.update(attr.SerializeToString(deterministic=True))
            for i in node.input:
                h.update(sig.get(i, "none").encode())
            node_sig[id(node)] = h.hexdigest()
            for k, out in enumerate(node.output):
                sig[out] = hashlib.sha256(f"{node_sig[id(node)]}:{k}".encode()).hexdigest()
        ready.sort(key=lambda n: node_sig[id(n)])
        ordered.extend(ready)
        pending = [n for n in pending if id(n) not in node_sig]
    renames: dict[str, str] = {}
    init_by_name = {i.name: i for i in graph.initializer}
    inits = []
    for index, node in enumerate(ordered):
        for i in node.input:
            if i in init_by_name and i not in renames:
                renames[i] = f"w{len(inits)}"
                inits.append(init_by_name[i])
        for out in node.output:
            if out and out not in keep_names:
                renames[out] = f"t{len([n for n in renames if n not in init_by_name])}"
        node.name = f"{node.op_type}_{index}"
        node.input[:] = [renames.get(n, n) for n in node.input]
        node.output[:] = [renames.get(n, n) for n in node.output]
    for init in inits:
        init.name = renames[init.name]
    del graph.node[:]
    graph.node.extend(ordered)
    del graph.initializer[:]
    graph.initializer.extend(inits)
    del graph.value_info[:]


def convert(tflite: bytes, outputs: dict[str, str], *, name: str, source_sha256: str,
            input_range: str, workdir: Path) -> bytes:
    """tflite bytes -> post-processed, checked ONNX bytes."""
    import onnx
    import tf2onnx

    path = workdir / f"{name}.tflite"
    path.write_bytes(tflite)
    proto, _ = tf2onnx.convert.from_tflite(str(path), opset=OPSET)
    prune_and_rename(proto, outputs)
    n16 = store_float16(proto)
    canonicalize(proto)
    proto.producer_name = PRODUCER
    proto.producer_version = "1"
    proto.doc_string = ""
    proto.graph.name = name
    del proto.metadata_props[:]
    for key, value in (("source_tflite_sha256", source_sha256), ("input", input_range),
                       ("converter", f"tf2onnx {tf2onnx.__version__}, opset {OPSET}")):
        proto.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(proto)
    data: bytes = proto.SerializeToString(deterministic=True)
    print(f"{name}: {len(proto.graph.node)} nodes, {n16} float16 constants, {len(data) / 1e6:.1f} MB")
    return data


def verify(tflite: bytes, onnx_bytes: bytes, outputs: dict[str, str], *, low: float) -> float:
    """Largest abs difference between the TFLite interpreter and onnxruntime on a fixed random input.

    onnxruntime is optional in the tool venv; without it only the TFLite side runs and
    NaN is returned.
    """
    import numpy as np
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(
        model_content=tflite,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    x = np.random.default_rng(0).uniform(low, 1.0, detail["shape"]).astype(np.float32)
    interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    ref = {d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()}
    try:
        import onnxruntime as ort
    except ImportError:
        return float("nan")
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    got = session.run(list(outputs.values()), {INPUT_NAME: x})
    return max(float(np.abs(g - ref[k]).max()) for k, g in zip(outputs, got, strict=True))


def build_all(build: ModuleType, wheel: Path, tgz: Path, out_dir: Path,
              models: tuple[str, ...]) -> dict[str, str]:
    """Write the detector and the landmark models to ``out_dir``; return {filename: sha256}."""
    raw, schemas = build.read_sources(wheel, tgz)
    digests: dict[str, str] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        schema = build.load_module("schema", schemas["schema"], work)
        det_raw = raw["pose_detection.tflite"]
        det_dense = densify_detector(schema, det_raw)
        jobs = [(DETECTOR_FILE, det_dense, det_raw, DETECTOR_OUTPUTS, "NHWC float32 RGB 224x224 in [-1, 1]",
                 -1.0)]
        for size in models:
            lm_raw = raw[f"pose_landmark_{size}.tflite"]
            jobs.append((f"pose_landmark_{size}.onnx", lm_raw, lm_raw, LANDMARK_OUTPUTS,
                         "NHWC float32 RGB 256x256 in [0, 1]", 0.0))
        for filename, tflite, original, outputs, input_range, low in jobs:
            data = convert(tflite, outputs, name=filename.removesuffix(".onnx"),
                           source_sha256=build.sha256_bytes(original), input_range=input_range, workdir=work)
            err = verify(tflite, data, outputs, low=low)
            print(f"{filename}: max |onnxruntime - tflite| = {err:.2e} on a random input")
            (out_dir / filename).write_bytes(data)
            digests[filename] = build.sha256_bytes(data)
    return digests


def write_manifest(path: Path, digests: dict[str, str], build: ModuleType) -> None:
    """Merge ``digests`` into the manifest (models built earlier keep their lines)."""
    entries = build.read_manifest(path) if path.exists() else {}
    entries.update(digests)
    lines = ["# sha256 of the ONNX models written by models/convert_onnx.py (see its docstring)"]
    lines += [f"{d}  {n}" for n, d in sorted(entries.items())]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sources", type=Path, default=HERE / ".sources",
                        help="folder for the downloaded wheel and npm tarball")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where to write the ONNX files")
    parser.add_argument("--models", nargs="+", choices=ALL_MODELS, default=list(DEFAULT_MODELS),
                        help="landmark model sizes (the detector is always built)")
    parser.add_argument("--check", action="store_true",
                        help="rebuild into a temp dir and compare with models/onnx/MANIFEST.sha256")
    args = parser.parse_args(argv)
    require_tools()
    build = load_build()
    wheel, tgz = build.fetch_sources(args.sources)
    manifest = args.out / MANIFEST
    if args.check:
        expected = build.read_manifest(manifest)
        with tempfile.TemporaryDirectory() as tmp:
            got = build_all(build, wheel, tgz, Path(tmp), tuple(args.models))
        bad = {n for n, d in got.items() if expected.get(n) != d}
        for name, digest in sorted(got.items()):
            print(f"{'BAD' if name in bad else 'OK '} {name} {digest}")
        return 1 if bad else 0
    digests = build_all(build, wheel, tgz, args.out, tuple(args.models))
    write_manifest(manifest, digests, build)
    for name, digest in sorted(digests.items()):
        print(f"{digest}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
