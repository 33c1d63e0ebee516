"""Tests of formcam.phantom: exact kinematics, events, video file, determinism, detection (slow)."""

from __future__ import annotations

import argparse
import itertools
import json
import math
from pathlib import Path

import av
import numpy as np
import pytest

from formcam.phantom import PhantomClip, PhantomParams, PhantomRunner, render_phantom
from formcam.phantom.cli import add_parser
from formcam.phantom.skeleton import RunnerPose
from formcam.phantom.swing import SINK_SPEED_MPS, SINK_TIME_S
from formcam.series import BLAZEPOSE_KEYPOINTS, load_keypoints

PARAMS = PhantomParams(
    cadence_spm=172.0,
    contact_time_ms=240.0,
    speed_mps=3.2,
    trunk_lean_deg=9.0,
    overstride_cm=13.0,
    knee_flexion_ic_deg=17.0,
    hip_extension_deg=13.0,
    vertical_oscillation_cm=7.0,
    pelvic_drop_deg=6.5,
    pelvic_sway_cm=4.0,
    lateral_trunk_lean_deg=3.0,
    foot_strike_angle_deg=11.0,
    height_cm=182.0,
    setting="overground",
    first_contact_s=0.05,
)


def _deg(x: float) -> float:
    return math.degrees(x)


def _at(runner: PhantomRunner, t: float) -> RunnerPose:
    return runner.pose([t])


def _p(pose: RunnerPose, name: str) -> np.ndarray:
    return pose.joint(name)[0]


@pytest.fixture(scope="module")
def runner() -> PhantomRunner:
    return PhantomRunner(PARAMS)


@pytest.mark.parametrize("side", ["left", "right"])
def test_contact_values_are_exact(runner: PhantomRunner, side: str) -> None:
    """Re-measure overstride, knee flexion, foot strike angle at IC from the 3D joints."""
    t_ic = runner.first_ic_s[side] + 2 * PARAMS.stride_s
    pose = _at(runner, t_ic)
    heel, toe = _p(pose, f"{side}_heel"), _p(pose, f"{side}_foot_index")
    hip, knee, ankle = _p(pose, f"{side}_hip"), _p(pose, f"{side}_knee"), _p(pose, f"{side}_ankle")
    assert (heel[0] - _p(pose, "mid_hip")[0]) * 100 == pytest.approx(PARAMS.overstride_cm, abs=1e-6)
    thigh, shank = (knee - hip)[[0, 2]], (ankle - knee)[[0, 2]]  # sagittal (x, z) projection
    cos_k = thigh @ shank / np.linalg.norm(thigh) / np.linalg.norm(shank)
    assert _deg(math.acos(cos_k)) == pytest.approx(PARAMS.knee_flexion_ic_deg, abs=1e-6)
    assert _deg(math.atan2(toe[2] - heel[2], toe[0] - heel[0])) == pytest.approx(
        PARAMS.foot_strike_angle_deg, abs=1e-6
    )
    assert heel[2] == pytest.approx(0.0, abs=1e-9)  # heel strike: the heel touches the ground
    before = _at(runner, t_ic - 0.004)
    assert min(_p(before, f"{side}_heel")[2], _p(before, f"{side}_foot_index")[2]) > 0.0


def test_hip_extension_peaks_at_toe_off(runner: PhantomRunner) -> None:
    t0 = runner.first_ic_s["right"]
    t = np.linspace(t0, t0 + PARAMS.stride_s, 4001)
    pose = runner.pose(t)
    d = pose.joint("right_knee") - pose.joint("right_hip")
    theta = np.degrees(np.arctan2(-d[:, 0], -d[:, 2]))  # thigh angle behind vertical, sagittal
    assert theta.max() == pytest.approx(PARAMS.hip_extension_deg, abs=1e-4)
    to = t0 + PARAMS.contact_s
    assert np.interp(to, t, theta) == pytest.approx(PARAMS.hip_extension_deg, abs=1e-6)
    assert abs(t[theta.argmax()] - to) < 0.35 * PARAMS.contact_s
    after = _at(runner, to + 0.004)
    assert min(_p(after, "right_heel")[2], _p(after, "right_foot_index")[2]) > 0.0


