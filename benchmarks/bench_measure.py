"""The measurements of ``bench.py``; each runs in a fresh child process (``bench.py --child SPEC``)."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

WARMUP = 5
"""Model calls before timing starts (model-only rows)."""


def _frames(clip: str, n: int | None) -> list[Any]:
    from formcam.video.reader import FrameReader

    return list(FrameReader(clip, max_frames=n))


def _backend(spec: dict[str, Any]) -> Any:
    """The (unopened) backend of a spec; ONNX with the spec's exact threads and detector interval."""
    from formcam.pose.backends import create_backend

    if spec["backend"] == "onnx":
        from formcam.pose.backends.onnx import OnnxBackend, OnnxOptions

        return OnnxBackend(OnnxOptions(model=spec["model"], num_poses=spec["num_poses"],
                                       threads=spec["threads"], detect_interval_s=spec["detect_interval_s"]))
    return create_backend(spec["backend"], model=spec["model"], num_poses=spec["num_poses"])


def onnx_defaults() -> dict[str, Any]:
    """The ONNX backend's default ``threads`` and ``detect_interval_s`` on this machine."""
    from formcam.pose.backends.onnx import OnnxOptions
    from formcam.pose.backends.onnx.backend import default_threads

    return {"threads": default_threads(), "detect_interval_s": OnnxOptions().detect_interval_s}


def measure(spec: dict[str, Any]) -> tuple[int, float]:
    """Run one measurement; return (frames, seconds)."""
    kind, clip = spec["kind"], spec["clip"]
    if kind in ("decode_pyav", "decode_pyav_prefetch"):
        from formcam.video.prefetch import prefetch
        from formcam.video.reader import FrameReader

        t0 = time.perf_counter()
        reader = FrameReader(clip)
        n = sum(1 for _ in (prefetch(reader) if kind.endswith("prefetch") else reader))
        return n, time.perf_counter() - t0
    if kind == "decode_cv2":
        import cv2

        cap, n = cv2.VideoCapture(clip), 0
        t0 = time.perf_counter()
        while cap.read()[0]:
            n += 1
        return n, time.perf_counter() - t0
    if kind == "model":
        frames = _frames(clip, spec["frames"])
        with (_backend(spec) as backend, busy_cores(spec.get("busy", 0)),
              decoding_beside(clip, backend, frames[0].image.shape, spec.get("decode", False)) as decoded):
            for f, _ in zip(frames[:WARMUP], decoded, strict=False):  # decoding runs when timing starts
                backend(f.image, f.t_s)
            t0 = time.perf_counter()
            for f, _ in zip(frames[WARMUP:], decoded, strict=False):
                backend(f.image, f.t_s)
            return len(frames) - WARMUP, time.perf_counter() - t0
    if kind == "pose_stage":
        return pose_stage(spec)
    if kind in ("loop", "loop_prefetch"):
        from formcam.video.prefetch import prefetch
        from formcam.video.reader import FrameReader

        with _backend(spec) as backend:
            t0 = time.perf_counter()
            reader = FrameReader(clip, yuv=bool(spec.get("yuv")))
            n = 0
            for f in prefetch(reader) if kind.endswith("prefetch") else reader:
                backend(f.pixels, f.t_s)
                n += 1
            return n, time.perf_counter() - t0
    if kind == "naive":
        return naive(clip, spec["model"])
    if kind == "analyze":
        return analyze(spec)
    if kind == "cli":
        return cli(spec)
    if kind == "naive_cli":
        return naive_cli(spec)
    raise SystemExit(f"unknown measurement {kind}")


@contextlib.contextmanager
def busy_cores(n: int) -> Iterator[None]:
    """Keep ``n`` other processes spinning (a pure-Python loop: no memory traffic, no GIL
    shared with this process) while the block runs.

    The ``+busy`` model rows use it to measure what any work on the other cores (such as
    decoding in formcam's prefetch thread) costs the model on this machine: on a 2-core VM
    whose vCPUs share a physical core or a power budget, it is not zero.
    """
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        time.sleep(0.2 if procs else 0.0)  # let them start spinning
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def decoding_beside(clip: str, backend: Any, shape: tuple[int, ...], on: bool) -> Iterator[Iterator[Any]]:
    """With ``on``, the clip's frames decoded exactly as ``estimate_pose`` decodes them for
    ``backend`` and frames of ``shape`` (a :class:`~formcam.video.reader.FrameReader`, RGB or YUV
    planes as :func:`~formcam.pipeline.use_yuv_planes` decides, in a
    :func:`~formcam.video.prefetch.prefetch` thread at :data:`~formcam.pipeline.DECODE_NICE`),
    one taken per model call and dropped: the ``+decode``
    model rows, whose ratio to the idle model row is the ceiling of ``analyze/pose-only`` on this
    machine. Otherwise an endless iterator that costs nothing."""
    if not on:
        yield itertools.repeat(None)
        return
    from formcam.pipeline import DECODE_NICE, use_yuv_planes
    from formcam.video.prefetch import prefetch
    from formcam.video.reader import FrameReader

    yuv = use_yuv_planes(backend, shape[1], shape[0])
    with FrameReader(clip, yuv=yuv) as reader, prefetch(reader, nice=DECODE_NICE) as frames:
        yield frames


def naive(clip: str, model: str) -> tuple[int, float]:
    """The plain loop a first script would write: OpenCV read, MediaPipe per frame
    (:func:`naive_loop.detect_all`, the loop ``naive_cli`` runs as a program), timed after the
    model has loaded."""
    import cv2
    from mediapipe.tasks.python import BaseOptions, vision
    from naive_loop import detect_all

    from formcam.pose.models import model_path

    opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model_path(model))),
                                        running_mode=vision.RunningMode.VIDEO)
    cap = cv2.VideoCapture(clip)
    with vision.PoseLandmarker.create_from_options(opts) as landmarker:
        t0 = time.perf_counter()
        n = detect_all(landmarker, cap)
        return n, time.perf_counter() - t0


