"""The composition of formcam's stages, in one place.

``analyze_video`` : video → pose (all people) → runner → keypoints.npz → analysis → cues →
report.html, frames.csv, plots, key frames, annotated.mp4 → report.json
``analyze_keypoints`` : keypoints.npz → the same (the same report)

The CLI and the app only call these. Everything the report needs from the pose
stage (input facts, backend, how the runner was chosen, pose-stage warnings)
is stored in the keypoints file's ``meta_json``, so a replay reproduces the
video's report exactly.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from formcam.errors import FormcamError, InputError, NoRunnerError
from formcam.options import AnalyzeOptions, frame_step
from formcam.pose import (
    FootMotionObserver,
    Selection,
    create_backend,
    crop_track,
    detect,
    motion_boxes,
    pelvis_pass,
    quality_of,
    runner_series,
    side_pass,
    to_frame_coords,
    zoomed_frames,
)
from formcam.series import (
    FootMotion,
    PelvisImage,
    PoseSeries,
    load_foot_motion,
    load_keypoints,
    load_keypoints_meta,
    save_keypoints,
)
from formcam.video import Frame, FrameReader, VideoInfo, file_sha256, prefetch, probe

if TYPE_CHECKING:
    from formcam.analysis import Analysis

log = logging.getLogger(__name__)

LATER_STAGES = ("formcam.analysis", "formcam.report", "matplotlib.figure", "matplotlib.backends.backend_agg")
"""Modules the analysis and the outputs need, imported by :func:`preload_later_stages` while the
pose model runs (about a second and a half of start-up on the 2-core reference machine: SciPy's
signal and stats, Matplotlib)."""

ProgressFn = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; ``total`` is an estimate for frames."""

MIN_RUNNER_FRACTION = 0.8
DECODE_NICE = 0
"""Priority steps by which the decoding thread (and FFmpeg's decoder threads it starts) yields
to the pose model on Linux (:func:`formcam.video.prefetch.lower_thread_priority`); 0: none.
On an idle 2-core machine 10 steps gave the model its core back (ONNX full, one pose, 1.11x
frames/s; MediaPipe full, three poses, 1.01x), but on a loaded one (the reference machine
shared with other jobs, load average 10) the lowered thread starved and the model waited for
frames: :func:`estimate_pose` over a 1080x1920 60 fps clip, ONNX full, three poses, took
32-33 s at 10 and 23-24 s at 0 (two paired rounds; CPU time 13 s in all four).
See benchmarks/README.md."""

YUV_MIN_PIXELS = 1920 * 1080
"""Frames with more pixels than this (e.g. 4K) go to a backend that crops YUV planes itself
(:func:`use_yuv_planes`)."""


def use_yuv_planes(backend: object, width: int, height: int) -> bool:
    """Whether to give ``backend`` the decoder's YUV planes instead of RGB frames.

    Only for a backend that crops planes itself (``accepts_yuv``: the ONNX backend) and
    frames larger than 1080p. There, converting whole frames to RGB costs more than decoding
    them and halves the pose stage (4K, ONNX full: see benchmarks/README.md); at 1080p and
    below the RGB path costs little and reproduces MediaPipe's input exactly (ONNX keypoints
    a median 0.13 px from MediaPipe's on the parity phantom, 0.6 px from planes), which the
    backend-parity metrics are sensitive to.
    """
    return bool(getattr(backend, "accepts_yuv", False)) and width * height > YUV_MIN_PIXELS


@dataclass(frozen=True)
class AnalyzeResult:
    """A finished analysis: the report, the runner's keypoints and the files written."""

    report: dict[str, Any]
    series: PoseSeries
    files: dict[str, Path]


def feet_observer(backend: Any) -> FootMotionObserver | None:
    """The foot-motion observer for ``backend``'s keypoints (None if it has no heel and toe points)."""
    names = tuple(backend.keypoint_names)
    if not {f"{s}_{p}" for s in ("left", "right") for p in ("heel", "foot_index", "ankle")} <= set(names):
        return None
    return FootMotionObserver(names)


def estimate_pose(path: str | Path, options: AnalyzeOptions, *, progress: ProgressFn | None = None,
                  sha256: str | None = None) -> tuple[PoseSeries, dict[str, Any]]:
    """Run pose estimation on a video; return the runner's series and the pose ``meta``
    (:func:`estimate_pose_and_motion` without measuring the feet' motion)."""
    series, meta, _ = estimate_pose_and_motion(path, options, progress=progress, sha256=sha256, feet=False)
    return series, meta


