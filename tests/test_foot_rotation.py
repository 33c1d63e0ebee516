"""Foot strike angle from the shoe's measured rotation (formcam.analysis.foot_rotation), and the
reading of values at a contact timed from the image motion (formcam.analysis.metrics)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcam.analysis.events import Contact
from formcam.analysis.foot_rotation import enough_rotations, rotation, strike_angle_deg, uses_rotation
from formcam.analysis.step_reading import at_contact, at_kink, contact_reader, interp_at
from formcam.series import FOOT_MOTION_CHANNELS, SOLE_FRACTIONS, FootMotion

FPS = 60.0
N = 60
GROUND = np.array([-6.0, 0.0])  # px/frame: a treadmill belt moving image-left
LEG_PX = 200.0
N_SOLE = 2 * len(SOLE_FRACTIONS)


def _motion(ic: float, to: float, strike_deg: float, *, forward_sign: int, rot_frames: float = 2.5,
            swing_label_at: int | None = None) -> FootMotion:
    """Foot 0 lands at fractional frame ``ic`` with ``strike_deg`` (+ toes up) and rotates flat at
    a constant rate over ``rot_frames`` frames; in stance its heel moves with the ground; before
    contact it swings (fast forward). Foot 1 swings throughout. ``swing_label_at``: one stance
    frame where foot 0's label carries a swinging foot's motion."""
    v = np.full((N, 2, len(FOOT_MOTION_CHANNELS)), np.nan, dtype=np.float32)
    rate = forward_sign * math.radians(strike_deg) / rot_frames  # spin per frame, image convention
    for i in range(1, N):
        a, b = i - 1.0, float(i)
        in_rot = max(0.0, min(b, ic + rot_frames) - max(a, ic))
        stance = max(0.0, min(b, to) - max(a, ic))
        heel = GROUND * stance + np.array([12.0 * forward_sign, 0.0]) * (1 - stance)
        swing = np.array([15.0 * forward_sign, -3.0])
        for foot, (hv, spin) in enumerate([(heel, rate * in_rot), (swing, 0.3)]):
            v[i, foot, :N_SOLE] = np.tile(hv, len(SOLE_FRACTIONS))
            v[i, foot, N_SOLE:N_SOLE + 2] = hv
            v[i, foot, N_SOLE + 2] = spin
            v[i, foot, N_SOLE + 3:N_SOLE + 5] = (40.0 * forward_sign, 0.0)
        if swing_label_at == i:
            v[i, 0] = v[i, 1]
    return FootMotion(values=v)


def _contact(ic: float, to: float, source: str = "flow") -> Contact:
    return Contact("left", ic, to, ic / FPS, to / FPS, ic_source=source, to_source=source)


def test_rotation_weights_partial_intervals_and_refuses_gaps() -> None:
    spin = np.ones(10)
    assert rotation(spin, 2.5, 5.0) == pytest.approx(3.0)  # intervals ending at 3, 4, 5
    assert rotation(spin, 2.0, 5.0) == pytest.approx(3.0)
    assert rotation(spin, 2.25, 2.75) == pytest.approx(1.0)
    spin[4] = np.nan
    assert math.isnan(rotation(spin, 2.5, 5.0))
    assert math.isnan(rotation(spin, 5.0, 5.0))
    assert math.isnan(rotation(np.ones(4), 1.0, 6.0))  # beyond the measured frames


@pytest.mark.parametrize("forward_sign", [1, -1])
@pytest.mark.parametrize("strike", [8.0, 0.0, -8.0, 20.0])
@pytest.mark.parametrize("ic", [10.0, 10.3, 10.75])
def test_strike_angle_is_the_rotation_from_contact_to_midstance(forward_sign: int, strike: float,
                                                                 ic: float) -> None:
    to = ic + 15.0
    got = strike_angle_deg(_motion(ic, to, strike, forward_sign=forward_sign), _contact(ic, to), 0,
                           forward_sign=forward_sign, fps=FPS, leg_px=LEG_PX)
    assert got == pytest.approx(strike, abs=1e-3)


def test_a_contact_timed_a_frame_late_misses_that_frame_of_rotation() -> None:
    """Timed within the interval that holds the contact, the whole rotation is kept; timed one
    frame late, a 2.5-frame rotation loses that frame's 2/5 of its angle (the reason only
    motion-timed contacts, sub-frame, are used)."""
    m = _motion(10.0, 25.0, 10.0, forward_sign=1)
    got = strike_angle_deg(m, _contact(10.5, 25.0), 0, forward_sign=1, fps=FPS, leg_px=LEG_PX)
    assert got == pytest.approx(10.0, abs=1e-3)
    got = strike_angle_deg(m, _contact(11.0, 25.0), 0, forward_sign=1, fps=FPS, leg_px=LEG_PX)
    assert got == pytest.approx(6.0, abs=1e-3)


def test_unclean_inputs_give_no_value() -> None:
    ok = _motion(10.3, 25.3, 8.0, forward_sign=1)
    assert strike_angle_deg(ok, _contact(10.3, 25.3, "keypoints"), 0, forward_sign=1, fps=FPS,
                            leg_px=LEG_PX) is None
    swapped = _motion(10.3, 25.3, 8.0, forward_sign=1, swing_label_at=14)
    assert strike_angle_deg(swapped, _contact(10.3, 25.3), 0, forward_sign=1, fps=FPS, leg_px=LEG_PX) is None
    gap = FootMotion(values=ok.values.copy())
    gap.values[12, 0, N_SOLE + 2] = np.nan
    assert strike_angle_deg(gap, _contact(10.3, 25.3), 0, forward_sign=1, fps=FPS, leg_px=LEG_PX) is None


def test_rotation_is_used_when_most_contacts_were_timed_from_the_motion() -> None:
    flow, kp = _contact(10, 25), _contact(10, 25, "keypoints")
    assert uses_rotation([flow, flow, kp])
    assert not uses_rotation([flow, kp])
    assert not uses_rotation([])


def test_a_clip_needs_half_its_steps_clean() -> None:
    assert enough_rotations([8.0, None, 7.5, None])
    assert not enough_rotations([8.0, None, None, None])
    assert not enough_rotations([])


def test_motion_timed_contact_reads_between_the_frames_around_it() -> None:
    """A model that rounds the impact kink lags the truth on both sides of contact: +b before,
    -b after (here the true value is 20 at the contact, slope 5/frame). Interpolation between
    the two frames around the contact cancels the two biases; the one-sided fit carries +b."""
    t = np.arange(40) / FPS
    tic = 20.4 / FPS
    truth = 20.0 + 5.0 * FPS * (t - tic)
    model = truth + np.where(t < tic, 3.0, -3.0)
    flow_read = contact_reader(_contact(20.4, 35.0))
    assert flow_read(t, model, tic) == pytest.approx(interp_at(t, model, tic))
    assert abs(flow_read(t, model, tic) - 20.0) < 0.7
    kp_read = contact_reader(_contact(20.4, 35.0, "keypoints"))
    assert kp_read(t, model, tic) == pytest.approx(at_contact(t, model, tic))
    assert kp_read(t, model, tic) - 20.0 > 2.5
    angle_read = contact_reader(_contact(20.4, 35.0), kinked=True)
    assert angle_read(t, model, tic) == pytest.approx(at_kink(t, model, tic))
    assert abs(angle_read(t, model, tic) - 20.0) < 0.7


@pytest.mark.parametrize("u", [0.2, 0.5, 0.8])
def test_an_angle_that_kinks_at_contact_is_read_at_the_kink(u: float) -> None:
    """A knee nearly still before contact (extending 50 deg/s) and flexing at 820 deg/s after
    it (the phantom's straight-legged overstride): the line between the two frames around
    contact reads u (1 - u) h (820 + 50) too high; the two-sided fit reads the kink."""
    t = np.arange(40) / FPS
    tic = (20 + u) / FPS
    y = 10.0 + np.where(t < tic, -50.0, 820.0) * (t - tic)
    bias = u * (1 - u) / FPS * 870.0
    assert interp_at(t, y, tic) == pytest.approx(10.0 + bias)
    assert at_kink(t, y, tic) == pytest.approx(10.0, abs=1e-9)
    # no samples on one side: interpolation (here NaN at the clip's edge)
    assert np.isnan(at_kink(t, y, t[-1] + 0.5 / FPS))
    assert at_kink(t[:22], y[:22], tic) == pytest.approx(interp_at(t[:22], y[:22], tic))


@pytest.mark.parametrize("kw", [{"strike_deg": 10.0}, {"strike_deg": 18.0, "flat_frames": 4.0, "seed": 2},
                                {"strike_deg": 0.0}, {"strike_deg": 10.0, "fps": 120.0, "flat_frames": 6.0}])
def test_strike_angle_of_a_rendered_shoe_from_its_measured_rotation(kw: dict[str, float]) -> None:
    """A textured block lands pitched toes up on a moving belt and rotates about its heel to flat
    (blur, noise; keypoints inside its ends, as a pose model puts them): the rotation of its
    optical flow from the true contact to mid-stance has the pitch's sign and 60-110 % of its
    size (DIS smooths this small, low-contrast block's motion into the background: measured
    70-93 %; on the phantom's rendered shoes 90-100 %), and a flat landing reads flat."""
    from tests.flow_synthetic import make_block_clip
    from tests.test_footflow import _measure

    clip = make_block_clip(kp_inset=0.1, **kw)  # type: ignore[arg-type]
    fps, pitch = clip.series.fps, kw["strike_deg"]
    c = Contact("right", clip.ic, clip.to, clip.ic / fps, clip.to / fps, ic_source="flow", to_source="flow")
    got = strike_angle_deg(_measure(clip), c, 1, forward_sign=1, fps=fps, leg_px=LEG_PX)
    assert got is not None
    if pitch:
        assert 0.6 * pitch <= got <= 1.1 * pitch
    else:
        assert abs(got) < 1.5
