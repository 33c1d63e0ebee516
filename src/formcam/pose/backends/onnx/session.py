"""onnxruntime sessions with formcam's settings: threads, providers, and one session per model file
per process.

Threads: ``intra_op_num_threads`` defaults to one less than the number of CPU
cores (at least 1, at most 4; both cores of a 2-core machine, see the end of this
paragraph), with one inter-op thread and no spin-waiting,
because formcam decodes video in a background thread at the same time
(:mod:`formcam.video.prefetch`) and that thread needs a core of its own. Measured on the
2-core reference machine (full model, 300 frames of the 1080p60 phantom, median of
3 runs on an otherwise idle machine), frames/s of the pose stage with decoding
prefetched (the end-to-end rate) for 1 vs 2 intra-op threads:

======================================  =========  =========
setting                                 1 thread   2 threads
======================================  =========  =========
``num_poses=1``                         124        120
``num_poses=3``, detector every 0.5 s   117.5      116.8
``num_poses=3``, detector every frame   65.5       69.7
model alone (frames in memory), P1      138        159
======================================  =========  =========

(lite model, ``num_poses=3``, 0.5 s: 140 and 153 vs 135 and 138 in two rounds;
``benchmarks/bench.py``, whole 600-frame clip, full, 3 poses, 0.5 s: 119 vs 122, a
tie within run-to-run noise.) A second thread speeds up the model alone by ~15-20 %
but takes CPU from the decoder, so end to end it gains nothing at formcam's
defaults, and only MediaPipe's every-frame detector schedule profits from it. The models are small (224 and
256 px inputs), so per-operator parallelism beyond ~4 threads gains little. Set
``OnnxOptions.threads`` or the environment variable ``FORMCAM_ONNX_THREADS`` to
override, e.g. the number of cores when frames come from memory, or 1 when a batch
runs one worker process per core. With the later defaults (fresh detections on every frame
in side views, one tracked person with sparse detections in rear views), 2 threads on the
2-core machine were faster end to end on every real clip tried (``formcam analyze --no-video``,
idle machine, alternating runs, seconds for 1 / 2 threads): side_treadmill_01 12.4, 13.0,
13.4, 13.8 / 11.4, 11.6, 12.7, 11.6; rear_treadmill_01 9.0 / 8.2; side_overground_01 7.4,
7.4 / 7.3, 6.9; side_treadmill_03 14.9 / 13.3; keypoints and metrics identical. So a 2-core
machine uses both cores.

Providers: CUDA when ``onnxruntime.get_available_providers()`` offers it
(onnxruntime-gpu), else CPU.
"""

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
    both cores (see the module docstring for the measurements behind it).

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