def test_pelvis_and_trunk_values_are_exact(runner: PhantomRunner) -> None:
    t0 = runner.first_ic_s["right"]
    t = np.linspace(t0, t0 + PARAMS.stride_s, 20001)
    pose = runner.pose(t)
    mid = pose.joint("mid_hip")
    assert (mid[:, 2].max() - mid[:, 2].min()) * 100 == pytest.approx(
        PARAMS.vertical_oscillation_cm, abs=1e-4
    )
    assert (mid[:, 1].max() - mid[:, 1].min()) * 100 == pytest.approx(PARAMS.pelvic_sway_cm, abs=1e-4)
    trunk = pose.joint("mid_shoulder") - mid
    assert np.degrees(np.arctan2(trunk[:, 0], trunk[:, 2])) == pytest.approx(PARAMS.trunk_lean_deg, abs=1e-9)
    for stance, swing, sign in (("right", "left", -1.0), ("left", "right", 1.0)):
        ms = _at(runner, runner.first_ic_s[stance] + PARAMS.contact_s / 2)
        s_hip, w_hip = _p(ms, f"{stance}_hip"), _p(ms, f"{swing}_hip")
        drop = _deg(math.atan2(s_hip[2] - w_hip[2], abs(s_hip[1] - w_hip[1])))
        assert drop == pytest.approx(PARAMS.pelvic_drop_deg, abs=1e-9)
        tr = _p(ms, "mid_shoulder") - _p(ms, "mid_hip")
        lean = _deg(math.atan2(sign * tr[1], tr[2]))  # toward the stance side
        assert lean == pytest.approx(PARAMS.lateral_trunk_lean_deg, abs=1e-9)


def test_stance_foot_is_planted_and_on_the_ground(runner: PhantomRunner) -> None:
    t0 = runner.first_ic_s["left"]
    t = np.linspace(t0, t0 + PARAMS.contact_s, 200)
    pose = runner.pose(t)
    lowest = np.minimum(pose.joint("left_heel")[:, 2], pose.joint("left_foot_index")[:, 2])
    assert np.abs(lowest).max() < 1e-9  # the sole stays on the ground; its midsole compresses:
    ankle_z = pose.joint("left_ankle")[:, 2] - lowest  # the ankle sinks by up to the settling depth
    early = t < t0 + 0.1 * PARAMS.contact_s
    assert ankle_z[early].min() < ankle_z[0] - 0.5 * SINK_SPEED_MPS * SINK_TIME_S
    late = t > t0 + 0.9 * PARAMS.contact_s  # rolling over the toe: the toe tip stays put (overground)
    assert np.ptp(pose.joint("left_foot_index")[late, 0]) < 1e-6  # the slide after IC has died out
    lengths = np.linalg.norm(pose.joint("left_knee") - pose.joint("left_hip"), axis=1)
    assert np.abs(lengths - runner.body.thigh_m).max() < 0.002


@pytest.mark.parametrize("changes", [{}, {"overstride_cm": 24.0, "knee_flexion_ic_deg": 10.0},
                                     {"cadence_spm": 152.0, "contact_time_ms": 280.0, "speed_mps": 2.8}])
def test_heel_lands_without_sliding(changes: dict[str, float]) -> None:
    """Just before IC the heel moves forward relative to the ground at well under running
    speed (real shoes, mocap markers: about 0.4 of the belt speed at the force plate's contact,
    slowing to rest over ~30 ms); a phantom landing at full speed is not a runner."""
    p = PhantomParams(**{**PARAMS.__dict__, "setting": "overground", **changes})
    r = PhantomRunner(p)
    t_ic = r.first_ic_s["left"] + p.stride_s
    heel_x = r.pose([t_ic - 0.004, t_ic - 0.001]).joint("left_heel")[:, 0]
    speed = (heel_x[1] - heel_x[0]) / 0.003  # overground: relative to the ground
    assert 0.0 <= speed < 0.45 * p.speed_mps


