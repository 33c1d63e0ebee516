"""End to end on real video with the real pose model: keypoints, report, replay."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from formcam.cli import main
from formcam.options import AnalyzeOptions, frame_step
from formcam.pipeline import analyze_keypoints, analyze_video
from formcam.series import load_keypoints
from formcam.video.reader import iter_frames

REPORT_KEYS = {"formcam_version", "input", "view", "setting", "direction", "backend", "quality", "steps",
               "metrics", "cues"}


def test_real_clip_end_to_end_and_replay_gives_the_same_report(shared_video, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    video = shared_video("side_overground_03_lowres.mp4")
    assert main(["analyze", str(video), "--out", str(tmp_path / "v"), "-q"]) == 0
    report = json.loads((tmp_path / "v" / "report.json").read_text())
    assert report.keys() >= REPORT_KEYS
    inp = report["input"]
    assert (inp["width"], inp["height"], inp["frame_count"], inp["rotation_deg"]) == (480, 352, 47, 0)
    assert inp["sha256"].startswith("fb1de004")
    assert report["backend"] == {"name": "onnx", "model": "full"}  # the default runtime (issue 22)
    # the runner crosses the frame: she is in view for most, not all, of the 47 frames
    assert 0.5 < report["quality"]["runner_frames_fraction"] <= 1.0
    series = load_keypoints(tmp_path / "v" / "keypoints.npz")
    assert series.xy.shape == (47, 33, 2)
    hips = series.point("left_hip")
    seen = np.isfinite(hips).all(axis=1)
    assert np.all((hips[seen] > -50) & (hips[seen] < 500))
    # she runs left to right: hip x increases over the clip
    assert hips[seen][-1, 0] - hips[seen][0, 0] > 100

    assert main(["analyze", "--keypoints", str(tmp_path / "v" / "keypoints.npz"), "--out",
                 str(tmp_path / "r"), "-q"]) == 0
    replay = json.loads((tmp_path / "r" / "report.json").read_text())
    assert replay == report


@pytest.mark.slow
def test_coach_is_not_chosen_as_the_runner(shared_video, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    video = shared_video("side_treadmill_03_two_people.mp4")
    result = analyze_video(video, tmp_path, AnalyzeOptions(keypoints_only=True))
    hip_x = np.nanmedian(result.series.point("left_hip")[:, 0])
    assert hip_x < 750, "the coach stands at x ≈ 950; the runner's hips are at x ≈ 550-700"
    assert result.report["person"]["n_people"] >= 2
    assert result.report["quality"]["runner_frames_fraction"] > 0.8
    # the choice is stored with the keypoints, so a replay reports it unchanged
    other = analyze_keypoints(result.files["keypoints"], tmp_path / "replay")
    assert other.report["person"] == result.report["person"]


def test_sample_clip_end_to_end_and_replay(tmp_path: Path) -> None:
    """The shipped phantom clip: the runner is found everywhere and a replay reproduces the report."""
    video = Path(__file__).resolve().parents[1] / "sample_videos" / "side_phantom.mp4"
    result = analyze_video(video, tmp_path / "v")
    report = result.report
    assert report["quality"]["runner_frames_fraction"] >= 0.99
    assert report["view"] == "side"
    assert report["person"]["n_people"] == 1
    replay = analyze_keypoints(result.files["keypoints"], tmp_path / "r")
    assert replay.report == report
    assert json.loads((tmp_path / "r" / "report.json").read_text()) == json.loads(
        (tmp_path / "v" / "report.json").read_text())


@pytest.fixture(scope="module")
def clip_120fps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2.5 s, 480x270, 120 fps phantom runner (side view)."""
    from formcam.phantom import PhantomParams, render_phantom

    path = tmp_path_factory.mktemp("p120") / "phantom_120fps.mp4"
    render_phantom(path, PhantomParams(), view="side_right", fps=120, duration_s=2.5, width=480, height=270)
    return path