def estimate_pose_and_motion(path: str | Path, options: AnalyzeOptions, *, progress: ProgressFn | None = None,
                             sha256: str | None = None,
                             feet: bool = True) -> tuple[PoseSeries, dict[str, Any], FootMotion | None]:
    """Run pose estimation on a video; return the runner's series, the pose ``meta`` and (with
    ``feet``) each foot's image motion measured on the same decoded frames
    (:class:`formcam.pose.FootMotionObserver`; None when the runner was found by zooming in).

    ``sha256``: the file's hash if the caller already has it (see :func:`formcam.video.reader.probe`).

    Raises:
        InputError / VideoError: the file is missing or not a usable video.
        ModelError: the model bundle is missing.
        NoRunnerError: nobody was found.
    """
    info = probe(path, sha256=sha256)
    step = frame_step(info.fps, options.max_fps)
    warnings: list[str] = []
    backend = create_backend(options.backend, model=options.model, num_poses=options.num_poses,
                             detect_interval_s=options.detect_interval_s, track_runner=options.track_runner,
                             view=options.view)

    def tick(frame: Frame) -> None:
        if progress is not None:
            progress("pose", frame.index + 1, info.frame_count)

    # decoding runs ahead in a thread (bounded queue) at a lower priority, overlapping the pose
    # model; it starts before the model loads, so opening the decoder overlaps loading the model
    yuv = use_yuv_planes(backend, info.width, info.height)
    observer = feet_observer(backend) if feet else None
    with (FrameReader(path, step=step, yuv=yuv) as reader, prefetch(reader, nice=DECODE_NICE) as frames,
          backend):
        det = detect(frames, backend, width=info.width, height=info.height, fps=info.fps / step,
                     on_frame=tick, observers=[observer] if observer is not None else [])
    if step > 1:
        log.info("%s: analysed one frame in %d (%d of %d; %.3g fps of %.3g fps; --max-fps %g)", path, step,
                 det.n_frames, reader.frames_seen, info.fps / step, info.fps, options.max_fps)
    if reader.truncated:
        warnings.append(f"the video ends early (damaged or truncated file): analysed the "
                        f"{reader.frames_seen} frames that could be decoded")
    if reader.dropped:
        warnings.append(f"{reader.dropped} frames with repeated or backward timestamps were skipped")
    try:
        series, selection = runner_series(det, options.person)
        usable = _usable(series)
        motion = observer.runner_motion(series) if observer is not None else None
    except NoRunnerError as exc:
        usable, reason = False, str(exc)
    else:
        from formcam.analysis import MIN_FRAMES

        reason = f"the runner's hips were found in fewer than {MIN_FRAMES} frames"
    if not usable:
        zoomed = _zoom_pass(path, options, info, step)
        if zoomed is None:
            raise NoRunnerError(f"{path}: {reason}; film the runner's whole body, head to feet, "
                                f"filling at least a quarter of the frame height")
        series, selection, note = zoomed
        warnings.append(note)
        motion = None
    quality = quality_of(series)
    if selection.n_people > 1:
        warnings.append(f"{selection.n_people} people were tracked; the runner was chosen by "
                        f"{selection.method} (override with --person)")
    if quality["runner_frames_fraction"] < MIN_RUNNER_FRACTION:
        warnings.append(f"the runner was found in only {100 * quality['runner_frames_fraction']:.0f} % "
                        f"of frames; results use those frames only")
    input_rec = {
        "path": str(path), "sha256": info.sha256, "fps": round(info.fps, 6),
        "frame_count": reader.frames_seen, "duration_s": round(info.duration_s, 6),
        "width": info.width, "height": info.height, "rotation_deg": info.rotation_deg,
    }
    meta = {"input": input_rec, "backend": asdict(backend.info), "person": selection.to_dict(),
            "pose_settings": options.pose_settings(), "pose_warnings": warnings,
            "sampling": {"frame_step": step}}
    return series, meta, motion


def _usable(series: PoseSeries) -> bool:
    """Whether the runner's hips are seen in enough frames for the analysis
    (:data:`formcam.analysis.MIN_FRAMES`); otherwise the runner is looked for again, zoomed in."""
    from formcam.analysis import MIN_FRAMES

    return int(series.present(min_score=0.3, trunk=False).sum()) >= MIN_FRAMES


