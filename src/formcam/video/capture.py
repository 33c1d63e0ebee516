"""Live sources: an OpenCV camera or network stream, or a file played at its own pace.

:func:`open_live_source` opens one (and fails at once, with a one-line :class:`InputError`, when
there is no camera, the stream cannot be reached, or the file is not a video) and gives its
:class:`SourceInfo` and an iterable of :data:`~formcam.video.live.RawFrame` for a
:class:`~formcam.video.live.FrameGrabber`. A file is paced by the clock: frame ``i`` is offered
at its presentation time after the first, as a camera would offer it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.errors import InputError
from formcam.video.live import Clock, RawFrame, StreamLostError
from formcam.video.reader import FrameReader, probe

log = logging.getLogger(__name__)

DEFAULT_CAMERA_FPS = 30.0
"""Assumed rate of a camera or stream that does not report one (for the recording)."""
OPEN_TIMEOUT_MS = 5000
"""How long an RTSP/HTTP stream may take to open, or to send the next frame."""


@dataclass(frozen=True)
class SourceInfo:
    """What a live source is: ``kind`` (``camera``, ``url`` or ``file``), a ``name`` for messages,
    its frame rate (frames/s, for the recording) and its frame size in pixels."""

    kind: str
    name: str
    fps: float
    width: int
    height: int


def open_live_source(spec: str, *, clock: Clock) -> tuple[SourceInfo, Iterator[RawFrame]]:
    """Open a live source: a camera index (``"0"``), an ``rtsp://``/``http(s)://`` URL, or a file path.

    Raises:
        InputError: no camera at that index, the stream cannot be opened, or the file is
            missing or not a video.
    """
    if spec.isdigit():
        return _open_capture(int(spec), kind="camera", name=f"camera {spec}", clock=clock)
    if "://" in spec:
        return _open_capture(spec, kind="url", name=spec, clock=clock)
    return _open_file(Path(spec), clock=clock)


def _open_file(path: Path, *, clock: Clock) -> tuple[SourceInfo, Iterator[RawFrame]]:
    info = probe(path, sha256="-")  # raises InputError / VideoError; the hash is not needed here
    return (SourceInfo(kind="file", name=str(path), fps=info.fps, width=info.width, height=info.height),
            _paced(path, clock))


def _paced(path: Path, clock: Clock) -> Iterator[RawFrame]:
    """The frames of ``path``, each offered at its presentation time after the first."""
    with FrameReader(path) as reader:
        start = clock.now()
        for frame in reader:
            clock.sleep_until(start + frame.t_s)
            yield frame.t_s, frame.image


def _cv2() -> Any:
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # our message says it once
    return cv2


def _open_capture(target: int | str, *, kind: str, name: str,
                  clock: Clock) -> tuple[SourceInfo, Iterator[RawFrame]]:
    cv2 = _cv2()
    if isinstance(target, int):
        cap = cv2.VideoCapture(target)
    else:
        cap = cv2.VideoCapture(target, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, OPEN_TIMEOUT_MS,
                                                         cv2.CAP_PROP_READ_TIMEOUT_MSEC, OPEN_TIMEOUT_MS])
    ok, bgr = cap.read() if cap.isOpened() else (False, None)
    if not ok or bgr is None:
        cap.release()
        hint = ("check that a camera is plugged in and not used by another program (on Linux: "
                "ls /dev/video*)" if kind == "camera" else "check the address and that the stream is on")
        raise InputError(f"{name}: cannot open it or read a frame: {hint}")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    fps = fps if 1.0 <= fps <= 240.0 else DEFAULT_CAMERA_FPS
    height, width = bgr.shape[:2]
    info = SourceInfo(kind=kind, name=name, fps=fps, width=int(width), height=int(height))
    return info, _captured(cap, bgr, name, clock)


def _captured(cap: Any, first_bgr: NDArray[np.uint8], name: str, clock: Clock) -> Iterator[RawFrame]:
    """RGB frames from an open ``cv2.VideoCapture``, timed by the clock; raises :class:`StreamLostError`
    when a read fails (the camera was unplugged or the stream stopped)."""
    cv2 = _cv2()
    start, bgr, n = clock.now(), first_bgr, 0
    try:
        while True:
            t_s = clock.now() - start
            yield t_s, np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            n += 1
            ok, bgr = cap.read()
            if not ok or bgr is None:
                raise StreamLostError(f"{name} stopped sending frames after {n} frames ({t_s:.1f} s): "
                                 "disconnected or the stream ended")
    finally:
        cap.release()
