"""Where the ONNX model files are found (never downloaded at run time).

Search order: ``$FORMCAM_MODELS_DIR`` itself and its ``onnx/`` subfolder, then
``formcam/_models/onnx`` inside an installed wheel, then ``<repo>/models/onnx``
in a source checkout. The files are made by ``models/convert_onnx.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

from formcam.errors import ModelError
from formcam.pose.models import MODEL_SIZES, model_dirs

DETECTOR_FILE = "pose_detector.onnx"
ONNX_FILES: tuple[str, ...] = (DETECTOR_FILE, *(f"pose_landmark_{s}.onnx" for s in MODEL_SIZES))
"""Every ONNX file the backend may load (heavy is built on demand)."""


def onnx_model_dirs() -> list[Path]:
    """Folders searched for ONNX files, most specific first.

    ``$FORMCAM_MODELS_DIR`` itself and its ``onnx/`` subfolder, then
    ``formcam/_models/onnx`` (installed wheel), then ``<repo>/models/onnx``.
    """
    dirs: list[Path] = []
    env = os.environ.get("FORMCAM_MODELS_DIR")
    if env:
        dirs.append(Path(env))
    dirs.extend(d / "onnx" for d in model_dirs())
    return dirs


def onnx_model_path(name: str) -> Path:
    """Path of an ONNX model file, e.g. ``pose_detector.onnx`` or ``pose_landmark_full.onnx``.

    Raises:
        ModelError: the name is unknown or the file is not installed.
    """
    if name not in ONNX_FILES:
        raise ModelError(f"unknown ONNX model: expected one of {ONNX_FILES}, got {name!r}")
    for folder in onnx_model_dirs():
        candidate = folder / name
        if candidate.is_file():
            return candidate
    hint = ("build it with `python models/convert_onnx.py --models heavy` (it needs the build-time tool "
            "venv described in that script)" if "heavy" in name
            else "reinstall formcam or run `python models/convert_onnx.py`")
    raise ModelError(f"ONNX model {name} not found in {[str(d) for d in onnx_model_dirs()]}: {hint}")


def landmark_file(size: str) -> str:
    """File name of the landmark model of ``size`` (``lite``, ``full`` or ``heavy``)."""
    if size not in MODEL_SIZES:
        raise ModelError(f"unknown model size: expected one of {MODEL_SIZES}, got {size!r}")
    return f"pose_landmark_{size}.onnx"

