"""Side-view pelvis stickers: ring-contrast dots at the body's outline, tracking through an arm
occlusion, no stickers, and the tilt's sign convention (issue 19)."""

from __future__ import annotations

import math

import numpy as np

from formcam.analysis import Analysis, analyze_series
from formcam.analysis.pelvis_tilt import (
    fit_stride,
    stride_covered,
    tilt_series_deg,
    tilt_summary,
    with_pelvis_tilt,
)
from formcam.pose.side_markers import SideDot, find_ring_dots
from formcam.pose.side_tracker import SideTracker, tilt_deg
from formcam.series import PelvisImage
from tests.synthetic import make_runner, mirror

WALL = (205, 208, 215)
SHORTS = (30, 40, 92)
WHITE = (250.0, 250.0, 250.0)


def _scene(h: int = 80, w: int = 120, outline_x: int = 60) -> np.ndarray:
    """A pale wall left of ``outline_x``, navy shorts right of it."""
    img = np.empty((h, w, 3), np.uint8)
    img[:, :outline_x] = WALL
    img[:, outline_x:] = SHORTS
    return img


def _dot(
    img: np.ndarray, cx: float, cy: float, r: float, colour: tuple[int, int, int] = (250, 250, 250)
) -> None:
    """Anti-aliased disc (4x4 supersampling) drawn in place."""
    yy, xx = np.mgrid[: img.shape[0], : img.shape[1]]
    cover = np.zeros(img.shape[:2])
    for oy in (0.125, 0.375, 0.625, 0.875):
        for ox in (0.125, 0.375, 0.625, 0.875):
            cover += (np.hypot(xx - 0.5 + ox - cx, yy - 0.5 + oy - cy) <= r) / 16.0
    img[:] = np.rint(img * (1 - cover[..., None]) + np.array(colour) * cover[..., None]).astype(np.uint8)


def test_dot_half_against_background_is_found_at_its_centre() -> None:
    img = _scene()
    _dot(img, 60.3, 40.6, 2.2)  # centred on the outline: half on the wall, half on the shorts
    dots = find_ring_dots(img, min_diameter_px=2.0, max_diameter_px=8.0)
    assert dots, "the sticker at the outline was not found"
    d = dots[0]
    assert math.hypot(d.x - 60.3, d.y - 40.6) < 0.35
    assert 3.0 < d.diameter_px < 6.0
    assert not [x for x in dots[1:] if x.contrast > 0.5 * d.contrast]  # the outline itself is no dot


def test_plain_outline_and_stripe_give_no_dot() -> None:
    img = _scene()
    img[30:33, :] = (250, 250, 250)  # a thin white stripe across (a waistband line)
    assert find_ring_dots(img, min_diameter_px=2.0, max_diameter_px=8.0) == []


def _frame_dots(front: np.ndarray, back: np.ndarray, *, hide_front: bool) -> list[SideDot]:
    dots = [
        SideDot(back[0], back[1], 4.3, 250.0, colour=WHITE),
        SideDot(front[0] + 9.0, front[1] - 12.0, 4.0, 120.0, colour=WHITE),
    ]  # + a distractor
    if not hide_front:
        dots.append(SideDot(front[0], front[1], 4.3, 200.0, colour=WHITE))
    return dots


def test_tracking_through_an_arm_occlusion_drops_hidden_frames() -> None:
    tr = SideTracker(facing=1)
    hip = np.array([100.0, 100.0])
    out = []
    for i in range(40):
        bob = 3.0 * math.sin(i / 3.0)
        back, front = np.array([85.0, 80.0 + bob]), np.array([118.0, 90.0 + bob])
        out.append(
            tr.update(
                _frame_dots(front, back, hide_front=10 <= i < 22),
                hip=hip + np.array([0.0, bob]),
                trunk_px=105.0,
            )
        )
    got = np.array(out)
    assert np.isnan(got[10:22, 0]).all()  # hidden: NaN, never guessed (nor the distractor taken)
    assert np.isfinite(got[10:22, 1]).all()  # the PSIS is still followed
    assert np.isfinite(got[22:, 0]).all()  # the ASIS is taken back after the gap
    assert np.allclose(got[30, 0], [118.0, 90.0 + 3.0 * math.sin(10.0)])


def test_lost_pair_is_not_taken_back_from_dots_of_another_colour() -> None:
    """Both stickers hidden long enough for a fresh search, while two dark corners of the shorts
    fit the pair's geometry: the tracker waits for the white pair (stickers keep their colour)."""
    tr = SideTracker(facing=1)
    hip, navy = np.array([100.0, 100.0]), (35.0, 40.0, 75.0)
    back, front = np.array([85.0, 80.0]), np.array([118.0, 90.0])
    dark = [SideDot(87.0, 84.0, 5.0, 400.0, colour=navy), SideDot(121.0, 93.0, 5.0, 400.0, colour=navy)]
    white = [SideDot(*back, 4.3, 250.0, colour=WHITE), SideDot(*front, 4.3, 200.0, colour=WHITE)]
    frames = [white] * 5 + [[]] * 12 + [dark] * 10 + [dark + white] * 3
    got = np.array([tr.update(d, hip=hip, trunk_px=105.0) for d in frames])
    assert np.isfinite(got[:5]).all()
    assert np.isnan(got[5:27]).all()  # never the dark pair, though it scores higher
    assert np.allclose(got[27:], [front, back])
    fresh = SideTracker(facing=1)  # without a colour seen before, the stronger pair wins
    assert np.allclose(fresh.update(dark + white, hip=hip, trunk_px=105.0), [[121.0, 93.0], [87.0, 84.0]])


