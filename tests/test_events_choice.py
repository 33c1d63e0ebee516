"""Free fall as the arbiter of side-view event rules (formcam.analysis.events_flight /
events_choice) and the physical pelvis path of the drawn runners (formcam.phantom.bounce)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formcam.analysis import analyze_series
from formcam.analysis.events_flight import offset_from, prefer_alternative
from formcam.phantom.bounce import G_MPS2, pelvis_bounce_m, stance_force
from tests.synthetic import make_runner

FPS = 120.0


@pytest.mark.parametrize(("step_s", "contact_s", "vo_m"), [(0.353, 0.25, 0.09), (1 / 3, 0.22, 0.06),
                                                           (0.4, 0.3, 0.10)])
def test_bounce_is_free_fall_in_flight_and_continuous(step_s: float, contact_s: float, vo_m: float) -> None:
    dt = 1e-4
    t = np.arange(-0.5, 1.0, dt)
    z = pelvis_bounce_m(t, step_s=step_s, contact_s=contact_s, oscillation_m=vo_m)
    assert z.max() - z.min() == pytest.approx(vo_m, abs=1e-6)
    assert pelvis_bounce_m(np.array([contact_s / 2]), step_s=step_s, contact_s=contact_s,
                           oscillation_m=vo_m)[0] == pytest.approx(-vo_m / 2, abs=1e-9)
    acc = np.diff(z, 2) / dt**2
    phase = np.mod(t[1:-1], step_s)
    in_air = (phase > contact_s + 0.005) & (phase < step_s - 0.005)
    assert np.allclose(acc[in_air], -G_MPS2, atol=0.05)
    assert np.abs(np.diff(z)).max() / dt < 2.0  # no jump in height
    assert np.abs(np.diff(acc)).max() < 1.0  # nor in acceleration: the force starts from zero
    assert acc.min() >= -G_MPS2 - 0.05  # the ground only pushes


def test_bounce_without_flight_falls_back_to_a_sinusoid() -> None:
    assert stance_force(0.3, 0.35, 0.05) is None
    t = np.linspace(0, 1, 101)
    z = pelvis_bounce_m(t, step_s=0.3, contact_s=0.35, oscillation_m=0.05)
    assert np.allclose(z, -0.025 * np.cos(2 * np.pi * (t - 0.175) / 0.3))


def test_offset_from_nearest_reference_within_reach() -> None:
    got = offset_from(np.array([10.0, 52.0, np.nan, 200.0]), np.array([11.0, 50.0, 90.0]), max_frames=5)
    assert got[0] == -1.0 and got[1] == 2.0 and np.isnan(got[2]) and np.isnan(got[3])


def _frames(truth: np.ndarray, offset_ms: float) -> np.ndarray:
    return truth + offset_ms * FPS / 1000.0


def test_prefer_alternative_only_when_clearly_closer_to_free_fall() -> None:
    truth = np.arange(10.0, 400.0, 40.0)
    ref = _frames(truth, 6.0)  # the flight edges are a few ms off themselves
    yes, d, a = prefer_alternative(_frames(truth, 35.0), _frames(truth, -3.0), ref, FPS, margin_s=0.013)
    assert yes and d == pytest.approx(29.0) and a == pytest.approx(-9.0)
    no, _, _ = prefer_alternative(_frames(truth, 2.0), _frames(truth, -18.0), ref, FPS, margin_s=0.013)
    assert not no
    close, _, _ = prefer_alternative(_frames(truth, 20.0), _frames(truth, 0.0), ref, FPS, margin_s=0.013)
    assert not close  # 14 vs 6 ms from the edges: within the margin, the default stays
    few, d_few, _ = prefer_alternative(_frames(truth[:2], 35.0), _frames(truth[:2], 0.0), ref, FPS,
                                       margin_s=0.013)
    assert not few and np.isnan(d_few)


@pytest.mark.parametrize("strike_deg", [8.0, -8.0])
def test_drawn_runner_keeps_foot_height_toe_off(strike_deg: float) -> None:
    """The drawn foot's toe tip leaves the ground at toe-off, so the foot-height TO is right and
    the free fall of the (physical) pelvis must not trade it for the last-off rule, for heel
    and forefoot strikes; IC (ground lock by default, the foot height where the lock cannot
    be timed) gives the contact time within a frame."""
    s, truth = make_runner(fps=120.0, duration_s=6.0, foot_strike_angle_deg=strike_deg)
    ana = analyze_series(s, height_cm=170.0)
    assert ana.events.timing.endswith("TO foot height (chosen by the hips' free fall)")
    ct = ana.metrics["contact_time_ms"]["value"]
    assert abs(ct - truth["metrics"]["contact_time_ms"]) <= 1000.0 / 120.0


def test_no_free_fall_no_arbitration() -> None:
    """Hips held still (a treadmill clip whose hips were smoothed flat): no flight to judge by."""
    s, _ = make_runner(fps=120.0, duration_s=6.0)
    xy = s.xy.copy()
    for name in ("left_hip", "right_hip"):
        k = s.keypoints.index(name)
        xy[:, k, 1] = np.nanmean(xy[:, k, 1])
    ana = analyze_series(replace(s, xy=xy), height_cm=170.0)
    assert "no free fall" in ana.events.timing