def _zoom_pass(path: str | Path, options: AnalyzeOptions, info: VideoInfo,
               step: int) -> tuple[PoseSeries, Selection, str] | None:
    """Find a small runner by zooming in on the moving person (:mod:`formcam.pose.zoom`): two more
    passes over the video (motion, then the model on crops); None if that finds nobody either."""
    log.info("%s: nobody usable in the full frame; looking for a small moving runner", path)
    with FrameReader(path, step=step) as reader:
        _, boxes = motion_boxes(reader, width=info.width)
    crops = crop_track(boxes, width=info.width, height=info.height, fps=info.fps / step)
    if crops is None:
        return None
    backend = create_backend(options.backend, model=options.model, num_poses=options.num_poses,
                             detect_interval_s=options.detect_interval_s)
    with FrameReader(path, step=step) as reader, backend:
        det = detect(zoomed_frames(reader, crops), backend, width=crops.out_px, height=crops.out_px,
                     fps=info.fps / step)
    try:
        series, selection = runner_series(to_frame_coords(det, crops, width=info.width, height=info.height),
                                          options.person)
    except NoRunnerError:
        return None
    if not _usable(series):
        return None
    seen = np.isfinite(series.xy[..., 1]).any(axis=1)
    ys = series.xy[seen, :, 1]
    share = float(np.median(np.nanmax(ys, axis=1) - np.nanmin(ys, axis=1))) / info.height
    return series, selection, (f"the runner is small in the frame (about {100 * share:.0f} % of its "
                               "height): found by zooming in on the moving person; film closer for more "
                               "precise numbers")


def sampling_of(series: PoseSeries, meta: dict[str, Any]) -> dict[str, Any]:
    """The ``quality`` fields saying which frames were analysed and the event-timing resolution.

    ``analysed_fps`` and ``analysed_frame_count``: the pose series (every ``frame_step``-th
    video frame); ``frame_interval_ms``: the time between analysed frames. Contact and
    toe-off are interpolated between analysed frames (``event_timing``): their resolution
    is finer than one interval, but their accuracy still falls with the analysed rate
    (below 60 fps the analysis warns) and depends on the pose model (``formcam verify``).
    """
    step = int((meta.get("sampling") or {}).get("frame_step", 1))
    return {"analysed_fps": round(series.fps, 6), "analysed_frame_count": series.n_frames, "frame_step": step,
            "frame_interval_ms": round(1000.0 / series.fps, 3),
            "event_timing": "sub-frame (contact and toe-off interpolated between analysed frames)"}


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


def analyse(series: PoseSeries, meta: dict[str, Any], options: AnalyzeOptions,
            foot_motion: FootMotion | None = None) -> tuple[dict[str, Any], Analysis | None]:
    """Analyse a runner's series; return the report (with cues) and the analysis.

    ``foot_motion``: the feet' image motion from the pose pass (contact timing, side view).
    Pure: the same series, meta, options and foot motion give the same report.
    """
    from formcam.analysis import analyze_series, with_pelvis_image, with_pelvis_tilt
    from formcam.report import add_cues, build_report, disclaimer

    quality: dict[str, Any] = {**quality_of(series), **sampling_of(series, meta),
                               "warnings": list(meta.get("pose_warnings", []))}
    fields: dict[str, Any] | None = None
    result: Analysis | None = None
    if not options.keypoints_only:
        stated_fps = float((meta.get("input") or {}).get("fps") or series.fps)
        result = analyze_series(series, view=options.view, setting=options.setting,
                                direction=options.direction, height_cm=options.height_cm,
                                time_scale=options.time_scale(stated_fps), foot_motion=foot_motion)
        image = PelvisImage.from_meta(meta.get("pelvis_image"))
        result = with_pelvis_image(result, image if image is None or image.view == "rear" else None)
        result = with_pelvis_tilt(result, image, markers=options.markers)
        fields = result.to_report_fields()
        extra = fields.pop("quality")
        quality["warnings"] += extra.pop("warnings")
        quality.update(extra)
    settings = {**meta.get("pose_settings", {}), **options.analysis_settings()}
    report = build_report(meta=meta, quality=quality, settings=settings, analysis=fields)
    report["disclaimer"] = disclaimer()
    if result is not None:
        add_cues(report, options.rules_path)
    return report, result


def report_from_series(series: PoseSeries, meta: dict[str, Any], options: AnalyzeOptions) -> dict[str, Any]:
    """The report of :func:`analyse` alone."""
    return analyse(series, meta, options)[0]


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
