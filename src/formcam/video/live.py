"""Live frames: a source read on its own thread, keeping only the latest frame (latest frame wins).

A live source (a camera, a network stream, a file played at its own pace) offers frames at its
rate whatever the consumer does. :class:`FrameGrabber` reads it on a thread and puts each frame
in a :class:`LatestFrameSlot`, a one-frame mailbox: a frame the consumer has not taken when the
next one arrives is dropped (counted), so the consumer always gets the newest frame and never
falls behind. Every offered frame still goes to an ``on_frame`` callback on the reading thread
(the recording). Times come from a :class:`Clock`, so tests can run on a synthetic one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from formcam.errors import FormcamError, VideoError

log = logging.getLogger(__name__)

RawFrame = tuple[float, NDArray[np.uint8]]
"""``(t_s, rgb)``: a source's presentation time (s from its first frame) and ``(H, W, 3)`` uint8 RGB."""


class StreamLostError(VideoError):
    """A live source stopped sending frames before it was stopped (a camera unplugged, a
    stream cut); the frames read until then are valid."""


class Clock(Protocol):
    """Seconds on a monotonic scale, and a wait until a time on it."""

    def now(self) -> float: ...

    def sleep_until(self, t: float) -> None: ...


class MonotonicClock:
    """The real clock: :func:`time.monotonic` seconds."""

    def now(self) -> float:
        return time.monotonic()

    def sleep_until(self, t: float) -> None:
        delay = t - time.monotonic()
        if delay > 0:
            time.sleep(delay)


@dataclass(frozen=True)
class LiveFrame:
    """One frame offered by a live source.

    Attributes:
        index: 0-based position among the frames the source offered.
        t_s: the source's presentation time in seconds (strictly increasing).
        captured_s: the clock's time when the frame was read (the start of its latency).
        pixels: ``(H, W, 3)`` uint8 RGB.
    """

    index: int
    t_s: float
    captured_s: float
    pixels: NDArray[np.uint8]


class LatestFrameSlot:
    """A thread-safe one-frame mailbox: :meth:`offer` replaces an untaken frame (a drop),
    :meth:`take` waits for a frame newer than the last one taken.

    Counters: ``offered`` frames put in, ``taken`` frames given out, ``dropped`` frames replaced
    before anyone took them; ``offered == taken + dropped`` once the slot is empty.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: LiveFrame | None = None
        self._closed = False
        self.offered = 0
        self.taken = 0
        self.dropped = 0

    def offer(self, frame: LiveFrame) -> None:
        """Put ``frame`` in the slot, dropping the one there if it was not taken."""
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self.offered += 1
            self._cond.notify_all()

    def close(self) -> None:
        """No more frames will come; a frame still in the slot can still be taken."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """True once closed and empty: :meth:`take` will give nothing more."""
        with self._cond:
            return self._closed and self._frame is None

    def take(self, timeout_s: float | None = None) -> LiveFrame | None:
        """The newest frame, waiting up to ``timeout_s`` seconds (None: until one comes or the
        slot closes); None after a timeout or once closed and empty."""
        with self._cond:
            self._cond.wait_for(lambda: self._frame is not None or self._closed, timeout_s)
            frame, self._frame = self._frame, None
            if frame is not None:
                self.taken += 1
            return frame


class FrameGrabber:
    """Reads ``frames`` on a daemon thread into :attr:`slot`, stamping each with the clock.

    ``on_frame`` sees every offered frame, on the reading thread, after it is in the slot.
    When the source ends (or raises) the slot closes; a :class:`FormcamError` it raised is kept
    in :attr:`error` (a :class:`StreamLostError`: the source was cut mid-stream).
    """

    def __init__(self, frames: Iterable[RawFrame], *, clock: Clock,
                 on_frame: Callable[[LiveFrame], None] | None = None) -> None:
        self.slot = LatestFrameSlot()
        self.error: FormcamError | None = None
        self._frames, self._clock, self._on_frame = frames, clock, on_frame
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="formcam-live-grab", daemon=True)

    def start(self) -> FrameGrabber:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the thread to stop after the frame it is reading, and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        try:
            for index, (t_s, pixels) in enumerate(self._frames):
                if self._stop.is_set():
                    break
                frame = LiveFrame(index=index, t_s=t_s, captured_s=self._clock.now(), pixels=pixels)
                self.slot.offer(frame)
                if self._on_frame is not None:
                    self._on_frame(frame)
        except FormcamError as exc:
            self.error = exc
            log.debug("live source ended with: %s", exc)
        finally:
            close = getattr(self._frames, "close", None)
            if callable(close):
                close()  # a generator source releases its camera or file here
            self.slot.close()
