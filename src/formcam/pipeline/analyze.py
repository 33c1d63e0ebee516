"""The two entry points for one clip, composing the stages and writing the files.

``analyze_video`` : video → pose (all people) → runner → keypoints.npz → analysis → cues →
report.html, frames.csv, plots, key frames, annotated.mp4 → report.json
``analyze_keypoints`` : keypoints.npz → the same (the same report)
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcam.errors import FormcamError, InputError
from formcam.options import AnalyzeOptions
from formcam.pipeline.pose_stage import ProgressFn, estimate_pose_and_motion
from formcam.pipeline.report_stage import analyse
from formcam.pose import pelvis_pass, side_pass
from formcam.series import (
    FootMotion,
    PoseSeries,
    load_foot_motion,
    load_keypoints,
    load_keypoints_meta,
    save_keypoints,
)
from formcam.video import file_sha256

log = logging.getLogger(__name__)

LATER_STAGES = ("formcam.analysis", "formcam.report", "matplotlib.figure", "matplotlib.backends.backend_agg")
"""Modules the analysis and the outputs need, imported by :func:`preload_later_stages` while the
pose model runs (about a second and a half of start-up on the 2-core reference machine: SciPy's
signal and stats, Matplotlib)."""


@dataclass(frozen=True)
class AnalyzeResult:
    """A finished analysis: the report, the runner's keypoints and the files written."""

    report: dict[str, Any]
    series: PoseSeries
    files: dict[str, Path]


def _meta_for_plain_keypoints(path: Path, series: PoseSeries) -> dict[str, Any]:
    """Meta for a keypoints file made elsewhere (no ``meta_json``)."""
    duration = float(series.t_s[-1] - series.t_s[0]) if series.n_frames > 1 else 0.0
    return {
        "input": {"path": str(path), "sha256": file_sha256(path), "fps": series.fps,
                  "frame_count": series.n_frames, "duration_s": duration, "width": series.width,
                  "height": series.height, "rotation_deg": 0},
        "backend": {"name": "replay", "model": "keypoints-file"},
        "person": None, "pose_settings": {"backend": "replay"}, "pose_warnings": [],
    }


def _finish(out: Path, series: PoseSeries, meta: dict[str, Any], options: AnalyzeOptions,
            files: dict[str, Path], *, video_path: Path | None,
            progress: ProgressFn | None, foot_motion: FootMotion | None = None) -> AnalyzeResult:
    """Analyse, write the outputs (HTML, CSV, plots, key frames, video) and report.json."""
    from formcam.report import write_outputs

    source = str(meta["input"]["path"])
    try:
        report, result = analyse(series, meta, options, foot_motion)
    except FormcamError as exc:
        if str(exc).startswith(source):
            raise
        raise type(exc)(f"{source}: {exc}") from None
    out.mkdir(parents=True, exist_ok=True)
    if result is not None and options.outputs:
        files.update(write_outputs(result, report, out, video_path=video_path,
                                   video=options.render_video, progress=progress,
                                   rules=options.rules_path, cues_done=True))
    return AnalyzeResult(report=report, series=series, files=_write(out, report, files))


def _write(out_dir: Path, report: dict[str, Any], files: dict[str, Path]) -> dict[str, Path]:
    from formcam.report import write_json

    out_dir.mkdir(parents=True, exist_ok=True)
    files["report"] = write_json(out_dir / "report.json", report)
    return files


def ensure_out_dir(out_dir: str | Path) -> Path:
    """Create the results folder ``out_dir`` (and its parents) before any work is done.

    Raises:
        InputError: ``out_dir`` is an existing file, or cannot be created (permissions,
            read-only file system, a parent that is a file), with the reason.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: cannot write results there: expected a folder, got an existing file")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the results folder: {exc.strerror or exc}") from None
    return out


def preload_later_stages() -> threading.Thread:
    """Import :data:`LATER_STAGES` in a background thread (started here) and return it; join it
    before using them. The pose model and the decoder release the GIL and leave part of the other
    core idle, so the imports overlap the pose stage instead of following it. A module that fails
    to import is left to fail again, with its message, where it is used."""

    def run() -> None:
        for name in LATER_STAGES:
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
            except ImportError as exc:
                log.debug("preloading %s failed (%s); it is imported where it is used", name, exc)

    thread = threading.Thread(target=run, name="formcam-preload", daemon=True)
    thread.start()
    return thread


def analyze_video(path: str | Path, out_dir: str | Path, options: AnalyzeOptions | None = None, *,
                  progress: ProgressFn | None = None, sha256: str | None = None) -> AnalyzeResult:
    """Full analysis of a video; writes ``keypoints.npz`` and ``report.json`` into ``out_dir``.

    ``sha256``: the file's hash if the caller already computed it (not read twice).
    """
    options = options or AnalyzeOptions()
    out = ensure_out_dir(out_dir)
    preload = None if options.keypoints_only else preload_later_stages()
    series, meta, motion = estimate_pose_and_motion(path, options, progress=progress, sha256=sha256)
    if preload is not None:
        preload.join()  # before this thread imports any of them itself
    from formcam.analysis import wants_pelvis_pass, wants_tilt_pass

    if wants_pelvis_pass(series, view=options.view):
        # a second decode of the same frames, keeping a few numbers per frame (formcam.pose.pelvis_pass)
        step = int(meta["sampling"]["frame_step"])
        meta["pelvis_image"] = pelvis_pass(path, series, step=step, markers=options.markers).to_meta()
    elif wants_tilt_pass(series, view=options.view, markers=options.markers):
        # side view: the ASIS / PSIS stickers, in crops around the hips (formcam.pose.side_pass)
        step = int(meta["sampling"]["frame_step"])
        meta["pelvis_image"] = side_pass(path, series, step=step, markers=options.markers).to_meta()
    out.mkdir(parents=True, exist_ok=True)
    files = {"keypoints": save_keypoints(out / "keypoints.npz", series, meta=meta, foot_motion=motion)}
    return _finish(out, series, meta, options, files, video_path=Path(path), progress=progress,
                   foot_motion=motion)


def analyze_keypoints(path: str | Path, out_dir: str | Path, options: AnalyzeOptions | None = None, *,
                      progress: ProgressFn | None = None) -> AnalyzeResult:
    """Analysis of a keypoints ``.npz`` (replay); writes the same outputs as :func:`analyze_video`.

    The annotated video and key frames use the original video when it is still at
    the recorded path; otherwise key frames are drawn on a plain background.
    """
    options = options or AnalyzeOptions()
    if options.max_fps is not None:
        log.warning("max_fps applies to the pose stage; a replay keeps the frames of its keypoints file")
    path = Path(path)
    series = load_keypoints(path)
    ensure_out_dir(out_dir)
    meta = load_keypoints_meta(path) or {}
    if not {"input", "backend"} <= meta.keys():  # made elsewhere (e.g. a phantom's true keypoints)
        meta = {**_meta_for_plain_keypoints(path, series), **meta}
    source = Path(str(meta["input"]["path"]))
    video_path = source if source.suffix.lower() != ".npz" and source.is_file() else None
    return _finish(Path(out_dir), series, meta, options, {}, video_path=video_path, progress=progress,
                   foot_motion=load_foot_motion(path))
