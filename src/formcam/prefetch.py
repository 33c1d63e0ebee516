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
  :class:`~formcam.video.FrameReader`).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Generic, Self, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_POLL_S = 0.05
"""How often a producer blocked on a full queue checks whether it should stop."""


class _End:
    """Marks the end of the source."""


class _Failure:
    """Carries an exception from the producer to the consumer."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _produce(source: Iterable[T], q: queue.Queue[T | _End | _Failure], stop: threading.Event) -> None:
    """Thread body: iterate ``source`` into ``q`` until exhausted, failed or stopped.

    It holds no reference to the :class:`Prefetcher`, so an abandoned prefetcher
    can be garbage collected (which stops this thread).
    """
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

    def __init__(self, source: Iterable[T], *, maxsize: int = 8, name: str = "formcam-prefetch") -> None:
        if maxsize < 1:
            raise ValueError(f"expected maxsize >= 1, got {maxsize}")
        self.maxsize = maxsize
        self._queue: queue.Queue[T | _End | _Failure] = queue.Queue(maxsize=maxsize)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=_produce, args=(source, self._queue, self._stop),
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


def prefetch(iterable: Iterable[T], *, maxsize: int = 8) -> Prefetcher[T]:
    """Iterate ``iterable`` in a background thread, up to ``maxsize`` items ahead.

    Returns a :class:`Prefetcher`: an iterator and context manager. Use it in a
    ``with`` block (or call ``close()``) when the loop may stop early.
    """
    return Prefetcher(iterable, maxsize=maxsize)
