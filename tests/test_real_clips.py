"""The analysis core on real MediaPipe (BlazePose full) keypoints of the shared DEV clips.

Fixtures in ``tests/data/keypoints/`` are the selected runner's keypoints of each
clip (xy rounded to 0.1 px and stored as float32, scores to 0.01; far below pose
noise), not the videos. Expected values come from looking at the frames, not from
the analyser:

* side_treadmill_01 (60 fps, real time): 6.47 s at ~169 steps/min, runner faces
  image-right, static camera.
* rear_treadmill_01 (30 fps): 44 steps at ~170 steps/min counted by hand.
* side_treadmill_02 (lab): slowed footage without metadata; one stride takes
  ~200 frames (6.7 s) at the nominal 29.97 fps, so the cadence at nominal fps is
  ~18 steps/min and the slow-motion warning must fire.
* side_overground_04 (screen recording of a tracking shot): frozen player frames
  first, then slowed footage (~75 frames per stride); the runner faces image-*left*
  (face, knees and the forward leg all point left in the frames, although
  SOURCES.md says right).
* side_overground_06: the runner is tracked only in frames ~170-215 (sprint start,
  running toward image-*left*: the hip moves from x ~990 to ~-40 px).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from formcam.analysis.core import Analysis, analyze_series
from formcam.series import load_keypoints

DATA = Path(__file__).parent / "data" / "keypoints"


@cache
def _analysis(clip: str) -> Analysis:
    return analyze_series(load_keypoints(DATA / f"{clip}.npz"))


def _n(a: Analysis, side: str) -> int:
    return sum(1 for s in a.steps if s["side"] == side)


def test_fixture_loads_as_float64() -> None:
    s = load_keypoints(DATA / "side_treadmill_01_portrait_60fps.npz")
    assert s.xy.dtype == np.float64 and s.score.dtype == np.float64


def test_side_treadmill_steps_and_cadence() -> None:
    a = _analysis("side_treadmill_01_portrait_60fps")
    assert (a.view.view.value, a.view.setting.value, a.view.direction.value) == ("side", "treadmill", "right")
    assert 14 <= len(a.steps) <= 20
    assert _n(a, "left") >= 5 and _n(a, "right") >= 5
    cad = a.metrics["cadence_spm"]
    assert 160 <= cad["value"] <= 180
    assert cad["spectral_spm"] is not None and 160 <= cad["spectral_spm"] <= 180
    assert 120 <= a.metrics["contact_time_ms"]["value"] <= 350
    assert not any("implausibly" in w for w in a.warnings)
    # an even runner: per-side cadences within 3 %, or withheld as too uncertain to compare
    if cad["left"] is None:
        assert "not compared" in cad["side_note"] or "withheld" in cad["side_note"]
    else:
        assert abs(cad["left"] - cad["right"]) <= 0.03 * cad["value"]


def test_rear_treadmill_steps_and_cadence() -> None:
    a = _analysis("rear_treadmill_01_gym_handheld")
    assert (a.view.view.value, a.view.direction.value) == ("rear", "away")
    assert 38 <= len(a.steps) <= 46
    assert 160 <= a.metrics["cadence_spm"]["value"] <= 180
    # contacts at the hips' lowest points: the feet's step times are not compared (they read
    # 180.0 / 163.6 steps/min before, the median snapping to whole frames at 30 fps)
    assert {s["event_method"] for s in a.steps} == {"midstance"}
    cad = a.metrics["cadence_spm"]
    assert cad["left"] is None and "lowest points" in cad["side_note"]
    drop = a.metrics["pelvic_drop_deg"]   # shown only inside what running shows (-2 to 15 deg)
    assert (drop["available"] and -2 <= drop["value"] <= 15) or (not drop["available"] and drop["reason"])


def test_slowed_lab_footage_is_flagged() -> None:
    """Slowed stock footage (about 18 steps/min at its stated 29.97 fps): reported as slowed,
    no time-based metric shown, angles still measured where the steps agree; issue 21."""
    a = _analysis("side_treadmill_02_lab")
    assert a.view.direction.value == "right"
    assert a.time_base.source == "guess" and 1 / a.time_base.scale >= 2
    for name in ("cadence_spm", "contact_time_ms"):
        assert not a.metrics[name]["available"] and a.metrics[name]["value"] is None
    assert any("looks slowed down" in w and "--capture-fps" in w for w in a.warnings)
    assert a.metrics["trunk_lean_deg"]["available"]
    # its 5 measured contacts read knee flexion 20-83 deg: withheld, not shown as a median
    knee = a.metrics["knee_flexion_ic_deg"]
    assert not knee["available"] and "scatter" in knee["reason"]


def test_screen_recording_direction_segment_and_slow_motion() -> None:
    a = _analysis("side_overground_04_tracking_screenrec")
    assert (a.view.view.value, a.view.direction.value) == ("side", "left")
    assert a.view.direction.evidence["knee_bend"] is not None
    assert a.view.direction.evidence["knee_bend"] < -0.2  # type: ignore[operator]
    assert any("analysed frames" in w for w in a.warnings)   # frozen player frames skipped
    assert any("looks slowed down" in w for w in a.warnings)


def test_sprint_start_segment_and_direction() -> None:
    a = _analysis("side_overground_06_sprint_start")
    assert (a.view.view.value, a.view.setting.value, a.view.direction.value) == ("side", "overground", "left")
    seg = [w for w in a.warnings if w.startswith("analysed frames")]
    assert seg
    first = int(seg[0].split()[2].split("-")[0])
    assert 160 <= first <= 180
    assert all(s["contact_frame"] >= first for s in a.steps)


@pytest.mark.parametrize("clip", sorted(p.stem for p in DATA.glob("*.npz")))
def test_report_fields_are_json_ready(clip: str) -> None:
    import json
    fields = _analysis(clip).to_report_fields()
    json.dumps(fields, allow_nan=False)
    assert "cadence" in fields["quality"] and "periodicity" in fields["quality"]


def test_slowed_lab_footage_with_its_capture_rate_gives_a_running_cadence() -> None:
    """The user states the capture rate (about 9.6x the file's): every metric on the true time base."""
    a = analyze_series(load_keypoints(DATA / "side_treadmill_02_lab.npz"), time_scale=1 / 9.6)
    assert a.time_base.source == "user"
    cad = a.metrics["cadence_spm"]
    assert cad["available"] and 150 <= cad["value"] <= 200
