"""Property-based fuzzing of the numeric stages and the video probe (bounded for CI).

* any PoseSeries — finite, NaN-laden, tiny or long — gives a JSON-clean report
  or a FormcamError, never another exception; metrics are finite or unavailable;
* mutated bytes of a real video give a VideoInfo or a FormcamError from probe
  and from reading frames.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formcam.analysis.core import analyze_series
from formcam.errors import FormcamError
from formcam.series import BLAZEPOSE_KEYPOINTS, PoseSeries
from formcam.video.reader import FrameReader, probe

K = len(BLAZEPOSE_KEYPOINTS)
SAMPLE = Path(__file__).resolve().parents[1] / "sample_videos" / "side_phantom.mp4"


@st.composite
def pose_series(draw: st.DrawFn) -> PoseSeries:
    t = draw(st.integers(min_value=1, max_value=240))
    fps = draw(st.sampled_from([24.0, 30.0, 59.94, 120.0, 240.0]))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    kind = draw(st.sampled_from(["uniform", "still", "walker", "nan"]))
    if kind == "uniform":
        xy = rng.uniform(-100, 1100, (t, K, 2))
    elif kind == "still":
        xy = np.broadcast_to(rng.uniform(0, 1000, (1, K, 2)), (t, K, 2)).copy()
    elif kind == "walker":
        base = rng.uniform(200, 800, (1, K, 2))
        phase = np.arange(t)[:, None, None] * rng.uniform(0.05, 0.5)
        xy = base + rng.uniform(1, 80) * np.sin(phase + rng.uniform(0, 6, (1, K, 1)))
    else:
        xy = np.full((t, K, 2), np.nan)
    nan_fraction = draw(st.sampled_from([0.0, 0.1, 0.5, 0.95]))
    xy[rng.random((t, K)) < nan_fraction] = np.nan
    score = rng.uniform(0, 1, (t, K))
    return PoseSeries(xy=xy, score=score, t_s=np.arange(t) / fps, keypoints=BLAZEPOSE_KEYPOINTS,
                      width=1000, height=1000, fps=fps)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(series=pose_series(), view=st.sampled_from([None, "side", "rear", "front"]))
def test_any_series_gives_a_report_or_a_formcam_error(series: PoseSeries, view: str | None) -> None:
    try:
        fields = analyze_series(series, view=view).to_report_fields()
    except FormcamError:
        return
    json.dumps(fields, allow_nan=False)
    for name, metric in fields["metrics"].items():
        if metric["available"]:
            assert metric["value"] is not None and math.isfinite(metric["value"]), name
        else:
            assert metric["reason"], name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_video_bytes_never_crash_probe(tmp_path_factory, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    original = SAMPLE.read_bytes()[:150_000]
    buf = bytearray(original)
    n_mut = data.draw(st.integers(min_value=1, max_value=40))
    for _ in range(n_mut):
        pos = data.draw(st.integers(min_value=0, max_value=len(buf) - 1))
        buf[pos] = data.draw(st.integers(min_value=0, max_value=255))
    cut = data.draw(st.integers(min_value=0, max_value=len(buf)))
    path = tmp_path_factory.mktemp("fuzz") / "mutated.mp4"
    path.write_bytes(bytes(buf[:cut]))
    try:
        info = probe(path)
        with FrameReader(path, max_frames=30) as reader:
            n = sum(1 for _ in reader)
    except FormcamError:
        return
    assert info.width > 0 and info.height > 0
    assert n >= 0