def test_max_fps_analyses_every_kth_frame_and_says_so(clip_120fps: Path, tmp_path: Path) -> None:
    assert main(["analyze", str(clip_120fps), "--out", str(tmp_path / "v"), "--max-fps", "60", "--no-video",
                 "-q"]) == 0
    series = load_keypoints(tmp_path / "v" / "keypoints.npz")
    all_t = np.array([f.t_s for f in iter_frames(clip_120fps)])
    assert series.fps == pytest.approx(60.0) and series.n_frames == len(all_t) // 2 == 150
    np.testing.assert_array_equal(series.t_s, all_t[::2])  # true timestamps of the kept frames
    report = json.loads((tmp_path / "v" / "report.json").read_text())
    assert report["settings"]["max_fps"] == 60.0
    assert report["input"]["fps"] == pytest.approx(120.0) and report["input"]["frame_count"] == 300
    q = report["quality"]
    assert (q["analysed_fps"], q["analysed_frame_count"], q["frame_step"]) == (60.0, 150, 2)
    assert q["frame_interval_ms"] == pytest.approx(16.667) and q["event_timing"].startswith("sub-frame")
    assert not [w for w in q["warnings"] if "below 60 fps" in w]
    assert "every 2nd frame (--max-fps 60): 150 of 300 frames at 60 fps" in (
        tmp_path / "v" / "report.html").read_text()
    assert all(0 <= s["contact_frame"] < 150 for s in report["steps"])
    # the keypoints file carries it all: a replay reproduces the report
    kp = tmp_path / "v" / "keypoints.npz"
    assert main(["analyze", "--keypoints", str(kp), "--out", str(tmp_path / "r"), "--no-video", "-q"]) == 0
    assert json.loads((tmp_path / "r" / "report.json").read_text()) == report


def test_max_fps_below_60_warns_once(clip_120fps: Path, tmp_path: Path) -> None:
    result = analyze_video(clip_120fps, tmp_path, AnalyzeOptions(max_fps=50, outputs=False))
    q = result.report["quality"]
    assert (q["frame_step"], q["analysed_fps"], result.series.n_frames) == (3, 40.0, 100)
    assert len([w for w in q["warnings"] if "below 60 fps" in w]) == 1
    assert frame_step(120.0, None) == frame_step(60.3, 60) == frame_step(120, 120) == 1
    assert (frame_step(119.88, 60), frame_step(240, 60), frame_step(240, 100)) == (2, 4, 3)


def test_auto_options_mean_decided_from_the_keypoints() -> None:
    from formcam.options import AnalyzeOptions

    auto = AnalyzeOptions(view="auto", setting="auto", direction="auto")
    assert (auto.view, auto.setting, auto.direction) == (None, None, None)
    assert auto == AnalyzeOptions()
    assert auto.analysis_settings()["view"] == "auto"
    assert AnalyzeOptions(view="rear", setting="treadmill").view == "rear"


def test_detector_interval_reaches_the_onnx_backend_and_is_refused_for_mediapipe() -> None:
    from formcam.errors import ConfigError
    from formcam.pose.backends import create_backend

    options = AnalyzeOptions(backend="onnx", detect_interval_s=0.5)
    backend = create_backend(options.backend, model=options.model, num_poses=options.num_poses,
                             detect_interval_s=options.detect_interval_s)
    assert backend.options.detect_interval_s == 0.5  # type: ignore[attr-defined]
    assert create_backend("onnx").options.detect_interval_s == 0.0  # type: ignore[attr-defined]
    for bad in (dict(backend="mediapipe", detect_interval_s=0.5),
                dict(backend="onnx", detect_interval_s=-1.0),
                dict(backend="onnx", detect_interval_s=float("nan"))):
        with pytest.raises(ConfigError, match="interval"):
            AnalyzeOptions(**bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="onnx backend only"):
        create_backend("mediapipe", detect_interval_s=0.5)
