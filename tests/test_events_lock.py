"""Analytic tests of the heel-first gate, ground-lock IC and last-off TO (formcam.analysis.events_lock)."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.analysis.events_lock import (
    LOCK_BAND_LEG,
    LOCK_MAX_SIGMA_LEG,
    ground_lock_ic,
    heel_first,
    last_off_to,
)

BELT_PX_S = -300.0  # stance foot moves backward with the belt, px/s
LEG_PX = 400.0
BAND_PX = LOCK_BAND_LEG * LEG_PX


def _heel_x(t: np.ndarray, t_ic: float) -> np.ndarray:
    """Heel x (px): on the belt line from IC on; before it, still moving forward relative
    to the belt (250 px/s at IC, decelerating)."""
    f = np.maximum(t_ic - t, 0.0)
    return 500.0 + BELT_PX_S * (t - t_ic) + 250.0 * f + 900.0 * f**2


def _band_entry_s(t_ic: float) -> float:
    """Instant the heel comes within the band of the belt line: 250 f + 900 f^2 = band."""
    return t_ic - (-250.0 + np.sqrt(250.0**2 + 4 * 900.0 * BAND_PX)) / (2 * 900.0)


@pytest.mark.parametrize("fps", [30.0, 60.0, 120.0, 240.0])
def test_ground_lock_is_band_entry_sub_frame(fps: float) -> None:
    t = np.arange(0.0, 1.0, 1.0 / fps)
    for t_ic in (0.4013, 0.4551):
        x = _heel_x(t, t_ic)
        # from a foot-height stance 30 ms late at IC, 270 ms long
        got = ground_lock_ic(x, (t_ic + 0.03) * fps, (t_ic + 0.27) * fps, fps, leg_px=LEG_PX)
        assert got is not None
        assert abs(got - _band_entry_s(t_ic) * fps) <= 0.1


def test_ground_lock_invariant_to_camera_pan_offset_and_scale() -> None:
    fps = 120.0
    t = np.arange(0.0, 1.0, 1.0 / fps)
    x = _heel_x(t, 0.43)
    ic, to = 0.45 * fps, 0.70 * fps
    a = ground_lock_ic(x, ic, to, fps, leg_px=LEG_PX)
    b = ground_lock_ic(x + 1234.0 + 250.0 * t, ic, to, fps, leg_px=LEG_PX)  # constant-speed pan
    c = ground_lock_ic(3.0 * x, ic, to, fps, leg_px=3.0 * LEG_PX)  # closer camera
    assert a is not None and b is not None and c is not None
    assert abs(a - b) < 1e-6 and abs(a - c) < 1e-6


def test_ground_lock_widens_band_with_noise_and_refuses_very_noisy_points() -> None:
    fps = 120.0
    t = np.arange(0.0, 1.0, 1.0 / fps)
    x = _heel_x(t, 0.43)
    ic, to = 0.45 * fps, 0.70 * fps
    clean = ground_lock_ic(x, ic, to, fps, leg_px=LEG_PX)
    wide = ground_lock_ic(x, ic, to, fps, leg_px=LEG_PX, sigma=0.008 * LEG_PX)  # band 3 sigma
    assert clean is not None and wide is not None and wide < clean  # a wider band is entered earlier
    assert ground_lock_ic(x, ic, to, fps, leg_px=LEG_PX, sigma=(LOCK_MAX_SIGMA_LEG + 0.001) * LEG_PX) is None


def test_ground_lock_none_when_the_heel_never_leaves_the_line() -> None:
    fps = 60.0
    t = np.arange(0.0, 1.0, 1.0 / fps)
    assert ground_lock_ic(500.0 + BELT_PX_S * t, 0.4 * fps, 0.65 * fps, fps, leg_px=LEG_PX) is None


def _heights(t: np.ndarray, t_ic: float, *, toe_up_px: float) -> tuple[np.ndarray, np.ndarray]:
    """Heel and toe heights (px, y up): both land at ``t_ic``; the toe is ``toe_up_px``
    above its floor then and lands 30 ms later (a rearfoot strike when positive)."""
    f = np.maximum(t_ic - t, 0.0)
    heel = 50.0 + 400.0 * f
    toe = 20.0 + toe_up_px * np.clip((t_ic + 0.03 - t) / 0.03, 0.0, None) + 400.0 * f
    return heel, toe


@pytest.mark.parametrize(("toe_up_leg", "expect"), [(0.04, True), (0.01, False), (0.0, False)])
def test_heel_first_from_toe_height_at_contact(toe_up_leg: float, expect: bool) -> None:
    fps = 60.0
    t = np.arange(0.0, 1.0, 1.0 / fps)
    heel, toe = _heights(t, 0.4, toe_up_px=toe_up_leg * LEG_PX)
    assert heel_first(heel, toe, 0.4 * fps, 0.65 * fps, leg_px=LEG_PX) is expect
    assert heel_first(heel + 77.0, toe - 5.0, 0.4 * fps, 0.65 * fps, leg_px=LEG_PX) is expect  # levels


def test_heel_first_threshold_grows_with_noise() -> None:
    fps = 60.0
    t = np.arange(0.0, 1.0, 1.0 / fps)
    heel, toe = _heights(t, 0.4, toe_up_px=0.03 * LEG_PX)
    assert heel_first(heel, toe, 0.4 * fps, 0.65 * fps, leg_px=LEG_PX, sigma=0.0)
    assert not heel_first(heel, toe, 0.4 * fps, 0.65 * fps, leg_px=LEG_PX, sigma=0.01 * LEG_PX)


@pytest.mark.parametrize("fps", [60.0, 120.0, 240.0])
def test_last_off_is_latest_point_leaving(fps: float) -> None:
    """Heel rises from 60 % of stance, toe from TO at 0.5 m/s-like speed: TO is the toe's
    threshold crossing, TO + delta / speed."""
    t = np.arange(0.0, 1.0, 1.0 / fps)
    ic_s, to_s, leg = 0.3, 0.55, 400.0
    speed = 400.0  # px/s
    toe = 100.0 + speed * np.maximum(t - to_s, 0.0)
    heel = 120.0 + 2000.0 * np.maximum(t - (ic_s + 0.6 * (to_s - ic_s)), 0.0)
    got = last_off_to([heel, toe], ic_s * fps, to_s * fps, fps, leg_px=leg, sigma=0.0)
    expect = (to_s + 0.02 * leg / speed) * fps
    assert got is not None and abs(got - expect) < 0.05
