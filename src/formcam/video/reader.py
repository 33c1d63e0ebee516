"""Reading videos: :func:`probe` for facts about a file, :func:`iter_frames` for its pictures.

Frames are RGB ``uint8`` arrays in display orientation (the rotation phones
record as a display matrix, or the legacy ``rotate`` tag, is applied) with true
presentation times (phone videos often have a variable frame rate). A problem
the user can fix is a one-line :class:`~formcam.errors.VideoError`, or
:class:`~formcam.errors.InputError` for a missing path.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream
from numpy.typing import NDArray

from formcam.errors import VideoError
from formcam.video.container import (
    AV_ERRORS,
    FALLBACK_FPS,
    HINT_REEXPORT,
    no_frame_message,
    nominal_fps,
    open_video,
    rotation_cw,
    stream_duration_s,
    to_rgb,
    to_yuv,
)
from formcam.video.hashing import file_sha256
from formcam.video.yuv import YuvImage

log = logging.getLogger(__name__)

MIN_FRAMES = 2
"""Fewest decodable frames a file needs to count as a video."""


@dataclass(frozen=True)
class VideoInfo:
    """Facts about a video file, from its header and its first two frames.

    Attributes:
        path: the file path as given.
        sha256: hex SHA-256 of the file bytes (identifies the clip in caches).
        fps: nominal frame rate in frames per second (the average for variable frame rate).
        frame_count: number of frames; unless ``frame_count_exact``, an estimate
            (``duration_s * fps``), 0 when the file has no duration either (raw streams).
        frame_count_exact: True when ``frame_count`` comes from the container header.
        duration_s: duration of the video stream in seconds.
        width: frame width in pixels, display orientation (after rotation).
        height: frame height in pixels, display orientation.
        rotation_deg: clockwise rotation in {0, 90, 180, 270} that turns the stored
            pixels upright (an iPhone portrait clip, display matrix -90, has 90).
        codec: decoder name, e.g. ``"h264"``.
        coded_width, coded_height: size of the stored picture, before rotation.
    """

    path: str
    sha256: str
    fps: float
    frame_count: int
    frame_count_exact: bool
    duration_s: float
    width: int
    height: int
    rotation_deg: int
    codec: str
    coded_width: int
    coded_height: int


@dataclass(frozen=True)
class Frame:
    """One decoded picture.

    Attributes:
        index: 0-based position in the decoder's output over the whole file
            (frames skipped by ``start_s`` or dropped for bad timestamps leave gaps).
        t_s: presentation time in seconds from the first frame (which is 0.0).
        pixels: ``(H, W, 3)`` uint8 RGB, display orientation, C-contiguous; or, from a
            ``FrameReader(..., yuv=True)``, the decoder's planes as a :class:`YuvImage`
            (display shape ``pixels.shape``). Either way its buffer belongs to this frame
            alone (the decoder never reuses it while it lives), so it is safe to keep.
    """

    index: int
    t_s: float
    pixels: NDArray[np.uint8] | YuvImage

    @property
    def image(self) -> NDArray[np.uint8]:
        """``(H, W, 3)`` uint8 RGB in display orientation (converted here from YUV planes)."""
        return self.pixels if isinstance(self.pixels, np.ndarray) else self.pixels.to_rgb()


def _first_two(path: Path, container: InputContainer,
               stream: VideoStream) -> tuple[VideoFrame, VideoFrame]:
    frames: list[VideoFrame] = []
    try:
        for frame in container.decode(stream):
            frames.append(frame)
            if len(frames) == MIN_FRAMES:
                return frames[0], frames[1]
    except AV_ERRORS as e:
        log.debug("%s: decode error after %d frames: %s", path, len(frames), e)
    if not frames:
        raise VideoError(no_frame_message(path))
    raise VideoError(f"{path}: only {len(frames)} frame: need a video of at least {MIN_FRAMES} "
                     "frames; record a few seconds of running")


def probe(path: str | Path, *, sha256: str | None = None) -> VideoInfo:
    """Read the header of the video at ``path`` and decode its first two frames.

    ``sha256``: the file's hash when the caller has just computed it (a batch task
    does, to decide whether to resume), so the file is not read twice; None: hash it.

    Raises:
        InputError: the path is missing, a directory, or unreadable.
        VideoError: the file is empty, not a video, an image, audio only, or has
            fewer than :data:`MIN_FRAMES` decodable frames.
    """
    path = Path(path)
    container, stream = open_video(path)
    with container:
        first, second = _first_two(path, container, stream)
        rotation = rotation_cw(first, stream)
        fps = nominal_fps(container, stream)
        if fps is None and first.time is not None and second.time is not None and second.time > first.time:
            fps = 1.0 / (second.time - first.time)
        if fps is None:
            log.warning("%s: no frame rate in the file; assuming %.0f fps", path, FALLBACK_FPS)
            fps = FALLBACK_FPS
        exact = stream.frames > 0
        duration = stream_duration_s(container, stream) or (stream.frames / fps if exact else 0.0)
        count = stream.frames if exact else round(duration * fps)
        codec = stream.codec_context.name
    swap = rotation in (90, 270)
    return VideoInfo(
        path=str(path), sha256=sha256 or file_sha256(path), fps=fps, frame_count=count,
        frame_count_exact=exact, duration_s=duration, width=first.height if swap else first.width,
        height=first.width if swap else first.height, rotation_deg=rotation, codec=codec,
        coded_width=first.width, coded_height=first.height,
    )


class FrameReader:
    """Streams the frames of a video one at a time: a single-pass iterable and context manager.

    While and after iterating: ``frames_read`` counts frames yielded, ``frames_seen`` frames
    with a usable timestamp at or after ``start_s`` (yielded or skipped by ``step`` or
    ``select``), ``dropped`` frames dropped for a repeated or backward timestamp;
    ``truncated`` is True when decoding stopped early on a cut-off or corrupt file
    (logged as a warning, not raised).

    Frames skipped by ``start_s``, ``step`` or ``select`` are still decoded (H.264 frames
    depend on each other) but not converted to RGB, which is about half the per-frame
    cost at 1080p; ``index`` stays the position in the whole file.

    Args:
        path: the video file.
        max_frames: stop after yielding this many frames (None: all).
        start_s: skip frames whose ``t_s`` is before this time.
        step: yield only every ``step``-th frame seen (the 1st, ``step + 1``-th, ...):
            near-uniform spacing, true timestamps (variable frame rate stays exact).
        select: yield only frames whose ``t_s`` (seconds) it accepts (None: all).
        yuv: give 8-bit 4:2:0 frames as :class:`~formcam.video.yuv.YuvImage` planes instead of
            converting them to RGB (for a pose backend that crops them itself, one with
            ``accepts_yuv``: see :mod:`formcam.pose.backends.base`); other formats stay RGB.
    """

    def __init__(self, path: str | Path, *, max_frames: int | None = None, start_s: float = 0.0,
                 step: int = 1, select: Callable[[float], bool] | None = None, yuv: bool = False) -> None:
        if max_frames is not None and max_frames < 0:
            raise ValueError(f"expected max_frames >= 0 or None, got {max_frames}")
        if not np.isfinite(start_s) or start_s < 0:
            raise ValueError(f"expected a finite start_s >= 0, got {start_s}")
        if step < 1:
            raise ValueError(f"expected step >= 1, got {step}")
        self.path = Path(path)
        self.max_frames = max_frames
        self.start_s = start_s
        self.step = step
        self.select = select
        self.yuv = yuv
        self.frames_read = 0
        self.frames_seen = 0
        self.dropped = 0
        self.truncated = False
        self._gen: Generator[Frame, None, None] | None = None

    def __iter__(self) -> Iterator[Frame]:
        if self._gen is None:
            self._gen = self._frames()
        return self._gen

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and close the file (also done at the end of iteration)."""
        if self._gen is not None:
            self._gen.close()

    def _decoded(self, container: InputContainer, stream: VideoStream) -> Iterator[VideoFrame]:
        """Decoder output; on a decode error, flush what is buffered and set ``truncated``."""
        try:
            for packet in container.demux(stream):
                yield from stream.decode(packet)
        except AV_ERRORS as e:
            self.truncated = True
            log.debug("%s: decode error: %s", self.path, e)
            with contextlib.suppress(*AV_ERRORS):
                yield from stream.decode(None)

    def _frames(self) -> Generator[Frame, None, None]:
        if self.max_frames == 0:
            return
        container, stream = open_video(self.path)
        with container:
            stream.thread_type = "AUTO"
            reformatter = VideoReformatter()
            fps = nominal_fps(container, stream) or FALLBACK_FPS
            rotation, t0, prev = 0, 0.0, -np.inf
            decoded = 0
            for decoded, frame in enumerate(self._decoded(container, stream), start=1):
                raw = frame.time if frame.time is not None else t0 + max(prev + 1.0 / fps, 0.0)
                if decoded == 1:
                    rotation, t0 = rotation_cw(frame, stream), raw
                t = raw - t0
                if t <= prev:
                    self.dropped += 1
                    log.log(logging.WARNING if self.dropped == 1 else logging.DEBUG,
                            "%s: dropping frame %d: time %.6f s is not after %.6f s",
                            self.path, decoded - 1, t, prev)
                    continue
                prev = t
                if t < self.start_s - 1e-9:
                    continue
                self.frames_seen += 1
                if (self.frames_seen - 1) % self.step or (self.select is not None and not self.select(t)):
                    continue
                self.frames_read += 1
                planes = to_yuv(frame, rotation) if self.yuv else None
                yield Frame(index=decoded - 1, t_s=t,
                            pixels=planes if planes is not None else to_rgb(frame, rotation, reformatter))
                if self.max_frames is not None and self.frames_read >= self.max_frames:
                    return
            expected = stream.frames
        self._finish(decoded, expected)

    def _finish(self, decoded: int, expected: int) -> None:
        # A file cut at a packet boundary ends without a decode error: compare with the
        # header's frame count, allowing a few frames an edit list may hide.
        if expected > 0 and expected - decoded > max(2, expected // 100):
            self.truncated = True
        if self.dropped:
            log.warning("%s: dropped %d frames with a repeated or backward timestamp",
                        self.path, self.dropped)
        if decoded == 0:
            raise VideoError(no_frame_message(self.path))
        if self.truncated:
            if decoded < MIN_FRAMES:
                raise VideoError(f"{self.path}: truncated after {decoded} frame: {HINT_REEXPORT}")
            log.warning("%s: file is truncated or corrupt: decoding stopped after %d frames",
                        self.path, decoded)


def iter_frames(path: str | Path, *, max_frames: int | None = None, start_s: float = 0.0,
                step: int = 1, select: Callable[[float], bool] | None = None) -> Iterator[Frame]:
    """Yield the frames of the video at ``path`` in order, one at a time (see :class:`FrameReader`).

    Raises:
        InputError, VideoError: as :func:`probe`, when the file cannot be read at all
            or decodes fewer than :data:`MIN_FRAMES` frames before breaking off.
    """
    with FrameReader(path, max_frames=max_frames, start_s=start_s, step=step, select=select) as reader:
        yield from reader