def test_events_alternate_and_match_contact_time() -> None:
    clip = PhantomClip(PARAMS, view="side_right", fps=120.0, duration_s=3.0, width=160, height=120)
    truth = clip.truth()
    ev = truth["events"]
    merged = sorted([(t, s) for s in ("left", "right") for t in ev[s]["ic_s"]])
    assert len(merged) >= 8
    assert all(a[1] != b[1] for a, b in itertools.pairwise(merged))
    step = np.diff([t for t, _ in merged])
    assert step == pytest.approx(60.0 / PARAMS.cadence_spm, abs=1e-6)
    for side in ("left", "right"):
        for ic_s, ic_f in zip(ev[side]["ic_s"], ev[side]["ic_frames"], strict=True):
            assert ic_f == math.ceil(ic_s * 120.0 - 1e-9)
        pairs = [(i, o) for i in ev[side]["ic_s"] for o in ev[side]["to_s"] if 0 < o - i < 0.5]
        assert pairs and all(o - i == pytest.approx(PARAMS.contact_s) for i, o in pairs)
    assert truth["metrics"]["overstride_cm"] == PARAMS.overstride_cm
    assert truth["metrics"]["cadence_spm"] == PARAMS.cadence_spm


@pytest.mark.parametrize(
    "kwargs",
    [{"overstride_cm": 200.0}, {"contact_time_ms": 400.0}, {"setting": "moon"}, {"hip_extension_deg": -8.0}],
)
def test_impossible_params_raise(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="PhantomParams"):
        PhantomRunner(PhantomParams(**kwargs))  # type: ignore[arg-type]


