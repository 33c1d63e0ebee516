"""Annotated video (H.264, yuv420p, browser-playable).

:func:`render_video` streams the video (:func:`formcam.video.reader.iter_frames`: decode,
draw, encode one frame at a time) and draws on each frame the overlays of
:mod:`formcam.report.overlay` (skeleton, live angles, event labels, measurement lines, the
active cue's banner). Frames of the video are matched to pose frames by timestamp. Key-frame
pictures (drawn the same way, also for a keypoints replay without the video) are in
:mod:`formcam.report.keyframes`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from formcam.report.csv_report import AnalysisLike
from formcam.report.overlay import DrawContext, Img, annotate, draw_context
from formcam.video import H264Writer, iter_frames

log = logging.getLogger(__name__)
ProgressFn = Callable[[str, int, int], None]


def _frames(video_path: Path, ctx: DrawContext) -> Iterator[tuple[Img, int | None]]:
    """``(image, nearest pose frame index or None)`` for each video frame.

    A video frame gets the pose frame nearest in time within half a pose-frame interval,
    so when only every k-th frame was analysed (``--max-fps``) the frames between show
    the nearest analysed pose.
    """
    s = ctx.table.series
    tol = 0.5 / s.fps + 1e-6
    for fr in iter_frames(video_path):
        ft = fr.t_s * ctx.time_scale
        k = int(np.clip(np.searchsorted(s.t_s, ft), 1, s.n_frames - 1)) if s.n_frames > 1 else 0
        k = k - 1 if k > 0 and abs(s.t_s[k - 1] - ft) <= abs(s.t_s[k] - ft) else k
        i: int | None = k if abs(s.t_s[k] - ft) <= tol else None
        yield fr.image, i


def render_video(video_path: str | Path, analysis_like: AnalysisLike, report: dict[str, Any],
                 out_path: str | Path, *, progress: ProgressFn | None = None, flash_s: float = 0.2,
                 crf: int = 23, preset: str = "veryfast") -> Path:
    """Write the annotated H.264 MP4 (yuv420p, one output frame per decoded input frame).

    Args:
        video_path: the analysed video. analysis_like: the ``Analysis`` (or its cleaned series).
        report: the report dict with ``view``, ``direction``, ``steps``, ``cues``, ``quality.scale``.
        progress: ``progress("render", done, total)`` per frame.
        flash_s: how long event labels and measurement lines stay, seconds.
        crf, preset: x264 quality (lower crf = better, bigger) and speed.
    """
    ctx = draw_context(analysis_like, report, flash_s)
    out_path = Path(out_path)
    s = ctx.table.series
    w, h = s.width - s.width % 2, s.height - s.height % 2
    fps = float((report.get("input") or {}).get("fps") or s.fps)
    total = int((report.get("input") or {}).get("frame_count") or s.n_frames)
    with H264Writer(out_path, fps=fps, width=w, height=h, crf=crf, preset=preset) as writer:
        for n, (img, i) in enumerate(_frames(Path(video_path), ctx)):
            writer.write(np.ascontiguousarray(annotate(img, ctx, i)[:h, :w]))
            if progress is not None:
                progress("render", n + 1, total)
    log.info("wrote %s (%d frames)", out_path, writer.frames_written)
    return out_path
