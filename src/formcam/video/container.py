"""Low-level PyAV helpers shared by :mod:`formcam.video.reader` and :mod:`formcam.video.seek`.

Opening a file with one-line user errors, the display rotation, the RGB
conversion, and the nominal frame rate and duration from the header.
"""

from __future__ import annotations

import logging
from pathlib import Path

import av
import av.error
import numpy as np
from av.container import InputContainer
from av.sidedata.sidedata import Type as SideDataType
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream
from numpy.typing import NDArray

from formcam.errors import InputError, VideoError
from formcam.video.yuv import YuvImage

log = logging.getLogger("formcam.video.reader")

FALLBACK_FPS = 30.0
"""Frame rate assumed when a file states none."""
AV_ERRORS = (av.error.FFmpegError, OSError)
"""What PyAV raises on unreadable or corrupt data."""
HINT_REEXPORT = "copy or export the video again (MP4, H.264)"


def no_frame_message(path: Path) -> str:
    """One-line message for a file with no decodable frame."""
    return f"{path}: no decodable frame: the file is truncated or corrupt; {HINT_REEXPORT}"


def _unreadable(path: Path, e: OSError) -> str:
    return f"{path}: cannot read the file ({e.strerror}); check that it exists and its permissions"


def open_video(path: Path) -> tuple[InputContainer, VideoStream]:
    """Open ``path`` and return it with its first video stream; caller closes the container."""
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a video file; give the path of a video file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: file is empty (0 bytes); {HINT_REEXPORT}")
    try:
        container = av.open(str(path), metadata_errors="replace")
    except OSError as e:  # before FFmpegError: av.error.PermissionError is both
        raise InputError(_unreadable(path, e)) from None
    except av.error.FFmpegError as e:
        raise VideoError(f"{path}: not a video ffmpeg can read ({e.strerror}); it may be incomplete "
                         f"or in an unsupported format: {HINT_REEXPORT}") from None
    fmt = container.format.name
    if fmt.startswith("image2") or fmt.endswith("_pipe"):
        container.close()
        raise VideoError(f"{path}: is an image ({fmt.removesuffix('_pipe')}), not a video; "
                         "record or export a video clip")
    if not container.streams.video:
        kinds: list[str] = sorted({s.type for s in container.streams}) or ["none"]
        container.close()
        raise VideoError(f"{path}: has no video stream (streams: {', '.join(kinds)}); "
                         "choose a file with video in it")
    return container, container.streams.video[0]


def rotation_cw(frame: VideoFrame, stream: VideoStream) -> int:
    """Clockwise quarter-turn angle that makes ``frame`` upright, from its display matrix or tag."""
    if SideDataType.DISPLAYMATRIX in frame.side_data:
        ccw = float(frame.rotation)  # av_display_rotation_get: counter-clockwise degrees
    else:
        tag = {k.lower(): v for k, v in stream.metadata.items()}.get("rotate")
        if tag is None:
            return 0
        try:
            ccw = -float(tag)  # legacy tag: clockwise degrees
        except ValueError:
            log.warning("ignoring rotate tag %r: expected a number of degrees", tag)
            return 0
    quarter = round(-ccw / 90.0)
    if abs(-ccw - 90.0 * quarter) > 1.0:
        log.warning("rotation of %.1f degrees is not a quarter turn; using %d", -ccw, quarter * 90)
    return int(quarter * 90 % 360)


def to_rgb(frame: VideoFrame, rotation_cw: int, reformatter: VideoReformatter) -> NDArray[np.uint8]:
    """``(H, W, 3)`` uint8 RGB of ``frame``, upright, C-contiguous.

    ``reformatter`` is reused for every frame of a file: ``VideoFrame.to_ndarray(format=...)``
    makes a new swscale context per frame, whose setup costs ~3 ms at 1080p, several
    times the conversion itself; reusing it gives bit-identical pixels. The array is a
    view of the converted frame's own buffer (freshly allocated per frame, never
    reused by the decoder), copied only when rotation or row padding requires.
    """
    rgb = np.asarray(reformatter.reformat(frame, format="rgb24").to_ndarray(), dtype=np.uint8)
    if rotation_cw:
        rgb = np.rot90(rgb, k=-(rotation_cw // 90))
    return np.ascontiguousarray(rgb)


_MATRIX_OF_COLORSPACE = {1: "bt709", 4: "fcc", 5: "bt601", 6: "bt601", 7: "smpte240m", 9: "bt2020",
                         10: "bt2020"}
"""FFmpeg ``AVColorSpace`` -> :data:`formcam.video.yuv.KR_KB` key; anything else (unspecified) is
BT.601, as swscale assumes."""
_YUV420 = {"yuv420p": False, "yuvj420p": True}
"""8-bit 4:2:0 pixel formats -> whether the format itself implies full range."""
_JPEG_RANGE = 2
"""FFmpeg ``AVCOL_RANGE_JPEG``."""


def to_yuv(frame: VideoFrame, rotation_cw: int) -> YuvImage | None:
    """The planes of an 8-bit 4:2:0 ``frame`` as a :class:`~formcam.video.yuv.YuvImage` (no copy: views
    of the decoder's reference-counted buffers, which stay valid while the image lives); None for
    any other pixel format (10-bit, 4:2:2, 4:4:4, RGB...), which callers convert with :func:`to_rgb`.
    The YUV matrix and range follow the frame's tags as swscale does."""
    jpeg_format = _YUV420.get(frame.format.name)
    if jpeg_format is None:
        return None
    w, h = frame.width, frame.height
    y, u, v = (np.frombuffer(memoryview(p), dtype=np.uint8).reshape(ph, p.line_size)[:, :pw]
               for p, pw, ph in zip(frame.planes, (w, (w + 1) // 2, (w + 1) // 2),
                                    (h, (h + 1) // 2, (h + 1) // 2), strict=True))
    return YuvImage(y=y, u=u, v=v, matrix=_MATRIX_OF_COLORSPACE.get(int(frame.colorspace), "bt601"),
                    full_range=jpeg_format or int(frame.color_range) == _JPEG_RANGE, rotation_cw=rotation_cw)


def nominal_fps(container: InputContainer, stream: VideoStream) -> float | None:
    """Nominal frames per second from the header (None when it states none)."""
    rates = [stream.average_rate, stream.guessed_rate, stream.base_rate]
    if stream_duration_s(container, stream) is None:  # raw stream: average_rate is the demuxer's default
        rates[:2] = rates[1::-1]
    for rate in rates:
        if rate is not None and rate > 0:
            return float(rate)
    return None


def stream_duration_s(container: InputContainer, stream: VideoStream) -> float | None:
    """Duration of the video stream in seconds from the header (None when unknown)."""
    if stream.duration is not None and stream.duration > 0 and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None