def test_video_is_h264_and_truth_files_load(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    record = render_phantom(
        out, PhantomParams(), view="rear", fps=30, duration_s=1.0, width=176, height=320, noise_sigma=2.0
    )
    with av.open(str(out)) as c:
        stream = c.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 30 == record["frame_count"]
    assert frames[0].shape == (320, 176, 3)
    truth = json.loads((tmp_path / "clip.truth.json").read_text())
    assert truth["view"] == "rear" and truth["params"]["cadence_spm"] == 170.0
    series = load_keypoints(tmp_path / "clip.truth.npz")
    assert series.xy.shape == (30, len(BLAZEPOSE_KEYPOINTS), 2)
    hips = series.point("left_hip")
    assert np.all((hips[:, 0] > 0) & (hips[:, 0] < 176) & (hips[:, 1] > 0) & (hips[:, 1] < 320))
    # Rear view: the runner's left is on the image left.
    assert np.all(series.point("left_hip")[:, 0] < series.point("right_hip")[:, 0])


def test_rendering_is_deterministic() -> None:
    def first(seed: int) -> np.ndarray:
        clip = PhantomClip(
            PhantomParams(),
            view="side_left",
            fps=60,
            duration_s=0.5,
            width=320,
            height=180,
            noise_sigma=3.0,
            motion_blur=True,
            seed=seed,
        )
        return clip.frame(0)

    a, b, c = first(1), first(1), first(2)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_side_view_faces_the_right_way() -> None:
    for view, sign in (("side_right", 1.0), ("side_left", -1.0)):
        clip = PhantomClip(PhantomParams(), view=view, fps=30, duration_s=0.5, width=320, height=180)
        xy, _ = clip.keypoints()
        nose_ahead = (
            xy[:, BLAZEPOSE_KEYPOINTS.index("nose"), 0] - xy[:, BLAZEPOSE_KEYPOINTS.index("left_ear"), 0]
        )
        assert np.all(sign * nose_ahead > 0)


def test_cli_renders(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "cli.mp4"
    args = parser.parse_args(
        [
            "phantom",
            str(out),
            "--fps",
            "24",
            "--duration",
            "0.5",
            "--width",
            "160",
            "--height",
            "96",
            "--cadence",
            "180",
            "--overstride-cm",
            "5",
        ]
    )
    assert args.func(args) == 0
    truth = json.loads((tmp_path / "cli.truth.json").read_text())
    assert truth["metrics"]["cadence_spm"] == 180.0 and truth["metrics"]["overstride_cm"] == 5.0


@pytest.mark.slow
@pytest.mark.parametrize(("view", "size"), [("side_right", (640, 360)), ("rear", (360, 640))])
def test_mediapipe_detects_the_phantom(tmp_path: Path, view: str, size: tuple[int, int]) -> None:
    from formcam.pose.backends.mediapipe import MediaPipeBackend, MediaPipeOptions

    fps = 60.0
    out = tmp_path / f"{view}.mp4"
    render_phantom(out, PhantomParams(), view=view, fps=fps, duration_s=2.0, width=size[0], height=size[1])
    truth = load_keypoints(tmp_path / f"{view}.truth.npz").xy
    hips = [BLAZEPOSE_KEYPOINTS.index(n) for n in ("left_hip", "right_hip")]
    found, errors = 0, []
    with av.open(str(out)) as c, MediaPipeBackend(MediaPipeOptions(model="full")) as backend:
        for i, frame in enumerate(c.decode(video=0)):
            pose = backend(frame.to_ndarray(format="rgb24"), i / fps)
            if pose.keypoints.shape[0]:
                found += 1
                mid = pose.keypoints[:, hips].mean(axis=1)
                errors.append(np.linalg.norm(mid - truth[i, hips].mean(axis=0), axis=1).min())
    assert found >= 0.99 * truth.shape[0]
    runner_px = 0.68 * size[1]
    assert np.median(errors) < 0.04 * runner_px  # hip midpoint within ~7 cm of the true one


@pytest.mark.parametrize("pattern", ["rearfoot", "midfoot", "forefoot"])
def test_strike_patterns_land_the_right_part_of_the_foot_first(pattern: str) -> None:
    """Rearfoot: heel first, toes up; midfoot: flat sole; forefoot: toe tip first, toes down,
    heel lowered at the truth's foot-flat time. Angle, overstride and knee at IC stay exact."""
    from formcam.phantom import STRIKE_ANGLES_DEG
    from formcam.phantom.truth import foot_truth

    p = PhantomParams(**{**PARAMS.__dict__, "foot_strike_angle_deg": STRIKE_ANGLES_DEG[pattern]})
    r = PhantomRunner(p)
    assert p.strike_pattern == pattern
    feet = foot_truth(r)
    side = "right"
    t_ic = r.first_ic_s[side] + p.stride_s
    pose = _at(r, t_ic)
    heel, toe = _p(pose, f"{side}_heel"), _p(pose, f"{side}_foot_index")
    assert min(heel[2], toe[2]) == pytest.approx(0.0, abs=1e-9)
    first = {n for n, z in (("heel", heel[2]), ("toe", toe[2])) if abs(z) < 1e-9}
    assert " and ".join(sorted(first)) == feet["first_contact"]
    angle = _deg(math.atan2(toe[2] - heel[2], toe[0] - heel[0]))
    assert angle == pytest.approx(p.foot_strike_angle_deg, abs=1e-6)
    assert (heel[0] - _p(pose, "mid_hip")[0]) * 100 == pytest.approx(p.overstride_cm, abs=1e-6)
    hip, knee, ankle = _p(pose, f"{side}_hip"), _p(pose, f"{side}_knee"), _p(pose, f"{side}_ankle")
    thigh, shank = (knee - hip)[[0, 2]], (ankle - knee)[[0, 2]]
    cos_k = thigh @ shank / np.linalg.norm(thigh) / np.linalg.norm(shank)
    assert _deg(math.acos(cos_k)) == pytest.approx(p.knee_flexion_ic_deg, abs=1e-6)
    before = _at(r, t_ic - 0.002)
    assert min(_p(before, f"{side}_heel")[2], _p(before, f"{side}_foot_index")[2]) > 0.0
    flat_s = feet["foot_flat_ms"] / 1000.0
    later = r.pose(t_ic + np.array([0.5 * flat_s, flat_s, 0.5 * (flat_s + feet["heel_off_ms"] / 1000.0)]))
    heel_z, toe_z = later.joint(f"{side}_heel")[:, 2], later.joint(f"{side}_foot_index")[:, 2]
    assert np.abs(heel_z[1:]).max() < 1e-9 and np.abs(toe_z[1:]).max() < 1e-9  # flat from foot-flat on
    if pattern == "forefoot":
        assert heel_z[0] > 1e-3 and abs(toe_z[0]) < 1e-9  # the heel is still lowering
    if pattern == "rearfoot":
        assert toe_z[0] > 1e-3 and abs(heel_z[0]) < 1e-9


def test_cli_strike_preset_sets_the_angle_and_refuses_a_contradiction() -> None:
    from formcam.phantom.cli import params_from_args

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["phantom", "x.mp4", "--strike", "forefoot"])
    assert params_from_args(args).foot_strike_angle_deg < 0
    args = parser.parse_args(["phantom", "x.mp4", "--strike", "forefoot", "--foot-strike-angle-deg", "-4"])
    assert params_from_args(args).foot_strike_angle_deg == -4.0
    args = parser.parse_args(["phantom", "x.mp4", "--strike", "midfoot", "--foot-strike-angle-deg", "12"])
    with pytest.raises(ValueError, match="contradicts"):
        params_from_args(args)
