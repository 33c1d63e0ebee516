"""The pose stage of one clip: a video in, the runner's series and the pose ``meta`` out.

:func:`estimate_pose_and_motion` probes the file, decodes it (in a prefetch thread) into the
pose backend, chooses the runner (zooming in on a small moving runner when the full frame finds
nobody usable) and records what the report needs from this stage (input facts, backend, how the
runner was chosen, pose-stage warnings) in ``meta``; with ``feet`` it also measures each foot's
image motion on the same decoded frames.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from formcam.errors import NoRunnerError
from formcam.options import AnalyzeOptions, frame_step
from formcam.pose import (
    Detections,
    FootMotionObserver,
    Selection,
    create_backend,
    crop_track,
    detect,
    motion_boxes,
    quality_of,
    runner_series,
    to_frame_coords,
    zoomed_frames,
)
from formcam.series import FootMotion, PoseSeries
from formcam.video import Frame, FrameReader, VideoInfo, prefetch, probe

log = logging.getLogger(__name__)

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
    warnings += _decode_warnings(reader)
    series, selection, motion, note = _choose_runner(det, path, options, info, step, observer)
    if note is not None:
        warnings.append(note)
    warnings += _runner_warnings(series, selection)
    input_rec = {
        "path": str(path), "sha256": info.sha256, "fps": round(info.fps, 6),
        "frame_count": reader.frames_seen, "duration_s": round(info.duration_s, 6),
        "width": info.width, "height": info.height, "rotation_deg": info.rotation_deg,
    }
    meta = {"input": input_rec, "backend": asdict(backend.info), "person": selection.to_dict(),
            "pose_settings": options.pose_settings(), "pose_warnings": warnings,
            "sampling": {"frame_step": step}}
    return series, meta, motion


def _decode_warnings(reader: FrameReader) -> list[str]:
    """Warnings about frames the decoder could not give (a truncated file, bad timestamps)."""
    warnings: list[str] = []
    if reader.truncated:
        warnings.append(f"the video ends early (damaged or truncated file): analysed the "
                        f"{reader.frames_seen} frames that could be decoded")
    if reader.dropped:
        warnings.append(f"{reader.dropped} frames with repeated or backward timestamps were skipped")
    return warnings


def _choose_runner(det: Detections, path: str | Path, options: AnalyzeOptions, info: VideoInfo, step: int,
                   observer: FootMotionObserver | None
                   ) -> tuple[PoseSeries, Selection, FootMotion | None, str | None]:
    """The runner's series and choice from the full-frame detections ``det``, with the feet'
    motion from ``observer``; else from :func:`_zoom_pass` (no feet' motion; its note says so).

    Returns ``(series, selection, motion, note)``; ``note`` is None for a full-frame runner.

    Raises:
        NoRunnerError: nobody usable was found, zoomed in or not.
    """
    try:
        series, selection = runner_series(det, options.person)
        usable = _usable(series)
        motion = observer.runner_motion(series) if observer is not None else None
    except NoRunnerError as exc:
        usable, reason = False, str(exc)
    else:
        from formcam.analysis import MIN_FRAMES

        reason = f"the runner's hips were found in fewer than {MIN_FRAMES} frames"
    if usable:
        return series, selection, motion, None
    zoomed = _zoom_pass(path, options, info, step)
    if zoomed is None:
        raise NoRunnerError(f"{path}: {reason}; film the runner's whole body, head to feet, "
                            f"filling at least a quarter of the frame height")
    series, selection, note = zoomed
    return series, selection, None, note


def _runner_warnings(series: PoseSeries, selection: Selection) -> list[str]:
    """Warnings about the runner's choice (several people) and coverage (found in few frames)."""
    warnings: list[str] = []
    quality = quality_of(series)
    if selection.n_people > 1:
        warnings.append(f"{selection.n_people} people were tracked; the runner was chosen by "
                        f"{selection.method} (override with --person)")
    if quality["runner_frames_fraction"] < MIN_RUNNER_FRACTION:
        warnings.append(f"the runner was found in only {100 * quality['runner_frames_fraction']:.0f} % "
                        f"of frames; results use those frames only")
    return warnings


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
