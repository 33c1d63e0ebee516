"""A few pictures of a video by presentation time, seeking instead of decoding it all.

A report's key frames need about five pictures out of thousands. :func:`frames_at`
returns, for each requested time, the frame nearest to it (within ``tol_s``), with
the same timestamps (seconds from the first frame) and orientation as
:class:`formcam.video.reader.FrameReader`. It first lists the stream's keyframes by
demuxing (reading packets, no decoding), then, for each requested time in order,
seeks to the last keyframe at or before it when that keyframe lies ahead of the
decoder's position (otherwise it decodes forward from where it is), and converts
only the chosen frames to RGB. Decoding a GOP is unavoidable: H.264 frames depend
on the preceding keyframe.

Files where this cannot be trusted (no timestamps, no keyframe index, or a seek
landing after the wanted time) fall back to one sequential pass over the file that
converts only frames near a wanted time.
"""

from __future__ import annotations

import bisect
import itertools
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream
from numpy.typing import NDArray

from formcam.video.container import AV_ERRORS, open_video, rotation_cw, to_rgb
from formcam.video.reader import FrameReader

log = logging.getLogger(__name__)

_EPS_S = 1e-6


class _SeekError(Exception):
    """Seeking is not reliable for this file; read it sequentially instead."""


def frames_at(path: str | Path, times_s: Sequence[float], *,
              tol_s: float) -> list[NDArray[np.uint8] | None]:
    """The pictures nearest to ``times_s`` (seconds from the first frame), one per time.

    Args:
        path: the video file.
        times_s: wanted presentation times, in any order (as :attr:`Frame.t_s`).
        tol_s: largest accepted distance between a wanted time and a frame's time.

    Returns:
        Per wanted time, an ``(H, W, 3)`` uint8 RGB image in display orientation, or
        None when no frame lies within ``tol_s``.

    Raises:
        InputError, VideoError: as :func:`formcam.video.reader.iter_frames`.
    """
    want = sorted({float(t) for t in times_s})
    found: dict[float, NDArray[np.uint8]] = {}
    if want:
        try:
            found = _seeking(Path(path), want, tol_s)
        except (_SeekError, *AV_ERRORS) as exc:  # e.g. a decode error in a damaged file
            log.debug("%s: reading sequentially for key frames (%s)", path, exc)
            found = _sequential(Path(path), want, tol_s)
    return [found.get(float(t)) for t in times_s]


def _keyframes(path: Path) -> tuple[list[float], list[int]]:
    """Absolute times (seconds, sorted) and pts of the video stream's keyframe packets."""
    container, stream = open_video(path)
    with container:
        tb = stream.time_base
        if tb is None:
            raise _SeekError("no time base")
        pts = sorted(p.pts for p in container.demux(stream) if p.is_keyframe and p.pts is not None)
    if not pts:
        raise _SeekError("no keyframe index")
    return [float(p * tb) for p in pts], pts


def _decode(container: InputContainer, stream: VideoStream) -> Iterator[VideoFrame]:
    for frame in container.decode(stream):
        if frame.time is None:
            raise _SeekError("a frame has no timestamp")
        yield frame


def _seeking(path: Path, want: list[float], tol_s: float) -> dict[float, NDArray[np.uint8]]:
    keys, keys_pts = _keyframes(path)
    container, stream = open_video(path)
    out: dict[float, NDArray[np.uint8]] = {}
    with container:
        stream.thread_type = "AUTO"
        reformatter = VideoReformatter()
        frames = _decode(container, stream)
        first = next(frames, None)
        if first is None:
            raise _SeekError("no frame decoded")
        t0, rotation = float(first.time or 0.0), rotation_cw(first, stream)
        pending: VideoFrame | None = first
        position = 0.0  # relative time of the last decoded frame
        for target in want:
            k = bisect.bisect_right(keys, t0 + target + _EPS_S) - 1
            seeked = k >= 0 and keys[k] - t0 > position + _EPS_S
            if seeked:
                container.seek(keys_pts[k], stream=stream, backward=True)
                frames, pending = _decode(container, stream), None
            best: tuple[float, VideoFrame] | None = None
            source = itertools.chain([pending] if pending is not None else [], frames)
            pending = None
            for frame in source:
                t = float(frame.time or 0.0) - t0
                if seeked and t > target + _EPS_S:
                    raise _SeekError(f"seeking for {target:.3f} s landed at {t:.3f} s")
                seeked, position = False, max(position, t)
                if t > target + tol_s:
                    pending = frame  # may belong to the next wanted time
                    break
                if t >= target - tol_s and (best is None or abs(t - target) < best[0]):
                    best = (abs(t - target), frame)
            if best is not None:
                out[target] = to_rgb(best[1], rotation, reformatter)
    return out


def _sequential(path: Path, want: list[float], tol_s: float) -> dict[float, NDArray[np.uint8]]:
    def near(t: float) -> bool:
        i = bisect.bisect_left(want, t - tol_s)
        return i < len(want) and want[i] <= t + tol_s

    best: dict[float, tuple[float, NDArray[np.uint8]]] = {}
    with FrameReader(path, select=near) as reader:
        for frame in reader:
            lo = bisect.bisect_left(want, frame.t_s - tol_s)
            hi = bisect.bisect_right(want, frame.t_s + tol_s)
            for target in want[lo:hi]:
                d = abs(frame.t_s - target)
                if target not in best or d < best[target][0]:
                    best[target] = (d, frame.image)
            if frame.t_s > want[-1] + tol_s:
                break
    return {t: img for t, (_, img) in best.items()}
