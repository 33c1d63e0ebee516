"""onnxruntime sessions with formcam's settings: threads, providers, and one session per model file
per process (see :mod:`formcam.pose.backends.onnx.backend` for the thread measurements)."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from formcam.errors import ConfigError, ModelError

THREADS_ENV = "FORMCAM_ONNX_THREADS"
MAX_DEFAULT_THREADS = 4


def default_threads() -> int:
    """Intra-op threads per session: ``$FORMCAM_ONNX_THREADS`` if set, else the number of
    CPU cores minus one for the decoding thread, at least 1 and at most 4; on a 2-core machine
    both cores (see :mod:`formcam.pose.backends.onnx.backend` for the measurements behind it).

    Raises:
        ConfigError: the variable is not a positive integer.
    """
    env = os.environ.get(THREADS_ENV)
    if env:
        try:
            value = int(env)
        except ValueError:
            value = 0
        if value < 1:
            raise ConfigError(f"{THREADS_ENV} must be a positive integer, got {env!r}")
        return value
    cores = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_THREADS, cores if cores <= 2 else cores - 1))


def default_providers() -> list[str]:
    """``["CUDAExecutionProvider", "CPUExecutionProvider"]`` when CUDA is available, else CPU only."""
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def make_session(path: Path, *, threads: int, providers: list[str]) -> Any:
    """An onnxruntime ``InferenceSession`` for ``path`` with formcam's settings.

    Raises:
        ModelError: onnxruntime cannot load the file.
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=providers)
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelError(f"{path}: onnxruntime could not load the model ({exc})") from None


@functools.lru_cache(maxsize=8)
def shared_session(path: Path, threads: int, providers: tuple[str, ...]) -> Any:
    """:func:`make_session`, kept for the life of the process: every backend opened with the same
    file, threads and providers reuses it (onnxruntime sessions are safe to run from several
    threads), so a worker that analyses video after video (``formcam batch``) loads each model
    once. Tracking state lives in :class:`OnnxBackend`, never in a session."""
    return make_session(path, threads=threads, providers=list(providers))
