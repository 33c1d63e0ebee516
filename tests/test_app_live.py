"""The Live tab's pieces without a browser: overlay angles, the privacy config, the recording lifecycle."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from formcam.app.live_overlay import draw_overlay, knee_flexion_deg, near_side, trunk_lean_deg
from formcam.app.live_processor import LiveProcessor


def test_knee_flexion_is_zero_straight_and_ninety_at_right_angle() -> None:
    hip, knee = np.array([100.0, 100.0]), np.array([100.0, 200.0])
    assert knee_flexion_deg(hip, knee, np.array([100.0, 300.0])) == pytest.approx(0.0, abs=1e-9)
    assert knee_flexion_deg(hip, knee, np.array([200.0, 200.0])) == pytest.approx(90.0)
    assert np.isnan(knee_flexion_deg(hip, hip, knee))


def test_trunk_lean_is_unsigned_angle_from_vertical_and_invariant_to_scale() -> None:
    xy = np.full((33, 2), np.nan)
    xy[[23, 24]] = [100.0, 300.0]
    xy[[11, 12]] = [100.0 + 100.0 * np.tan(np.radians(10)), 200.0]
    assert trunk_lean_deg(xy) == pytest.approx(10.0)
    assert trunk_lean_deg(xy * 3.0) == pytest.approx(10.0)
    mirrored = xy.copy()
    mirrored[:, 0] = 200.0 - mirrored[:, 0]
    assert trunk_lean_deg(mirrored) == pytest.approx(10.0)


def test_near_side_is_the_surer_side_and_overlay_draws_only_with_a_runner() -> None:
    score = np.zeros(33)
    score[[24, 26, 28]] = 0.9
    assert near_side(score) == "right"
    rgb = np.zeros((120, 160, 3), np.uint8)
    assert np.array_equal(draw_overlay(rgb, np.full((33, 2), np.nan), score), rgb)  # no runner: untouched
    xy = np.tile([80.0, 60.0], (33, 1)) + np.random.default_rng(0).uniform(-30, 30, (33, 2))
    assert draw_overlay(rgb, xy, score).any()
    assert not rgb.any()  # the input frame is not drawn on


def test_rtc_configuration_lists_no_stun_or_turn_server() -> None:
    pytest.importorskip("streamlit")
    from formcam.app.live_view import RTC_CONFIGURATION

    assert RTC_CONFIGURATION == {"iceServers": []}


def test_recording_keeps_every_frame_and_survives_the_stream_ending(tmp_path: Path) -> None:
    av = pytest.importorskip("av")
    proc = LiveProcessor()
    proc._track = lambda rgb, t: (np.full((33, 2), np.nan), np.zeros(33))  # type: ignore[method-assign]

    def frame(i: int) -> object:
        f = av.VideoFrame.from_ndarray(np.full((64, 96, 3), i, np.uint8), format="rgb24")
        f.pts, f.time_base = i * 3000, Fraction(1, 90000)
        return f

    assert proc.stop_recording() is None
    proc.start_recording(tmp_path / "rec.mp4")
    proc.process([frame(0)])
    proc.process([frame(1), frame(2), frame(3)])  # three queued: all recorded, pose on the newest only
    snap = proc.snapshot()
    assert snap.recording and snap.frames_recorded == 4
    assert snap.stats.offered == 4 and snap.stats.taken == 2
    proc.on_ended()  # the camera is lost: the recording so far is kept
    assert proc.has_recording and not proc.snapshot().recording
    path = proc.stop_recording()
    assert path == tmp_path / "rec.mp4" and path.stat().st_size > 0
    with av.open(str(path)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 4


def test_contact_marker_follows_the_true_stance_of_the_phantom() -> None:
    """Frame by frame, the foot marked on the ground is the one in stance (true keypoints)."""
    import json
    from pathlib import Path

    import numpy as np

    from formcam.app.live_overlay import ContactMarker, draw_overlay
    from formcam.series import load_keypoints

    samples = Path(__file__).resolve().parents[1] / "sample_videos"
    s = load_keypoints(samples / "side_phantom.truth.npz")
    events = json.loads((samples / "side_phantom.truth.json").read_text())["events"]
    marker = ContactMarker()
    agree: dict[str, list[bool]] = {"left": [], "right": []}
    for i in range(s.n_frames):
        on = marker.on_ground(s.xy[i], float(s.t_s[i]))
        if s.t_s[i] < 1.5:  # the floor needs a stride of history
            continue
        for side in agree:
            spans = zip(events[side]["ic_s"], events[side]["to_s"], strict=True)
            stance = any(a <= s.t_s[i] <= b for a, b in spans)
            agree[side].append(stance == (side in on))
    assert min(float(np.mean(v)) for v in agree.values()) >= 0.8
    img = draw_overlay(np.zeros((s.height, s.width, 3), np.uint8), s.xy[200], s.score[200], on)
    assert img.any()