def _options(spec: dict[str, Any]) -> Any:
    """``AnalyzeOptions`` for a spec, as a user would set them (ONNX threads through
    ``$FORMCAM_ONNX_THREADS``, the detector interval through ``detect_interval_s``)."""
    from formcam.options import AnalyzeOptions
    from formcam.pose.backends.onnx.backend import THREADS_ENV

    kwargs = {"backend": spec["backend"], "model": spec["model"], "num_poses": spec["num_poses"]}
    fields = {f.name for f in dataclasses.fields(AnalyzeOptions)}
    if spec["backend"] == "onnx":
        os.environ[THREADS_ENV] = str(spec["threads"])  # this child process only
        kwargs["detect_interval_s"] = spec["detect_interval_s"]
    if "render_video" in fields:
        kwargs["render_video"] = bool(spec.get("render"))
    if spec.get("max_fps"):
        kwargs["max_fps"] = spec["max_fps"]
    if spec.get("report_only"):  # keypoints.npz + report.json: what `formcam batch` writes by default
        kwargs["outputs"] = False
    return AnalyzeOptions(**kwargs)


OBSERVER_SECONDS: list[float] = []
"""Seconds spent inside the foot-motion observer in the last ``pose_stage`` row with ``feet``."""


def pose_stage(spec: dict[str, Any]) -> tuple[int, float]:
    """``formcam.pipeline.estimate_pose``: probe, decode, pose, runner selection (no analysis/outputs).

    With ``spec["feet"]``: ``estimate_pose_and_motion`` (as ``analyze`` runs it), which also
    measures each foot's image motion on the decoded frames; the time spent in the observer
    itself is kept in :data:`OBSERVER_SECONDS` (reported as ``observer_s``)."""
    import formcam.pipeline as pipeline
    import formcam.pipeline.pose_stage as pose_module

    options = _options(spec)
    if not spec.get("feet"):
        t0 = time.perf_counter()
        _, meta = pipeline.estimate_pose(spec["clip"], options)
        return int(meta["input"]["frame_count"]), time.perf_counter() - t0
    made = pipeline.feet_observer

    class Timed:
        def __init__(self, obs: Any) -> None:
            self.obs = obs

        def __call__(self, frame: Any, keypoints: Any, scores: Any) -> None:
            t = time.perf_counter()
            self.obs(frame, keypoints, scores)
            OBSERVER_SECONDS.append(time.perf_counter() - t)

        def runner_motion(self, series: Any) -> Any:
            return self.obs.runner_motion(series)

    def timed(backend: Any) -> Any:
        obs = made(backend)
        return None if obs is None else Timed(obs)

    pose_module.feet_observer = timed  # type: ignore[assignment]  # estimate_pose_and_motion looks it up there
    t0 = time.perf_counter()
    _, meta, _ = pipeline.estimate_pose_and_motion(spec["clip"], options)
    return int(meta["input"]["frame_count"]), time.perf_counter() - t0


def analyze(spec: dict[str, Any]) -> tuple[int, float]:
    from formcam.pipeline import analyze_video

    options = _options(spec)
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        result = analyze_video(spec["clip"], out, options)
        seconds = time.perf_counter() - t0
    return int(result.report["input"]["frame_count"]), seconds


NAIVE_SCRIPT = Path(__file__).resolve().parent / "naive_loop.py"


def _timed_program(cmd: list[str]) -> tuple[str, float]:
    """Run a whole program (a fresh interpreter: its imports, model loading and everything else
    counted); return its stdout and wall seconds."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {proc.stderr[-1000:]}")
    return proc.stdout, seconds


def cli(spec: dict[str, Any]) -> tuple[int, float]:
    """``formcam analyze CLIP --no-video`` as a user runs it (plus ``spec["args"]``), start-up included."""
    with tempfile.TemporaryDirectory() as out:
        _, seconds = _timed_program([sys.executable, "-m", "formcam", "analyze", spec["clip"], "--out", out,
                                     "--no-video", "-q", *spec.get("args", [])])
        report = json.loads((Path(out) / "report.json").read_text())
    return int(report["input"]["frame_count"]), seconds


def naive_cli(spec: dict[str, Any]) -> tuple[int, float]:
    """``naive_loop.py`` (OpenCV read + MediaPipe one pose, VIDEO mode) as a program, start-up included."""
    from formcam.pose.models import model_path

    stdout, seconds = _timed_program([sys.executable, str(NAIVE_SCRIPT), spec["clip"],
                                      str(model_path(spec["model"]))])
    return int(stdout.split()[-1]), seconds


def child_main(spec_json: str) -> int:
    import logging

    logging.disable(logging.WARNING)
    spec = json.loads(spec_json)
    frames, seconds = measure(spec)
    peak = peak_rss_mb()
    if spec["kind"] in ("cli", "naive_cli"):  # the program it ran (waited for), not this process
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print(json.dumps({"frames": frames, "seconds": seconds, "peak_mb": peak,
                      "observer_s": sum(OBSERVER_SECONDS),
                      "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
    return 0


def peak_rss_mb() -> float:
    """This process's resident-set high-water mark in MB.

    ``VmHWM`` from ``/proc/self/status`` where available: ``getrusage().ru_maxrss`` of a
    child started by fork + exec never reports less than the parent's size at the fork
    (Linux keeps the pre-exec high-water mark), so it cannot show a small child's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux

