"""Plausibility as data: implausible or weakly supported summaries are withheld; slowed footage."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from formcam.analysis.core import analyze_series
from formcam.analysis.plausibility import check_summary, load_plausibility
from formcam.analysis.timebase import TIME_METRICS, retime
from tests.synthetic import make_runner


def _entry(value: float, n_steps: int = 20, unit: str = "deg", **kw: Any) -> dict[str, Any]:
    return {"value": value, "unit": unit, "left": value, "right": value, "n_steps": n_steps,
            "available": True, "reason": None, **kw}


def _events(n: int = 20, fallback: int = 0) -> Any:
    """What :func:`check_summary` reads of an Events: each contact's timing ``method``."""
    return SimpleNamespace(contacts=[SimpleNamespace(method="fore-aft" if i < fallback else "vertical")
                                     for i in range(n)])


def test_every_range_has_a_source_and_ordered_bounds() -> None:
    rules = load_plausibility()
    assert {"cadence_spm", "contact_time_ms", "pelvic_drop_deg", "hip_extension_deg"} <= rules.ranges.keys()
    for name, r in rules.ranges.items():
        assert r.low < r.high and r.sprint_low <= r.low and r.sprint_high >= r.high, name
        assert r.source, name


@pytest.mark.parametrize(("name", "bad", "good"), [
    ("cadence_spm", 61.9, 170.0), ("hip_extension_deg", -6.0, 12.0), ("pelvic_drop_deg", -6.0, 5.0),
    ("pelvic_sway_cm", 30.0, 3.0), ("contact_time_ms", 450.0, 250.0)])
def test_out_of_range_is_withheld_with_reason_and_kept(name: str, bad: float, good: float) -> None:
    metrics = {name: _entry(bad), "other": _entry(good)}
    notes = check_summary(metrics, _events(), setting="treadmill")
    m = metrics[name]
    assert not m["available"] and m["value"] is None and m["withheld_value"] == bad
    assert "outside what running shows" in m["reason"] and notes
    ok = {name: _entry(good)}
    assert not check_summary(ok, _events(), setting="treadmill") and ok[name]["available"]


def test_a_sprint_widens_cadence_and_contact_time() -> None:
    def metrics() -> dict[str, dict[str, Any]]:
        return {"cadence_spm": _entry(250.0), "contact_time_ms": _entry(100.0, unit="ms")}
    treadmill, sprint = metrics(), metrics()
    check_summary(treadmill, _events(), setting="treadmill")
    check_summary(sprint, _events(), setting="overground")
    assert not treadmill["cadence_spm"]["available"] and not treadmill["contact_time_ms"]["available"]
    assert sprint["cadence_spm"]["available"] and sprint["contact_time_ms"]["available"]


def test_few_steps_fallback_timing_and_side_disagreement() -> None:
    metrics = {"knee_flexion_ic_deg": _entry(20.0, n_steps=2), "contact_time_ms": _entry(250, unit="ms"),
               "cadence_spm": _entry(170.0, left=150.0, right=190.0),
               "overstride_cm": _entry(12.0, unit="cm", left=5.0, right=18.0), "trunk_lean_deg": _entry(6.0)}
    check_summary(metrics, _events(20, fallback=15), setting="treadmill")
    assert "fewer than 3 steps" in metrics["knee_flexion_ic_deg"]["reason"]
    assert "timed roughly" in metrics["contact_time_ms"]["reason"]
    cad = metrics["cadence_spm"]
    assert cad["available"] and cad["left"] is None and cad["right"] is None and cad["side_note"]
    # one foot's events are biased: the event-timed metrics lose their per-side values too
    over = metrics["overstride_cm"]
    assert over["available"] and over["value"] == 12.0 and over["left"] is None and over["right"] is None
    assert metrics["trunk_lean_deg"]["left"] == 6.0   # not timed at contact: kept


