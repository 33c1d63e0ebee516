"""One live session: the latest frames through the pose model, rolling numbers, an optional recording.

:func:`run_live` reads a live source on a :class:`~formcam.video.FrameGrabber` thread (latest
frame wins), runs the pose backend (one person) on each frame it takes, and every
``update_s`` seconds of source time writes a line with the rolling numbers
(:mod:`formcam.live.rolling`), the achieved pose rate and the latency (capture to keypoints
ready). It stops at the end of the source, on Ctrl-C, or when a camera or stream is lost;
the recording (every offered frame) is closed either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from formcam.live.record import Recorder
from formcam.live.rolling import RollingNumbers, RollingWindow, rolling_numbers
from formcam.live.text import numbers_line
from formcam.pose import PoseBackend
from formcam.video import Clock, FrameGrabber, LiveFrame, RawFrame, SourceInfo

log = logging.getLogger(__name__)

WriteFn = Callable[[str], None]
FrameFn = Callable[[LiveFrame, np.ndarray, RollingNumbers | None], bool]
"""``show(frame, keypoints (K, 2) or empty, numbers)`` draws the overlay; False asks to stop."""


@dataclass(frozen=True)
class LiveSettings:
    """How a session runs: ``window_s`` of keypoints analysed every ``update_s`` seconds (source
    time); analysis overrides ``view`` and ``height_cm``; ``rules`` a cue-rules file."""

    window_s: float = 10.0
    update_s: float = 2.0
    view: str | None = None
    height_cm: float | None = None
    rules: str | None = None


@dataclass
class LiveStats:
    """What a session achieved: frames ``offered`` by the source and ``taken`` by the pose model,
    over ``source_s`` seconds of source time; latencies (s) from capture to keypoints ready;
    ``stop``: ``end``, ``interrupted`` or ``lost`` (with ``lost_reason``)."""

    offered: int = 0
    taken: int = 0
    source_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    stop: str = "end"
    lost_reason: str | None = None

    @property
    def offered_fps(self) -> float:
        return self.offered / self.source_s if self.source_s > 0 else 0.0

    @property
    def pose_fps(self) -> float:
        return self.taken / self.source_s if self.source_s > 0 else 0.0

    def latency_ms(self, percentile: float) -> float | None:
        """The ``percentile`` (0-100) of the capture-to-keypoints latency, ms; None before any frame."""
        if not self.latencies_s:
            return None
        return float(np.percentile(self.latencies_s, percentile)) * 1000.0


@dataclass
class _Loop:
    """The state the frame loop updates."""

    backend: PoseBackend
    window: RollingWindow
    clock: Clock
    stats: LiveStats
    settings: LiveSettings
    write: WriteFn
    show: FrameFn | None
    numbers: RollingNumbers | None = None
    next_update_s: float = 0.0
    pending: LiveFrame | None = None

    def step(self, frame: LiveFrame) -> bool:
        """Pose on one frame, the window, the numbers when due; False when the display asks to stop."""
        pose = self.backend(frame.pixels, frame.t_s)
        self.stats.latencies_s.append(self.clock.now() - frame.captured_s)
        k = len(self.backend.keypoint_names)
        xy = pose.keypoints[0] if pose.n_people else np.full((k, 2), np.nan)
        self.window.add(frame.t_s, xy, pose.scores[0] if pose.n_people else np.zeros(k))
        self.stats.taken += 1
        self.stats.source_s = frame.t_s
        self.pending = frame
        if frame.t_s >= self.next_update_s:
            self.next_update_s = frame.t_s + self.settings.update_s
            self._update(frame)
        return self.show(frame, xy, self.numbers) if self.show is not None else True

    def finish(self) -> None:
        """A last line for the frames taken since the last one."""
        if self.pending is not None:
            self._update(self.pending)

    def _update(self, frame: LiveFrame) -> None:
        self.pending = None
        series = self.window.series()
        if series is None:
            return
        s = self.settings
        self.numbers = rolling_numbers(series, view=s.view, height_cm=s.height_cm, rules=s.rules)
        self.stats.offered = frame.index + 1
        self.write(numbers_line(frame.t_s, self.numbers, self.stats))


def run_live(source: tuple[SourceInfo, Iterable[RawFrame]], backend: PoseBackend, *, clock: Clock,
             write: WriteFn, settings: LiveSettings | None = None, record: Path | None = None,
             show: FrameFn | None = None) -> LiveStats:
    """Run a live session until the source ends, Ctrl-C, or the display asks to stop.

    Args:
        source: an opened source (:func:`formcam.video.open_live_source`).
        backend: an unopened pose backend (opened and closed here).
        write: gets each line of rolling numbers.
        record: an ``.mp4`` path to keep every offered frame in (H.264 at the source's rate).
        show: draws each taken frame with its keypoints (the ``--window`` overlay).

    Returns:
        The session's :class:`LiveStats`; a lost camera or stream is ``stop == "lost"``, not an error.
    """
    info, frames = source
    settings = settings or LiveSettings()
    recorder = Recorder(record, fps=info.fps) if record is not None else None
    grabber = FrameGrabber(frames, clock=clock, on_frame=recorder.write if recorder else None)
    stats = LiveStats()
    try:
        with backend:
            window = RollingWindow(backend.keypoint_names, width=info.width, height=info.height,
                                   span_s=settings.window_s)
            loop = _Loop(backend, window, clock, stats, settings, write, show,
                         next_update_s=settings.update_s)
            grabber.start()
            _pump(grabber, loop)
    except KeyboardInterrupt:
        stats.stop = "interrupted"
        log.info("live: stopped by Ctrl-C")
    finally:
        grabber.stop()
        if recorder is not None:
            recorder.close()
    stats.offered = grabber.slot.offered
    if grabber.error is not None:
        stats.stop, stats.lost_reason = "lost", str(grabber.error)
    return stats


def _pump(grabber: FrameGrabber, loop: _Loop) -> None:
    """Take the latest frame until the source closes or the display asks to stop."""
    while True:
        frame = grabber.slot.take(timeout_s=0.5)
        if frame is None:
            if grabber.slot.closed:
                loop.finish()
                return
            continue
        if not loop.step(frame):
            loop.stats.stop = "interrupted"
            return
