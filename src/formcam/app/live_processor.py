"""The Live tab's frame processor: pose on the latest browser frame, the overlay, rolling numbers.

No Streamlit here. streamlit-webrtc calls :meth:`LiveProcessor.on_frames` on its worker thread
with every frame that arrived since the last call (it drops nothing itself); the processor
records them all (when recording), runs the pose model on the newest one only (latest frame
wins: a model slower than the stream drops frames, never falls behind), and returns that frame
with the overlay. The rolling numbers are :func:`formcam.live.rolling.rolling_numbers` (the
one implementation ``formcam live`` uses), computed on a short-lived thread every
``update_s`` seconds of stream time so the analysis never stalls the pose loop.

Latency (capture to overlay) is estimated from the frames' timestamps: a frame's capture time
on the server's clock is its presentation time plus the smallest ``arrival - pts`` offset seen
in the stream (the transit of the fastest frame), so the measured latency is the queueing plus
the pose model plus the drawing, without the constant network and decode delay (a few ms on
127.0.0.1) and without the browser's display of the returned frame.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.app.live_overlay import ContactMarker, draw_overlay
from formcam.live.record import Recorder
from formcam.live.rolling import RollingNumbers, RollingWindow, rolling_numbers
from formcam.live.session import LiveStats
from formcam.pose import PoseBackend, create_backend
from formcam.video import LiveFrame

log = logging.getLogger(__name__)

MAX_LATENCIES = 600
"""Latencies kept for the percentiles (the last ~20 s at 30 frames/s)."""


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows: ``numbers`` (None before the first analysis), the session's ``stats``
    (a copy), ``recording`` state, frames recorded, seconds since the last frame arrived
    (None before any), and ``error`` (a message, e.g. the pose model failed)."""

    numbers: RollingNumbers | None
    stats: LiveStats
    recording: bool
    frames_recorded: int
    since_last_frame_s: float | None
    error: str | None