def test_slowed_runner_is_detected_and_time_metrics_withheld() -> None:
    s, truth = make_runner(fps=120, duration_s=8)
    slowed = replace(s, t_s=s.t_s * 3.0, fps=40.0)   # 3x slow motion saved without metadata
    a = analyze_series(slowed)
    assert a.time_base.source == "guess"
    assert 1 / a.time_base.scale == pytest.approx(3.0, rel=0.2)
    for name in TIME_METRICS:
        assert not a.metrics[name]["available"] and "slowed" in a.metrics[name]["reason"]
    # angles do not depend on time: still measured, close to the truth
    assert a.metrics["knee_flexion_ic_deg"]["value"] == pytest.approx(
        truth["metrics"]["knee_flexion_ic_deg"], abs=2.0)
    b = analyze_series(slowed, time_scale=1 / 3.0)   # the user gives the capture rate
    assert b.time_base.source == "user"
    assert b.metrics["cadence_spm"]["value"] == pytest.approx(truth["metrics"]["cadence_spm"], abs=1.0)


@pytest.mark.parametrize("view", ["side", "rear", "front"])
def test_real_time_runner_is_not_called_slowed(view: str) -> None:
    """In every view: a rear view's foot heights repeat every step, which once doubled the
    stride period and called a real-time phantom 'slowed 2x'."""
    s, _ = make_runner(fps=60, duration_s=6, view=view)
    a = analyze_series(s)
    assert a.time_base.source == "stated" and a.time_base.scale == 1.0
    assert a.metrics["cadence_spm"]["available"]


def test_retime_scales_times_and_rate() -> None:
    s, _ = make_runner(fps=60, duration_s=2)
    r = retime(s, 0.25)
    assert r.fps == pytest.approx(240.0) and r.t_s[-1] == pytest.approx(s.t_s[-1] * 0.25)
    assert retime(s, 1.0) is s
    with pytest.raises(ValueError, match="positive"):
        retime(s, 0.0)


def test_left_right_withheld_when_the_steps_scatter_more_than_the_sdd() -> None:
    """Knee at contact, 10 steps a side: SD 9 deg gives a median uncertain by ~3.6 deg, more
    than its 3 deg SDD (withheld); SD 2 deg gives 0.8 deg (kept). 2 steps a side: not judged."""
    scattered = [-0.6, 1.2, 13.1, 7.7, 18.2, 25.5, 2.6, 19.1, 3.0, 2.6]
    tight = [14.0, 16.5, 15.2, 13.1, 17.9, 15.5, 14.8, 16.1, 12.9, 15.0]
    steps = ([{"side": "left", "knee_flexion_ic_deg": v, "trunk_lean_deg": 6.0 + 0.1 * i}
              for i, v in enumerate(tight)]
             + [{"side": "right", "knee_flexion_ic_deg": v, "trunk_lean_deg": 6.0} for v in scattered])
    metrics = {"knee_flexion_ic_deg": _entry(14.0, left=15.1, right=5.3), "trunk_lean_deg": _entry(6.0)}
    notes = check_summary(metrics, _events(20), setting="treadmill", steps=steps)
    knee = metrics["knee_flexion_ic_deg"]
    assert knee["available"] and knee["value"] == 14.0  # the clip value stays
    assert knee["left"] is None and knee["right"] is None and "uncertain by about 3.6" in knee["side_note"]
    assert metrics["trunk_lean_deg"]["left"] == 6.0 and "side_note" not in metrics["trunk_lean_deg"]
    assert any("knee_flexion_ic_deg" in n for n in notes)
    kept = {"knee_flexion_ic_deg": _entry(15.0, left=15.1, right=15.0)}
    check_summary(kept, _events(20), setting="treadmill",
                  steps=[{"side": s, "knee_flexion_ic_deg": v} for s in ("left", "right") for v in tight])
    assert kept["knee_flexion_ic_deg"]["left"] == 15.1
    few = {"knee_flexion_ic_deg": _entry(15.0, left=10.0, right=20.0)}
    check_summary(few, _events(20), setting="treadmill",
                  steps=[{"side": s, "knee_flexion_ic_deg": v} for s in ("left", "right")
                         for v in (14.0, 16.0)])
    assert few["knee_flexion_ic_deg"]["left"] == 10.0


