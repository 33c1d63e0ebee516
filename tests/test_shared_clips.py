"""Rather no result than a bad result, on real clips (issue 21): a small distant runner is found,
and no shown value lies outside what running bodies do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from formcam.analysis.plausibility import load_plausibility
from formcam.pipeline import AnalyzeOptions, analyze_keypoints, analyze_video
from tests.conftest import SHARED_VIDEOS

KEYPOINTS = Path(__file__).parent / "data" / "keypoints"


def _shown_values_are_plausible(report: dict[str, Any]) -> None:
    rules = load_plausibility()
    sprint = report.get("setting") == "overground" and (
        report["metrics"].get("cadence_spm", {}).get("value") or 0) > 200
    for name, m in report["metrics"].items():
        if not m["available"]:
            assert m["reason"], name
            continue
        r = rules.ranges.get(name)
        if r is not None:
            low, high = (r.sprint_low, r.sprint_high) if sprint else (r.low, r.high)
            assert low <= m["value"] <= high, (name, m["value"])
            assert m["n_steps"] >= rules.min_steps, name


@pytest.mark.parametrize("clip", sorted(p.stem for p in KEYPOINTS.glob("*.npz")))
def test_committed_real_keypoints_show_only_plausible_values(clip: str, tmp_path: Path) -> None:
    report = analyze_keypoints(KEYPOINTS / f"{clip}.npz", tmp_path, AnalyzeOptions(outputs=False)).report
    _shown_values_are_plausible(report)


def test_small_far_sprinter_is_found_by_zooming_in(shared_video, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """1680x720, the sprinter 10-15 % of the frame height: the full-frame detector finds nobody usable."""
    video = shared_video("side_overground_07_far_sprint.mp4")
    report = analyze_video(video, tmp_path, AnalyzeOptions(outputs=False)).report
    assert report["quality"]["runner_frames_fraction"] > 0.8
    assert any("small in the frame" in w for w in report["quality"]["warnings"])
    assert len(report["steps"]) >= 4 and report["view"] == "side"
    _shown_values_are_plausible(report)


@pytest.mark.slow
@pytest.mark.parametrize("clip", sorted(p.name for p in SHARED_VIDEOS.glob("*.mp4")) or ["(none)"])
def test_every_shared_clip_shows_only_plausible_values(clip: str, shared_video, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = analyze_video(shared_video(clip), tmp_path, AnalyzeOptions(outputs=False)).report
    _shown_values_are_plausible(report)
