"""The background-thread prefetcher: order, bound, errors, early stop, priority."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from formcam.video.prefetch import MAX_NICE, Prefetcher, lower_thread_priority, prefetch
from formcam.video.reader import FrameReader


class Source:
    """A counting generator source that records what was produced and whether it was closed."""

    def __init__(self, n: int, *, fail_at: int | None = None) -> None:
        self.n = n
        self.fail_at = fail_at
        self.produced = 0
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[int]:
        try:
            for i in range(self.n):
                if i == self.fail_at:
                    raise ValueError(f"bad item {i}")
                self.produced += 1
                yield i
        finally:
            self.closed.set()


def wait_until(cond: Callable[[], bool], timeout: float = 2.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return bool(cond())


def test_order_is_preserved() -> None:
    with prefetch(range(1000), maxsize=3) as items:
        assert list(items) == list(range(1000))
    assert not items.running


def test_empty_source_and_iteration_after_end() -> None:
    items = prefetch([], maxsize=2)
    assert list(items) == []
    assert list(items) == []


def test_producer_blocks_when_queue_is_full() -> None:
    source = Source(100)
    items = prefetch(source, maxsize=4)
    try:
        # Nothing consumed: the producer fills the queue and holds one more item.
        assert wait_until(lambda: source.produced >= 4)
        time.sleep(0.2)
        assert source.produced <= 4 + 1
        assert items.running
        assert next(items) == 0
        assert wait_until(lambda: source.produced >= 5)
        time.sleep(0.1)
        assert source.produced <= 4 + 2
    finally:
        items.close()


def test_exception_propagates_after_earlier_items() -> None:
    got: list[int] = []
    with pytest.raises(ValueError, match="bad item 3"), prefetch(Source(10, fail_at=3), maxsize=2) as items:
        for i in items:
            got.append(i)
    assert got == [0, 1, 2]


def test_exception_at_start_propagates() -> None:
    def broken() -> Iterator[int]:
        raise OSError("cannot open")
        yield 0  # pragma: no cover

    with pytest.raises(OSError, match="cannot open"):
        list(prefetch(broken()))


def test_early_close_stops_thread_and_closes_source() -> None:
    source = Source(10**6)
    items = prefetch(iter(source), maxsize=2)
    assert [next(items), next(items)] == [0, 1]
    items.close()
    assert not items.running
    assert source.closed.is_set()
    produced = source.produced
    time.sleep(0.1)
    assert source.produced == produced
    with pytest.raises(StopIteration):
        next(items)


def test_break_out_of_with_block_stops_thread() -> None:
    source = Source(10**6)
    with prefetch(iter(source), maxsize=2) as items:
        for i in items:
            if i == 5:
                break
    assert not items.running
    assert source.closed.is_set()


def test_abandoned_prefetcher_stops_its_thread() -> None:
    source = Source(10**6)
    items: Prefetcher[int] | None = prefetch(iter(source), maxsize=2)
    assert items is not None
    thread = items._thread
    next(items)
    items = None
    gc.collect()
    assert wait_until(lambda: not thread.is_alive())


def test_frame_reader_through_prefetch() -> None:
    path = Path(__file__).resolve().parents[1] / "sample_videos" / "side_phantom.mp4"
    direct = [(f.index, f.t_s) for f in FrameReader(path, max_frames=20)]
    reader = FrameReader(path, max_frames=20)
    with prefetch(reader, maxsize=4) as frames:
        ahead = [(f.index, f.t_s) for f in frames]
    assert ahead == direct
    assert reader.frames_read == 20


def test_bad_maxsize() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        prefetch([1], maxsize=0)


def _thread_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def _nices_seen(nice: int) -> tuple[list[int], list[int]]:
    """Nice values of the producer thread and of a thread it starts (as FFmpeg starts decoder threads)."""
    producer: list[int] = []
    child: list[int] = []

    def source() -> Iterator[int]:
        producer.append(_thread_nice())
        t = threading.Thread(target=lambda: child.append(_thread_nice()))
        t.start()
        t.join()
        yield 1

    with prefetch(source(), nice=nice) as items:
        assert list(items) == [1]
    return producer, child


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_nice_lowers_the_producer_and_its_threads_only() -> None:
    mine = _thread_nice()
    producer, child = _nices_seen(3)
    assert producer == [min(MAX_NICE, mine + 3)]
    assert child == producer  # inherited by threads the producer starts
    assert _thread_nice() == mine  # the consumer keeps its priority
    assert _nices_seen(0) == ([mine], [mine])


def test_negative_nice_is_refused() -> None:
    with pytest.raises(ValueError, match="nice"):
        prefetch([1], nice=-1)
    assert lower_thread_priority(0) is False
