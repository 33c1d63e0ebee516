"""The benchmark script's repeat mode: per-row medians and paired per-round ratios."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """``benchmarks/bench.py`` as a module (it imports its sibling modules, as when run as a script)."""
    spec = importlib.util.spec_from_file_location("formcam_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCH.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH.parent))
    return module


def row(kind: str, frames: int, seconds: float, peak_mb: float = 100.0) -> dict[str, object]:
    return {"kind": kind, "clip": "c.mp4", "frames": frames, "seconds": seconds, "peak_mb": peak_mb}


def test_combine_takes_median_time_and_highest_peak(bench: ModuleType) -> None:
    rounds = [[row("model", 100, 1.0, 300.0), row("analyze", 600, 10.0)],
              [row("model", 100, 2.0, 310.0), row("analyze", 600, 12.0)],
              [row("model", 100, 4.0, 305.0), {**row("analyze", 600, 0.0), "error": "boom"}]]
    model, analyze = bench.combine(rounds)
    assert model["seconds"] == 2.0 and model["peak_mb"] == 310.0
    assert model["fps_rounds"] == [100.0, 50.0, 25.0]
    assert analyze["seconds"] == 11.0  # the failed round is left out of the median
    assert analyze["fps_rounds"] == [60.0, 50.0, None]


def test_ratio_is_the_median_of_paired_rounds(bench: ModuleType) -> None:
    # the machine slows down round by round; the rounds' ratios are 0.9, 0.8, 0.9, while the
    # ratio of the two rows' medians (40 / 50) would be 0.8
    a = {"fps": 40.0, "fps_rounds": [90.0, 40.0, 18.0]}
    b = {"fps": 50.0, "fps_rounds": [100.0, 50.0, 20.0]}
    assert bench.ratio(a, b) == "0.90 [0.80-0.90]"
    # one round (or one usable pair): the plain ratio, no range
    assert bench.ratio({"fps": 45.0}, {"fps": 50.0}) == "0.90"
    assert bench.ratio({"fps": 45.0, "fps_rounds": [45.0, None]}, {"fps": 50.0, "fps_rounds": [50.0, 60.0]}) \
        == "0.90"