def test_no_stickers_gives_nothing() -> None:
    tr = SideTracker(facing=-1)
    rows = [tr.update([], hip=np.array([50.0, 50.0]), trunk_px=100.0) for _ in range(20)]
    assert np.isnan(np.array(rows)).all()
    t = np.arange(300) / 60.0
    summary = tilt_summary(
        t, tilt_series_deg(np.array(rows * 15), forward_sign=1), [(k * 0.7, (k + 1) * 0.7) for k in range(6)]
    )
    assert summary["mean_deg"] is None and summary["range_deg"] is None and summary["reason"]


def test_tilt_sign_is_the_same_facing_left_or_right() -> None:
    back, front = np.array([100.0, 50.0]), np.array([135.0, 56.0])  # ASIS 6 px lower: anterior
    right = tilt_deg(front, back, facing=1)
    mirrored = tilt_deg(np.array([200.0 - 135.0, 56.0]), np.array([100.0, 50.0]), facing=-1)
    assert right > 0 and math.isclose(right, mirrored)
    dots = np.array([[[100.0, 50.0], [135.0, 56.0]]])  # image-left, image-right
    assert math.isclose(float(tilt_series_deg(dots, forward_sign=1)[0]), right)
    assert math.isclose(float(tilt_series_deg(dots[:, ::-1] * [-1, 1], forward_sign=-1)[0]), right)


def test_stride_fit_recovers_mean_and_range_with_half_the_stride_hidden() -> None:
    fps, stride = 60.0, 0.7
    t = np.arange(0, stride, 1 / fps)
    tilt = 15.0 + 3.0 * np.cos(2 * np.pi * t / (stride / 2))  # 6 deg peak to peak per step
    tilt[t > stride / 2] = np.nan  # the arm hides the ASIS for the second step
    got = fit_stride(t, tilt, t0_s=0.0, step_s=stride / 2)
    assert got is not None
    assert abs(got[0] - 15.0) < 1e-6 and abs(got[1] - 6.0) < 0.01
    assert not stride_covered(np.linspace(0.0, 0.6, 20))  # a third of the step never seen: no value


def _side_analysis(direction_sign: int = 1) -> Analysis:
    series, _ = make_runner(fps=60, duration_s=8)
    return analyze_series(series if direction_sign > 0 else mirror(series), height_cm=175)


def _image(
    analysis: Analysis, tilt_deg_t: np.ndarray, *, markers: str = "pelvis", static: bool = False
) -> PelvisImage:
    """Stickers 35 px apart at the given tilt, 20 px above the hips' keypoint (or, ``static``, at a
    fixed place), the front one on the runner's facing side."""
    k, s = analysis.kinematics, analysis.series
    n, f = k.t_s.size, k.forward_sign
    hip = 0.5 * (s.xy[:, s.index("left_hip")] + s.xy[:, s.index("right_hip")])
    base = np.tile(hip.mean(axis=0), (n, 1)) if static else hip
    rad = np.radians(tilt_deg_t)
    back = base + np.array([-f * 20.0, -20.0])
    front = back + 35.0 * np.column_stack([f * np.cos(rad), np.sin(rad)])
    dots = np.stack([back, front], axis=1) if f > 0 else np.stack([front, back], axis=1)
    return PelvisImage(
        dots_px=dots,
        flow_rot_deg=np.full(n, np.nan),
        flow_points=np.zeros(n, np.int64),
        markers=markers,
        view="side",
    )


def test_no_stickers_withholds_tilt_with_a_warning_in_pelvis_mode_and_says_nothing_in_auto() -> None:
    a = _side_analysis()
    auto = with_pelvis_tilt(a, None, markers="auto")
    assert "pelvic_tilt_deg" not in auto.metrics
    asked = with_pelvis_tilt(a, None, markers="pelvis")
    for name in ("pelvic_tilt_deg", "pelvic_tilt_range_deg"):
        assert asked.metrics[name]["available"] is False and asked.metrics[name]["value"] is None
        assert asked.metrics[name]["reason"]
    assert any("ASIS and PSIS stickers" in w for w in asked.warnings)
    hidden = _image(a, np.full(a.kinematics.t_s.size, np.nan))  # a pass that found nothing
    assert with_pelvis_tilt(a, hidden, markers="auto").metrics.get("pelvic_tilt_deg") is None


def test_tilt_and_range_from_stickers_facing_either_way() -> None:
    for sign in (1, -1):
        a = _side_analysis(sign)
        t = a.kinematics.t_s
        step = a.events.stride_period_s / 2
        tilt = 15.0 + 3.0 * np.cos(2 * np.pi * t / step)
        tilt[(t % a.events.stride_period_s) > 0.7 * a.events.stride_period_s] = np.nan  # arm hides a part
        got = with_pelvis_tilt(a, _image(a, tilt), markers="auto").metrics
        assert a.kinematics.forward_sign == sign
        assert abs(got["pelvic_tilt_deg"]["value"] - 15.0) < 0.2
        assert abs(got["pelvic_tilt_range_deg"]["value"] - 6.0) < 0.3
        assert got["pelvic_tilt_deg"]["source"] == "markers"


def test_a_static_pair_that_does_not_move_with_the_hips_is_no_sticker_pair() -> None:
    a = _side_analysis()
    fixed = _image(a, np.full(a.kinematics.t_s.size, 12.0), static=True)  # e.g. two spots on a handrail
    got = with_pelvis_tilt(a, fixed, markers="pelvis").metrics
    assert (
        got["pelvic_tilt_deg"]["value"] is None
        and "do not move with the hips" in got["pelvic_tilt_deg"]["reason"]
    )
    moving = with_pelvis_tilt(a, _image(a, np.full(a.kinematics.t_s.size, 12.0)), markers="pelvis").metrics
    assert abs(moving["pelvic_tilt_deg"]["value"] - 12.0) < 0.1
