"""Foot contact from image motion: the pose-stage observer on synthetic image sequences (a
textured block landing on a moving textured belt, with motion blur and noise) and the
analysis' fusion with the keypoint-based events. No pose model runs here."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formcam.analysis.events import Contact, Events
from formcam.analysis.events_flow import FLOW, KEYPOINTS, event_sources, flow_events, flow_warnings
from formcam.analysis.events_flow_fit import fit_change, line_speed
from formcam.pose import FootMotionObserver, detect
from formcam.pose.backends.replay import ReplayBackend
from formcam.series import FOOT_MOTION_CHANNELS, FootMotion, load_foot_motion, save_keypoints
from formcam.video import Frame
from tests.flow_synthetic import make_block_clip

LEG_PX = 200.0


def _measure(clip, observer=None):  # type: ignore[no-untyped-def]
    obs = observer or FootMotionObserver(clip.series.keypoints)
    for i, img in enumerate(clip.frames):
        obs(Frame(i, float(clip.series.t_s[i]), img), clip.series.xy[i][None], clip.series.score[i][None])
    return obs.runner_motion(clip.series)


def _events(clip, d_ic: float = 2.5, d_to: float = -3.0) -> Events:  # type: ignore[no-untyped-def]
    """A keypoint-based contact that is ``d_ic`` / ``d_to`` frames off the truth."""
    fps = clip.series.fps
    ic, to = clip.ic + d_ic, clip.to + d_to
    return Events((Contact("right", ic, to, ic / fps, to / fps),), (), 0.7)


@pytest.mark.parametrize("kw", [{}, {"blur": False, "noise": 0.0}, {"belt": -5.0, "seed": 3},
                                {"ic": 10.7, "to": 29.2, "seed": 5}, {"fps": 120.0}])
def test_contact_and_toe_off_from_the_shoe_motion(kw: dict[str, float]) -> None:
    """A block that rides a moving belt between known contact and toe-off: both timed from
    the image motion within 0.6 frame, although the keypoint events are 2.5 / 3 frames off."""
    clip = make_block_clip(**kw)  # type: ignore[arg-type]
    got = flow_events(_events(clip), clip.series, _measure(clip), leg_px=LEG_PX).contacts[0]
    assert (got.ic_source, got.to_source) == (FLOW, FLOW)
    assert abs(got.ic_frame - clip.ic) < 0.4
    assert abs(got.to_frame - clip.to) < 0.6
    assert got.ic_s == pytest.approx(got.ic_frame / clip.series.fps)
    assert got.contact_time_ms == pytest.approx(1000 * (got.to_frame - got.ic_frame) / clip.series.fps)


def test_a_still_floor_works_too() -> None:
    """The ground's image velocity comes from the stance itself: a still floor (static camera,
    overground) is timed like a belt. Toe-off is later there (known limit: the flow at the
    working scale misses the first sub-pixel motion of a toe leaving a still floor)."""
    clip = make_block_clip(belt=0.0, seed=2)
    got = flow_events(_events(clip), clip.series, _measure(clip), leg_px=LEG_PX).contacts[0]
    assert got.ic_source == FLOW and abs(got.ic_frame - clip.ic) < 0.4
    assert got.to_source == FLOW and 0.0 <= got.to_frame - clip.to < 2.0


def test_occluded_foot_falls_back_to_keypoints_and_says_so() -> None:
    """A board hides the foot over its landing: the flow there is the board's, not the shoe's;
    the contact keeps the keypoint time and names its source, and the warning says why."""
    clip = make_block_clip(occlude=(6, 19))
    events = _events(clip)
    out = flow_events(events, clip.series, _measure(clip), leg_px=LEG_PX)
    got = out.contacts[0]
    assert got.ic_source == KEYPOINTS and got.ic_frame == events.contacts[0].ic_frame
    assert got.to_source == FLOW  # the toe-off is in view
    assert event_sources(out)["initial_contact"] == {FLOW: 0, KEYPOINTS: 1}
    (warning,) = flow_warnings(out, measured=True)
    assert "1 of 1 initial contacts" in warning and "hidden" in warning
    assert flow_warnings(out, measured=False) == []


def test_foot_not_found_falls_back() -> None:
    """Keypoints below the score threshold: nothing measured (NaN), keypoint events kept."""
    clip = make_block_clip()
    low = replace(clip.series, score=clip.series.score * 0.1)
    motion = _measure(replace(clip, series=low))
    assert np.isnan(motion.values).all()
    got = flow_events(_events(clip), clip.series, motion, leg_px=LEG_PX).contacts[0]
    assert (got.ic_source, got.to_source) == (KEYPOINTS, KEYPOINTS)


def test_detect_calls_every_observer_with_the_detections() -> None:
    """Several observers attach to the pose pass; each sees each frame and its detections."""
    clip = make_block_clip(n=8)
    seen: list[tuple[int, tuple[int, ...]]] = []
    backend = ReplayBackend(replace(clip.series, xy=clip.series.xy[:8], score=clip.series.score[:8],
                                    t_s=clip.series.t_s[:8]))
    obs = FootMotionObserver(clip.series.keypoints)
    frames = (Frame(i, i / 60, f) for i, f in enumerate(clip.frames))
    with backend:
        det = detect(frames, backend, width=320, height=240, fps=60.0,
                     observers=[lambda f, kp, sc: seen.append((f.index, kp.shape)), obs])
    assert [s[0] for s in seen] == list(range(8)) and det.n_frames == 8
    assert len(obs.motion) == 8 and obs.motion[0].shape == (1, 2, len(FOOT_MOTION_CHANNELS))


def test_fit_change_finds_a_sub_frame_hinge() -> None:
    """Interval-averaged speeds of a ramp that starts at T = 20.3 (toe-off) and of a decline that
    ends at T = 10.6 (contact): the fit recovers T."""
    t = np.arange(12, 30, dtype=np.float64)
    ramp = 0.8 * (np.maximum(t - 20.3, 0) ** 2 - np.maximum(t - 1 - 20.3, 0) ** 2) / 2
    fit = fit_change(ramp + 0.05, t, 15, 25, before=False)
    assert fit is not None and fit.frame == pytest.approx(20.3, abs=0.06)
    t2 = np.arange(4, 18, dtype=np.float64)
    step = np.clip(10.6 - (t2 - 1), 0, 1) * 2.0
    fit2 = fit_change(step, t2, 6, 15, before=True)
    assert fit2 is not None and fit2.frame == pytest.approx(10.6, abs=0.06)


def test_fit_change_with_a_settling_tail_finds_the_kink() -> None:
    """A shoe that slows linearly to contact at T = 10.4 and then settles onto the ground with an
    exponentially decaying speed (time constant 1.2 frames, as real shoes after the force
    plate's contact): the step model (no tail) puts T at the end of the tail, late; with settling
    times to try, the fit finds the kink. A plain step is still found with the tail allowed."""
    fine = np.arange(0.0, 20.0, 0.001)
    true = np.where(fine < 10.4, 1.5 + 0.6 * (10.4 - fine), 1.5 * np.exp(-(fine - 10.4) / 1.2)) + 0.05
    t = np.arange(3, 18, dtype=np.float64)
    speed = np.array([true[(fine >= k - 1) & (fine < k)].mean() for k in t])
    step_fit = fit_change(speed, t, 6, 15, before=True)
    tail_fit = fit_change(speed, t, 6, 15, before=True, taus=(0.0, 0.6, 1.2, 2.4))
    assert step_fit is not None and tail_fit is not None
    assert step_fit.frame > 11.0
    assert tail_fit.frame == pytest.approx(10.4, abs=0.15)
    t2 = np.arange(4, 18, dtype=np.float64)
    plain = np.clip(10.6 - (t2 - 1), 0, 1) * 2.0
    fit = fit_change(plain, t2, 6, 15, before=True, taus=(0.0, 0.6, 1.2, 2.4))
    assert fit is not None and fit.frame == pytest.approx(10.6, abs=0.06)


def test_line_speed_is_zero_at_a_pivot_on_the_sole() -> None:
    """A shoe turning about its toe: the slowest point of the sole line is still."""
    heel_v = np.array([[0.0, 3.0]])  # the heel rises while the toe stays
    across = np.array([[0.0, -3.0]])  # velocity change heel -> toe
    assert line_speed(heel_v, across)[0] == pytest.approx(0.0)
    assert line_speed(np.array([[2.0, 0.0]]), np.array([[0.0, 0.0]]))[0] == pytest.approx(2.0)


def test_foot_motion_round_trips_through_the_keypoints_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clip = make_block_clip(n=10)
    motion = _measure(clip)
    path = save_keypoints(tmp_path / "k.npz", clip.series, foot_motion=motion)
    back = load_foot_motion(path)
    assert back is not None and np.array_equal(back.values, motion.values, equal_nan=True)
    assert load_foot_motion(save_keypoints(tmp_path / "plain.npz", clip.series)) is None
    with pytest.raises(ValueError, match="foot motion"):
        FootMotion(values=np.zeros((3, 2, 4), np.float32))


def test_runner_motion_picks_the_runners_detection() -> None:
    """Two people per frame (a decoy first): the runner's foot motion comes from the detection
    whose feet are the runner's series', frame by frame."""
    clip = make_block_clip(n=12)
    alone = _measure(clip)
    obs = FootMotionObserver(clip.series.keypoints)
    decoy = clip.series.xy + np.array([0.0, -150.0])
    for i, img in enumerate(clip.frames):
        kp = np.stack([decoy[i], clip.series.xy[i]])
        obs(Frame(i, float(clip.series.t_s[i]), img), kp, np.repeat(clip.series.score[i][None], 2, axis=0))
    got = obs.runner_motion(clip.series)
    assert np.array_equal(got.values, alone.values, equal_nan=True)
    assert np.isfinite(got.values[1:, 1, :]).all()


def test_follow_foot_crosses_a_label_swap() -> None:
    """The stance foot rides the ground (-2 px/frame); the model swaps the feet' labels in
    frames 12-14: the stance foot is followed to the other label there, and back."""
    from formcam.analysis.events_flow_speed import follow_foot

    clip = make_block_clip(n=20)
    s = clip.series
    xy = s.xy.copy()
    n = s.n_frames
    t = np.arange(n, dtype=np.float64)
    stance = np.stack([200.0 - 2.0 * t, np.full(n, 170.0)], axis=1)
    swing = np.stack([100.0 + 6.0 * t, np.full(n, 120.0)], axis=1)
    for name, off in (("heel", 0.0), ("foot_index", 48.0)):
        xy[:, s.index(f"right_{name}")] = stance + np.array([off, 0.0])
        xy[:, s.index(f"left_{name}")] = swing + np.array([off, 0.0])
    for k in (12, 13, 14):
        for name in ("heel", "foot_index"):
            i, j = s.index(f"right_{name}"), s.index(f"left_{name}")
            xy[k, [i, j]] = xy[k, [j, i]]
    got = follow_foot(replace(s, xy=xy), 1, 6, np.tile([-2.0, 0.0], (n, 1)))
    assert got.tolist() == [1] * 12 + [0] * 3 + [1] * 5


def test_a_contact_timed_by_the_motion_is_no_longer_a_rough_one() -> None:
    """A fore-aft (rough) keypoint contact re-timed at both ends by the shoe's motion is a
    ``"flow"`` contact: its contact time is not withheld as approximate."""
    clip = make_block_clip()
    ev = _events(clip)
    rough = replace(ev, contacts=(replace(ev.contacts[0], method="fore-aft"),))
    got = flow_events(rough, clip.series, _measure(clip), leg_px=LEG_PX).contacts[0]
    assert got.method == FLOW
    hidden = flow_events(rough, clip.series, _measure(make_block_clip(occlude=(6, 19))), leg_px=LEG_PX)
    assert hidden.contacts[0].method == "fore-aft"


@pytest.mark.parametrize(("ic", "to"), [(10.3, 17.8), (10.7, 18.2), (11.0, 18.6)])
def test_30fps_contact_with_early_keypoint_events_is_still_timed(ic: float, to: float) -> None:
    """At 30 fps a 250 ms stance is 7.5 frames and the pose model's keypoint events come ~2
    frames early (phantom through the model): the window up to their mid-stance holds too few
    frames, so the fit takes the stance up to the keypoint toe-off, and finds both events."""
    from formcam.analysis.events_flow import FlowSettings, _fit_event

    def speed(n: int, swing: float = 2.5, floor: float = 0.1) -> np.ndarray:
        """Mean contact speed over each interval (i-1, i): ``floor`` in stance, ``swing`` out."""
        st = np.clip(np.minimum(np.arange(n), to) - np.maximum(np.arange(n) - 1.0, ic), 0.0, 1.0)
        return np.asarray(floor * st + swing * (1.0 - st), dtype=np.float64)

    sp = speed(30)
    got_ic = _fit_event(sp, ic - 2.2, to - 1.5, 30.0, FlowSettings(), before=True)
    got_to = _fit_event(sp, to - 1.5, ic - 2.2, 30.0, FlowSettings(), before=False)
    assert got_ic is not None and abs(got_ic.frame - ic) <= 0.1
    assert got_to is not None and abs(got_to.frame - to) <= 0.1
