"""write_outputs on the shipped sample clips: report.html, frames.csv, plots, key frames, annotated.mp4.

The analysis comes from the clips' true keypoints (``*.truth.npz``, a formcam keypoints
file of the same video) so that the test is fast; the video is the real sample clip.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import re
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from formcam.analysis.core import analyze_series
from formcam.errors import ConfigError
from formcam.options import AnalyzeOptions
from formcam.phantom import PhantomParams, render_phantom
from formcam.pipeline import analyze_video, report_from_series
from formcam.report import setting_text
from formcam.report.outputs import analysed_fps, write_outputs
from formcam.series import load_keypoints
from formcam.video.reader import iter_frames

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
PNG = b"\x89PNG\r\n\x1a\n"
Side = tuple[dict[str, Path], dict[str, Any], Path]
# an override that makes the sample's 6° trunk lean a concern, so the report has a cue to show
RULES = """
[rules.trunk-lean]
watch = [1.0, 3.0]
concern = [0.0, 4.0]
"""


def _analysis(name: str) -> tuple[Any, dict[str, Any]]:
    kp = SAMPLES / f"{name}.truth.npz"
    series = load_keypoints(kp)
    meta = {"input": {"path": str(SAMPLES / f"{name}.mp4"), "sha256": "0" * 64, "fps": series.fps,
                      "frame_count": series.n_frames, "duration_s": series.n_frames / series.fps,
                      "width": series.width, "height": series.height, "rotation_deg": 0},
            "backend": {"name": "replay", "model": "truth"}}
    return analyze_series(series), report_from_series(series, meta, AnalyzeOptions())


@pytest.fixture(scope="module")
def side(tmp_path_factory: pytest.TempPathFactory) -> Side:
    out = tmp_path_factory.mktemp("side")
    rules = out / "rules.toml"
    rules.write_text(RULES)
    analysis, report = _analysis("side_phantom")
    calls: list[tuple[str, int, int]] = []
    files = write_outputs(analysis, report, out, video_path=SAMPLES / "side_phantom.mp4", rules=rules,
                          progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert calls and calls[-1][0] == "outputs" and any(c[0] == "render" for c in calls)
    return files, report, out


def test_cues_are_added_to_the_report(side: Side) -> None:
    _, report, _ = side
    lean = [c for c in report["cues"] if c["id"] == "trunk-lean"]
    assert lean and lean[0]["severity"] == "concern" and lean[0]["frames"]


def test_html_is_self_contained_with_cues_images_and_disclaimer(
        side: Side) -> None:
    files, report, out = side
    assert files["html"] == out / "report.html"
    text = files["html"].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert "<script" not in text.lower() and "<link" not in text.lower() and "@import" not in text
    assert text.count("data:image/png;base64,") >= 4
    assert "@media print" in text
    for cue in report["cues"]:
        assert html.escape(cue["message"]) in text
    assert "Run tall with a slight lean from the ankles" in text
    assert "not a diagnosis" in text and "bladder or bowel" in text and "numbness" in text
    assert f"formcam {report['formcam_version']}" in text
    assert "rules.toml" in text  # the settings name the rules used


def test_frames_csv_has_units_and_one_row_per_frame(side: Side) -> None:
    files, report, _ = side
    with open(files["frames_csv"], newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    assert header[:2] == ["frame", "t_s"] and header[-1] == "event"
    for col in ("trunk_lean_deg", "knee_flexion_left_deg", "knee_flexion_right_deg", "hip_mid_x_px",
                "hip_mid_y_px", "hip_mid_height_cm", "pelvis_obliquity_deg"):
        assert col in header
    assert all(c in ("frame", "event") or re.search(r"_(deg|px|cm|s)$|^stance_", c) for c in header)
    assert len(rows) - 1 == report["input"]["frame_count"] == 480
    events = [r[-1] for r in rows[1:] if r[-1]]
    first = report["steps"][0]
    assert f"IC_{first['side'][0].upper()}" in rows[1 + first["contact_frame"]][-1]
    assert any("TO_" in e for e in events)
    assert rows[1][header.index("pelvis_obliquity_deg")] == ""  # frontal angle: not in a side view
    assert float(rows[100][header.index("trunk_lean_deg")]) == pytest.approx(6.0, abs=0.5)


def test_annotated_video_is_browser_playable_h264(side: Side) -> None:
    files, report, out = side
    assert files["video"] == out / "annotated.mp4"
    with av.open(str(files["video"])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == (960, 540)
        n = sum(1 for _ in container.decode(stream))
    assert n == report["input"]["frame_count"] == 480


def test_key_frames_and_plots_exist(side: Side) -> None:
    files, _, out = side
    names = {k.removeprefix("keyframe_") for k in files if k.startswith("keyframe_")}
    assert {"contact_left_typical", "contact_left_worst", "contact_right_typical", "contact_right_worst",
            "cue_trunk-lean"} <= names
    for key, path in files.items():
        if key.startswith(("keyframe_", "plot_")):
            assert path.is_file() and path.read_bytes()[:8] == PNG, key
    assert files["keyframe_contact_left_worst"].parent == out / "keyframes"
    assert {"plot_timeseries", "plot_left_right"} <= files.keys()


def test_rear_view_without_video_file_and_keypoints_only(tmp_path: Path) -> None:
    analysis, report = _analysis("rear_phantom")
    files = write_outputs(analysis, report, tmp_path / "a", video_path=SAMPLES / "rear_phantom.mp4",
                          video=False)
    assert "video" not in files and not (tmp_path / "a" / "annotated.mp4").exists()
    assert {"keyframe_midstance_left_typical", "keyframe_peak_pelvic_drop_right"} <= files.keys()
    header = files["frames_csv"].read_text().splitlines()[0].split(",")
    assert "pelvis_obliquity_deg" in header and "hip_mid_lateral_cm" in header
    # a replay without the video: key frames are drawn on a plain background
    files = write_outputs(analysis, dict(report), tmp_path / "b", video_path=None)
    assert "video" not in files and any(k.startswith("keyframe_") for k in files)
    # no analysis (--keypoints-only): only the HTML
    bare = {**report, "view": None, "steps": [], "metrics": {},
            "input": {**report["input"], "path": "<img src=x onerror=alert(1)>.mp4"}}
    files = write_outputs(None, bare, tmp_path / "c", video_path=None)
    assert set(files) == {"html"} and bare["cues"] == []
    text = files["html"].read_text(encoding="utf-8")
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;.mp4" in text


def test_bad_rules_file_fails_before_writing(tmp_path: Path) -> None:
    analysis, report = _analysis("rear_phantom")
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules.pelvic-drop]\nwatch = 'x'\n")
    with pytest.raises(ConfigError, match="rule 'pelvic-drop': expected watch"):
        write_outputs(analysis, report, tmp_path / "o", video_path=None, rules=bad)
    assert not (tmp_path / "o" / "report.html").exists()


@pytest.mark.slow
def test_real_pipeline_on_a_phantom_with_excessive_trunk_lean(tmp_path: Path) -> None:
    """Pose model end to end: a 22° forward lean is a concern cue in report and HTML."""
    video = tmp_path / "lean.mp4"
    render_phantom(video, dataclasses.replace(PhantomParams(), trunk_lean_deg=22.0), view="side_right",
                   fps=60, duration_s=6, width=640, height=360)
    result = analyze_video(video, tmp_path / "out")
    files = write_outputs(analyze_series(result.series), result.report, tmp_path / "out",
                          video_path=video, video=False)
    lean = [c for c in result.report["cues"] if c["id"] == "trunk-lean"]
    assert lean and lean[0]["severity"] == "concern"
    assert "Run tall" in files["html"].read_text(encoding="utf-8")


@pytest.mark.slow
def test_real_pipeline_on_a_fault_free_phantom_raises_no_cue(tmp_path: Path) -> None:
    """Pose model end to end: a runner with typical form gets no watch or concern cue."""
    video = tmp_path / "typical.mp4"
    render_phantom(video, PhantomParams(), view="side_right", fps=60, duration_s=6, width=960, height=540)
    result = analyze_video(video, tmp_path / "out", AnalyzeOptions(height_cm=175.0, render_video=False))
    raised = [(c["id"], c["severity"]) for c in result.report["cues"]
              if c["severity"] in ("watch", "concern")]
    assert raised == []


def test_key_frame_pictures_are_the_analysed_video_frames() -> None:
    from formcam.report.keyframes import _keyframe_images
    from formcam.report.render import draw_context

    analysis, report = _analysis("side_phantom")
    video = SAMPLES / "side_phantom.mp4"
    frames = list(iter_frames(video, max_frames=80))
    got = _keyframe_images(video, draw_context(analysis, report, 0.2), {79, 5, 42})
    assert sorted(got) == [5, 42, 79]
    assert all(np.array_equal(got[i], frames[i].image) for i in (5, 42, 79))


def test_cues_use_the_analysed_frame_rate() -> None:
    assert analysed_fps({"input": {"fps": 120.0}, "quality": {"analysed_fps": 40.0}}) == 40.0
    assert analysed_fps({"input": {"fps": 120.0}, "quality": {}}) == 120.0
    assert analysed_fps({}) is None


def test_stance_shading_marks_every_step_without_changing_the_y_limits() -> None:
    from matplotlib.figure import Figure

    from formcam.report.plots import _stances

    ax = Figure().subplots()
    ax.plot([0.0, 2.0], [10.0, 20.0])
    ylim = ax.get_ylim()
    steps = [{"side": "left", "contact_s": 0.1, "toe_off_s": 0.35},
             {"side": "right", "contact_s": 0.45, "toe_off_s": 0.7},
             {"side": "left", "contact_s": 0.8, "toe_off_s": None},
             {"side": "left", "contact_s": None}]
    _stances(ax, steps)
    polys = [c for c in ax.collections if type(c).__name__ == "PolyCollection"]
    lines = [c for c in ax.collections if type(c).__name__ == "LineCollection"]
    assert sum(len(c.get_paths()) for c in polys) == 2  # one shaded stance per step with a toe-off
    assert sum(len(c.get_segments()) for c in lines) == 3 + 2  # contacts + toe-offs
    starts = sorted(round(float(p.vertices[:, 0].min()), 3) for c in polys for p in c.get_paths())
    assert starts == [0.1, 0.45]
    assert ax.get_ylim() == ylim


def test_a_runner_in_place_is_shown_as_treadmill_or_a_following_camera() -> None:
    auto = {"setting": "treadmill", "quality": {"decisions": {"setting": {"source": "auto"}}}}
    assert setting_text(auto).startswith("treadmill (or a camera following the runner")
    given = {"setting": "treadmill", "quality": {"decisions": {"setting": {"source": "user"}}}}
    assert setting_text(given) == "treadmill"
    assert setting_text({"setting": "overground"}) == "overground"
