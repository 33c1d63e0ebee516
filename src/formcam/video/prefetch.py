"""Read ahead in a background thread, so decoding overlaps inference.

::

    with prefetch(FrameReader(path), maxsize=8) as frames:
        for frame in frames:          # decoded while the previous frame is inferred
            pose = backend(frame.image, frame.t_s)

FFmpeg (PyAV) and NumPy release the GIL while they decode and copy pixels, and
onnxruntime / MediaPipe release it while they infer, so on a machine with two
or more cores a producer thread decoding frame ``t + 1`` runs truly in parallel
with the consumer's inference on frame ``t``.

Guarantees:

* order is preserved, every item exactly once;
* memory is bounded: at most ``maxsize`` items wait in the queue, plus one the
  producer holds while it waits for room (for 1080p RGB frames, 6 MB each);
* an exception raised by the source (e.g. :class:`~formcam.errors.VideoError`)
  is re-raised in the consumer, with its traceback, at the position in the
  stream where it happened;
* :meth:`Prefetcher.close` (also on leaving the ``with`` block, on garbage
  collection, or when the consumer stops early) stops the thread and closes
  the source if it has a ``close()`` method (a generator or a
  :class:`~formcam.video.reader.FrameReader`).

``nice`` lowers the producer thread's scheduling priority (Linux, where nice
values are per thread; threads it starts, such as FFmpeg's decoder threads,
inherit it). The consumer is usually the critical path: when the producer's
threads and the consumer compete for a core, the consumer then wins it, and the
producer uses the time the consumer leaves (see :func:`lower_thread_priority`).
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Generic, Self, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_POLL_S = 0.05
"""How often a producer blocked on a full queue checks whether it should stop."""
MAX_NICE = 19
"""The lowest priority a Linux thread can have."""


def lower_thread_priority(nice: int) -> bool:
    """Lower the calling thread's priority by ``nice`` steps (up to :data:`MAX_NICE`).

    Only on Linux, where nice values belong to threads and threads started
    afterwards by this one inherit them; elsewhere (a per-process value on macOS,
    none on Windows) nothing is changed. An unprivileged process may always lower
    a priority, never raise it again, which is why only a worker thread that ends
    with its task should call this. Returns whether the priority was changed.
    """
    if nice <= 0 or not sys.platform.startswith("linux"):
        return False
    tid = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(MAX_NICE, now + nice))
    except OSError as exc:  # e.g. a sandbox that forbids it: decoding still works, only unprioritised
        log.debug("could not lower the priority of thread %d: %s", tid, exc)
        return False
    return True


class _End:
    """Marks the end of the source."""


class _Failure:
    """Carries an exception from the producer to the consumer."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _produce(source: Iterable[T], q: queue.Queue[T | _End | _Failure], stop: threading.Event,
             nice: int = 0) -> None:
    """Thread body: iterate ``source`` into ``q`` until exhausted, failed or stopped.

    It holds no reference to the :class:`Prefetcher`, so an abandoned prefetcher
    can be garbage collected (which stops this thread).
    """
    lower_thread_priority(nice)
    item: T | _End | _Failure = _End()
    try:
        for value in source:
            if not _put(q, value, stop):
                return
    except BaseException as exc:  # re-raised in the consumer
        item = _Failure(exc)
    finally:
        close = getattr(source, "close", None)
        if callable(close) and stop.is_set():
            try:
                close()
            except Exception:  # the consumer has gone; nothing to report to
                log.debug("closing the prefetch source failed", exc_info=True)
    _put(q, item, stop)


def _put(q: queue.Queue[T | _End | _Failure], item: T | _End | _Failure, stop: threading.Event) -> bool:
    """Put ``item``, waiting for room; False if asked to stop first."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


class Prefetcher(Generic[T]):
    """Iterator over a source that a background thread reads ahead; see :func:`prefetch`."""

    def __init__(self, source: Iterable[T], *, maxsize: int = 8, name: str = "formcam-prefetch",
                 nice: int = 0) -> None:
        if maxsize < 1:
            raise ValueError(f"expected maxsize >= 1, got {maxsize}")
        if nice < 0:
            raise ValueError(f"expected nice >= 0 (a lower priority only), got {nice}")
        self.maxsize = maxsize
        self._queue: queue.Queue[T | _End | _Failure] = queue.Queue(maxsize=maxsize)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=_produce, args=(source, self._queue, self._stop, nice),
                                        name=name, daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        item = self._queue.get()
        if isinstance(item, _End):
            self._finish()
            raise StopIteration
        if isinstance(item, _Failure):
            self._finish()
            raise item.exc
        return item

    def _finish(self) -> None:
        self._done = True
        self._thread.join()

    def close(self) -> None:
        """Stop the producer thread and close the source; idempotent."""
        self._done = True
        self._stop.set()
        while self._thread.is_alive():
            try:  # make room so a producer blocked on put() sees the stop flag promptly
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(timeout=_POLL_S)

    @property
    def running(self) -> bool:
        """Whether the producer thread is still alive."""
        return self._thread.is_alive()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        # Never join here: __del__ may run in any thread; just tell the producer to stop.
        stop = getattr(self, "_stop", None)
        if stop is not None:
            stop.set()


def prefetch(iterable: Iterable[T], *, maxsize: int = 8, nice: int = 0) -> Prefetcher[T]:
    """Iterate ``iterable`` in a background thread, up to ``maxsize`` items ahead.

    ``nice`` (>= 0): lower the producer thread's priority by this many steps (Linux
    only; see the module docstring). The iteration of ``iterable`` starts in that
    thread, so a :class:`~formcam.video.reader.FrameReader` opens its decoder there and
    FFmpeg's decoder threads inherit the priority.

    Returns a :class:`Prefetcher`: an iterator and context manager. Use it in a
    ``with`` block (or call ``close()``) when the loop may stop early.
    """
    return Prefetcher(iterable, maxsize=maxsize, nice=nice)