class LiveProcessor:
    """Per-session processing of the browser's camera stream (see the module docstring).

    Args:
        backend: pose runtime (``mediapipe`` or ``onnx``); the lite model, one person.
        span_s: seconds of keypoints the rolling numbers use.
        update_s: seconds of stream time between two rolling analyses.
    """

    def __init__(self, *, backend: str = "mediapipe", span_s: float = 10.0, update_s: float = 2.0) -> None:
        self.backend_name, self.span_s, self.update_s = backend, span_s, update_s
        self._lock = threading.Lock()
        self._pose: PoseBackend | None = None
        self._reset_stream()
        self._recorder: Recorder | None = None
        self._kept: Path | None = None
        self._kept_frames = 0
        self.view: str | None = None
        self.height_cm: float | None = None

    def _reset_stream(self) -> None:
        self._window: RollingWindow | None = None
        self._stats = LiveStats()
        self._numbers: RollingNumbers | None = None
        self._analysing = False
        self._t0: float | None = None
        self._last_t = -1.0
        self._offset_s = float("inf")
        self._next_update_s = self.update_s
        self._contacts = ContactMarker()
        self._last_arrival: float | None = None
        self._error: str | None = None

    # -- the worker thread ---------------------------------------------------------------------
    async def on_frames(self, frames: list[Any]) -> list[Any]:
        """streamlit-webrtc's ``queued_video_frames_callback``: ``av.VideoFrame`` in, one out."""
        return [self.process(frames)]

    def process(self, frames: list[Any]) -> Any:
        """Record every frame, pose on the newest, return it with the overlay (an ``av.VideoFrame``)."""
        import av

        arrival = time.monotonic()
        last = frames[-1]
        with self._lock:
            self._last_arrival = arrival
            times = [self._stream_time(f) for f in frames]
            for f, t in zip(frames, times, strict=True):
                self._offset_s = min(self._offset_s, arrival - t)
                self._stats.offered += 1
                if self._recorder is not None:
                    pixels = last_rgb = f.to_ndarray(format="rgb24")
                    self._recorder.write(LiveFrame(self._stats.offered - 1, t, arrival, pixels))
        rgb = last_rgb if self._recorder is not None else last.to_ndarray(format="rgb24")
        t = times[-1]
        if t <= self._last_t:  # a frame out of order: show it as it is
            return last
        self._last_t = t
        try:
            xy, score = self._track(rgb, t)
        except Exception as exc:  # the pose model failed: say so on the page, keep streaming
            log.exception("live: pose failed")
            self._error = f"the pose model failed: {exc}"
            return last
        image = draw_overlay(rgb, xy, score, self._contacts.on_ground(xy, t))
        with self._lock:
            self._stats.taken += 1
            self._stats.source_s = t
            self._stats.latencies_s.append(time.monotonic() - (t + self._offset_s))
            del self._stats.latencies_s[:-MAX_LATENCIES]
        out = av.VideoFrame.from_ndarray(image, format="rgb24")
        out.pts, out.time_base = last.pts, last.time_base
        return out

    def _stream_time(self, frame: Any) -> float:
        """Seconds since the stream's first frame (its presentation times)."""
        t = float(frame.time) if frame.time is not None else time.monotonic()
        if self._t0 is None:
            self._t0 = t
        return t - self._t0

    def _track(self, rgb: NDArray[np.uint8], t: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if self._pose is None:
            self._pose = create_backend(self.backend_name, model="lite", num_poses=1).__enter__()
        pose = self._pose(rgb, t)
        k = len(self._pose.keypoint_names)
        xy = pose.keypoints[0] if pose.n_people else np.full((k, 2), np.nan)
        score = pose.scores[0] if pose.n_people else np.zeros(k)
        if self._window is None:
            self._window = RollingWindow(self._pose.keypoint_names, width=rgb.shape[1], height=rgb.shape[0],
                                         span_s=self.span_s)
        self._window.add(t, xy, score)
        if t >= self._next_update_s and not self._analysing:
            self._next_update_s = t + self.update_s
            series = self._window.series()
            if series is not None:
                self._analysing = True
                threading.Thread(target=self._analyse, args=(series,), name="formcam-live-numbers",
                                 daemon=True).start()
        return np.asarray(xy, dtype=np.float64), np.asarray(score, dtype=np.float64)

    def _analyse(self, series: Any) -> None:
        try:
            numbers = rolling_numbers(series, view=self.view, height_cm=self.height_cm)
        except Exception as exc:
            log.exception("live: rolling analysis failed")
            numbers = RollingNumbers(view=None, reason=f"analysis failed: {exc}")
        with self._lock:
            self._numbers, self._analysing = numbers, False

    def on_ended(self) -> None:
        """The stream ended (stopped, or the camera was lost): close the pose model; a recording
        so far is finished and kept for :meth:`stop_recording`."""
        with self._lock:
            self._finish_recording()
            pose, self._pose = self._pose, None
        if pose is not None:
            pose.__exit__(None, None, None)
        with self._lock:
            stats, numbers = self._stats, self._numbers
            self._reset_stream()
            self._stats, self._numbers = stats, numbers  # the last numbers stay on the page

    # -- the page --------------------------------------------------------------------------
    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            s = self._stats
            stats = LiveStats(offered=s.offered, taken=s.taken, source_s=s.source_s,
                              latencies_s=list(s.latencies_s))
            since = time.monotonic() - self._last_arrival if self._last_arrival is not None else None
            recorded = self._recorder.frames_written if self._recorder is not None else self._kept_frames
            recording = self._recorder is not None
            return LiveSnapshot(self._numbers, stats, recording, recorded, since, self._error)

    def start_recording(self, path: Path) -> None:
        """Keep every frame from now on as H.264 in ``path`` (at the stream's measured rate)."""
        with self._lock:
            self._finish_recording()
            s = self._stats
            fps = s.offered_fps if s.offered > 10 else 30.0
            self._recorder = Recorder(path, fps=float(np.clip(round(fps), 10, 120)))
            self._kept, self._kept_frames = None, 0

    def stop_recording(self) -> Path | None:
        """Finish the recording; its path, or None when no frame was recorded."""
        with self._lock:
            self._finish_recording()
            kept, self._kept = self._kept, None
            return kept

    @property
    def has_recording(self) -> bool:
        """A recording is running or a finished one waits for :meth:`stop_recording`."""
        with self._lock:
            return self._recorder is not None or self._kept is not None

    def _finish_recording(self) -> None:
        if self._recorder is None:
            return
        frames = self._recorder.frames_written
        self._recorder.close()
        if frames:
            self._kept, self._kept_frames = self._recorder.path, frames
        self._recorder = None