def test_clip_value_withheld_when_its_median_is_uncertain_by_more_than_the_sdd() -> None:
    """The clip value itself: 12 steps scattering with SD ~10 deg give a median uncertain by
    ~3.6 deg, more than knee flexion's 3 deg SDD (withheld, value kept aside); SD ~1.5 deg gives
    ~0.6 deg (shown). Overstride in cm follows the ratio, whose SDD is 0.03 leg lengths."""
    scattered = [2.0, 25.0, 8.0, 30.0, 14.0, 0.5, 22.0, 11.0, 27.0, 5.0, 18.0, 9.0]
    tight = [14.0, 16.5, 15.2, 13.1, 17.9, 15.5, 14.8, 16.1, 12.9, 15.0, 16.0, 14.5]
    metrics = {"knee_flexion_ic_deg": _entry(13.0), "hip_extension_deg": _entry(15.0),
               "overstride_ratio": _entry(0.15, unit="fraction of leg length"),
               "overstride_cm": _entry(13.5, unit="cm")}
    steps = [{"side": "left" if i % 2 else "right", "knee_flexion_ic_deg": a, "hip_extension_deg": b,
              "overstride_ratio": 0.15 + (0.2 if i % 3 == 0 else -0.1)}
             for i, (a, b) in enumerate(zip(scattered, tight, strict=True))]
    notes = check_summary(metrics, _events(20), setting="treadmill", steps=steps)
    knee = metrics["knee_flexion_ic_deg"]
    assert not knee["available"] and knee["withheld_value"] == 13.0 and knee["value"] is None
    assert "uncertain by about 3.6" in knee["reason"] and "12 steps" in knee["reason"]
    assert metrics["hip_extension_deg"]["available"] and metrics["hip_extension_deg"]["value"] == 15.0
    assert not metrics["overstride_ratio"]["available"] and not metrics["overstride_cm"]["available"]
    assert any("knee_flexion_ic_deg" in n and "overstride_ratio" in n for n in notes)


def test_sdds_match_the_cue_rules() -> None:
    """ranges.toml's left/right precision uses the same SDD as the metric's cue rule."""
    import tomllib
    from pathlib import Path

    rules = tomllib.loads((Path(__file__).resolve().parents[1] / "src" / "formcam" / "report" /
                           "rules.toml").read_text())
    by_metric = {r["metric"]: float(r["sdd"]) for r in rules["rules"].values()
                 if "sdd" in r and "metric" in r}
    ranges = load_plausibility().ranges
    with_sdd = {n: r.sdd for n, r in ranges.items() if r.sdd is not None}
    assert len(with_sdd) >= 8
    no_rule = {"foot_strike_angle_deg": 2.3,  # Dingenen 2018, foot inclination; no cue rule uses it
               "shank_angle_ic_deg": 3.0}    # assumed as knee flexion at contact's; no cue rule uses it
    for name, sdd in with_sdd.items():
        assert by_metric.get(name, no_rule.get(name)) == sdd, (name, sdd, by_metric.get(name))


def test_a_side_outside_the_plausible_range_withholds_both_sides() -> None:
    metrics = {"foot_strike_angle_deg": _entry(37.2, left=52.5, right=18.1), "trunk_lean_deg": _entry(6.0)}
    notes = check_summary(metrics, _events(20), setting="treadmill")
    fsa = metrics["foot_strike_angle_deg"]
    assert fsa["available"] and fsa["value"] == 37.2  # the clip value is inside its range
    assert fsa["left"] is None and fsa["right"] is None and "left 52.5" in fsa["side_note"]
    assert metrics["trunk_lean_deg"]["left"] == 6.0
    assert any(n.startswith("foot_strike_angle_deg: left/right values withheld") for n in notes)
