"""Clips framed from the waist down (no shoulders): leg metrics measured, trunk metrics withheld."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formcam.analysis.core import analyze_series, shows_trunk
from formcam.analysis.metrics import TRUNK_METRICS
from formcam.errors import NoRunnerError
from formcam.series import PoseSeries
from tests.synthetic import make_runner

LEG_METRICS = ("knee_flexion_ic_deg", "shank_angle_ic_deg", "hip_extension_deg", "foot_strike_angle_deg",
               "overstride_ratio")


def _waist_down(s: PoseSeries) -> PoseSeries:
    """Remove every keypoint above the hips, as a camera framed at the waist would."""
    keep = [i for i, n in enumerate(s.keypoints) if n.split("_", 1)[-1] in
            ("hip", "knee", "ankle", "heel", "foot_index")]
    gone = np.setdiff1d(np.arange(len(s.keypoints)), keep)
    xy, score = s.xy.copy(), s.score.copy()
    xy[:, gone], score[:, gone] = np.nan, 0.0
    return replace(s, xy=xy, score=score)


def test_side_view_legs_only_measures_the_legs_and_withholds_the_trunk() -> None:
    s, truth = make_runner(fps=120, duration_s=6)
    full = analyze_series(s, height_cm=170.0)
    legs = analyze_series(_waist_down(s), height_cm=170.0)
    assert not shows_trunk(_waist_down(s)) and shows_trunk(s)
    assert legs.view.view.value == "side"
    for name in LEG_METRICS:
        assert legs.metrics[name]["available"], name
        assert legs.metrics[name]["value"] == pytest.approx(full.metrics[name]["value"], abs=0.5), name
    assert abs(legs.metrics["cadence_spm"]["value"] - truth["metrics"]["cadence_spm"]) < 0.5
    # centimetres from the leg chain alone: within 10 % of the truth
    assert legs.metrics["vertical_oscillation_cm"]["value"] == pytest.approx(
        truth["metrics"]["vertical_oscillation_cm"], rel=0.1)
    for name in TRUNK_METRICS:
        m = legs.metrics[name]
        assert not m["available"] and m["value"] is None
    assert "waist down" in legs.metrics["trunk_lean_deg"]["reason"]
    assert any("waist down" in w for w in legs.warnings)
    assert legs.scale.chain == "hip-knee-ankle" and full.scale.chain == "shoulder-hip-knee-ankle"


def test_rear_view_legs_only_is_still_a_rear_view() -> None:
    s, _ = make_runner(fps=60, duration_s=6, view="rear", pelvic_drop_deg=7.0)
    legs = analyze_series(_waist_down(s))
    assert legs.view.view.value == "rear"
    assert legs.metrics["pelvic_drop_deg"]["available"]
    assert not legs.metrics["lateral_trunk_lean_deg"]["available"]


def test_no_hips_is_no_runner_and_says_hips() -> None:
    s, _ = make_runner(fps=60, duration_s=3)
    hips = [s.index("left_hip"), s.index("right_hip")]
    score = s.score.copy()
    score[:, hips] = 0.0
    with pytest.raises(NoRunnerError, match="hips"):
        analyze_series(_waist_down(replace(s, score=score)))
