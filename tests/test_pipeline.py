"""End to end on real video with the real pose model: keypoints, report, replay."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from formcam.cli import main
from formcam.pipeline import AnalyzeOptions, analyze_keypoints, analyze_video
from formcam.series import load_keypoints

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
    assert report["backend"] == {"name": "mediapipe", "model": "full"}
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
