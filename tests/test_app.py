"""The Streamlit app: page logic with ``AppTest`` (no browser) and its Streamlit-free modules.

The sample test runs the real pose model on the 8 s side-view phantom (~10 s);
everything else is fast.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from formcam.app import catalog
from formcam.app.compare import NO_SDD, NOISE, NOT_COMPARABLE, REAL, classify, compare_reports, load_report
from formcam.app.launch import add_parser, command
from formcam.app.paths import app_script, sample_videos
from formcam.app.people import candidate_thumbnails, crop_box
from formcam.app.processing import (
    GENERIC_ERROR,
    ThrottledProgress,
    guarded,
    handle_upload,
    options_for,
    safe_name,
)
from formcam.app.state import Entry, ResultCache, Settings, Workspace, cache_key
from formcam.errors import FormcamError, InputError, VideoError
from tests.videotools import noise_frames, write_clip


@pytest.fixture(autouse=True)
def _restore_main_module():  # type: ignore[no-untyped-def]
    """AppTest leaves ``sys.modules['__main__']`` pointing at app.py; multiprocessing's spawn
    start method would then re-run the app in every worker of later tests (formcam batch)."""
    import sys

    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
SIDE = ROOT / "sample_videos" / "side_phantom.mp4"


def new_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


# ---------------------------------------------------------------- page (AppTest)


def test_page_renders_with_privacy_note_and_samples() -> None:
    at = new_app()
    assert at.title[0].value == "formcam"
    assert "never leaves this machine" in texts(at.info)
    labels = [b.label for b in at.button]
    assert "Try the side-view sample" in labels and "Try the rear-view sample" in labels
    assert "500 MB" in at.file_uploader[0].label
    assert [t.label for t in at.tabs] == ["Analyse", "Live", "Compare"]
    # AppTest has no Streamlit server, so no WebRTC session: the Live tab says so, no traceback
    assert not at.exception, at.exception
    assert "The live stream cannot start in this session" in texts(at.warning)
    at.session_state["workspace"].cleanup()


@pytest.mark.skipif(not SIDE.is_file(), reason="sample_videos/side_phantom.mp4 is absent")
def test_side_sample_gives_results_cached_and_comparable(tmp_path: Path) -> None:
    at = new_app()
    at.button(key="sample_side").click().run()
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    assert "Results" in texts(at.header)
    cards = {m.label: m.value for m in at.metric}
    assert "Cadence (steps/min)" in cards and float(cards["Cadence (steps/min)"]) > 100
    assert cards["Trunk lean"].endswith("°")
    assert "Downloads" in texts(at.subheader)
    cache: ResultCache = at.session_state["cache"]
    assert len(cache) == 1
    (entry,) = [cache.get(k) for k in list(cache._entries)]
    assert entry is not None and entry.how == "pose"

    # A display option does not re-run anything.
    signals = at.selectbox(key="plot_signal")
    signals.set_value(signals.options[1]).run()
    assert not at.exception and len(cache) == 1

    # An analysis-only setting re-analyses the cached keypoints, without the pose model.
    if not at.sidebar.checkbox(key="set_render").disabled:
        at.sidebar.checkbox(key="set_render").uncheck().run()
    at.sidebar.number_input(key="set_height").set_value(185.0).run()
    assert not at.exception, at.exception
    hows = sorted(e.how for e in cache._entries.values())
    assert "replay" in hows

    # Compare: after = the current analysis, before = an uploaded report with a bigger knee angle.
    before = json.loads(entry.files["report"].read_text())
    before["metrics"]["knee_flexion_ic_deg"]["value"] += 10.0
    at.radio(key="cmp_before_mode").set_value("Upload a report.json").run()
    at.file_uploader(key="cmp_before_file").upload("before.json", json.dumps(before).encode(),
                                                   "application/json").run()
    assert not at.exception, at.exception
    assert "Knee flexion at contact" in texts(at.success)
    assert len(at.dataframe) == 1

    root = at.session_state["workspace"].root
    assert root.is_dir()
    at.sidebar.button(key="clear").click().run()
    assert not root.exists()
    at.session_state["workspace"].cleanup()


def test_bad_upload_shows_one_line_error() -> None:
    at = new_app()
    at.file_uploader[0].upload("holiday_notes.mp4", b"this is not a video at all" * 10, "video/mp4").run()
    assert not at.exception, at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert "holiday_notes.mp4" in message and "Traceback" not in message
    ws: Workspace = at.session_state["workspace"]
    assert str(ws.root) not in message
    assert not any(p.is_file() for p in ws.root.rglob("*")), "the bad upload's copy was not deleted"
    assert not at.metric
    ws.cleanup()


def test_upload_without_a_runner_shows_error(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "empty_room.mp4", noise_frames(24, 120, 160), fps=24.0)
    at = new_app()
    at.file_uploader[0].upload("empty_room.mp4", clip.read_bytes(), "video/mp4").run()
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "empty_room.mp4" in at.error[0].value
    assert "person" in at.error[0].value.lower() or "runner" in at.error[0].value.lower()
    at.session_state["workspace"].cleanup()


def _people_page() -> None:
    from pathlib import Path

    import numpy as np

    from formcam.app.main import _people
    from formcam.app.people import png_bytes
    from formcam.app.state import Entry, Settings

    person = {"n_people": 2, "method": "auto", "chosen_track": 0,
              "candidates": [{"track": 0, "presence": 1.0}, {"track": 3, "presence": 0.4}]}
    thumb = png_bytes(np.zeros((40, 20, 3), np.uint8))
    _people(Entry(key="k", name="v.mp4", sha256="s", settings=Settings(), report={"person": person}, files={},
                  out_dir=Path("."), series=None, how="pose", elapsed_s=1.0,  # type: ignore[arg-type]
                  thumbnails=[thumb, None]))


def test_several_people_offer_a_runner_choice() -> None:
    at = AppTest.from_function(_people_page, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    assert "Who is the runner?" in texts(at.subheader)
    assert len(at.get("image")) == 1
    current, other = at.button(key="person_1"), at.button(key="person_2")
    assert current.disabled and current.label == "Current runner"
    other.click().run()
    assert at.session_state["person_rank"] == 2


def _outputs_page(out_dir: str) -> None:
    import json
    from pathlib import Path

    from formcam.app import views
    from formcam.app.state import Entry, Settings

    out = Path(out_dir)
    report = json.loads((out / "report.json").read_text())
    names = (("report", "report.json"), ("html", "report.html"), ("frames_csv", "frames.csv"),
             ("plot_timeseries", "frames.csv"),
             ("video", "annotated.mp4"), ("keypoints", "keypoints.npz"))
    files = {k: out / n for k, n in names}
    entry = Entry(key="k", name="v.mp4", sha256="s", settings=Settings(), report=report, files=files,
                  out_dir=out, series=None, how="pose", elapsed_s=1.0)  # type: ignore[arg-type]
    views.render_cues(report, out)
    views.render_media(entry)
    views.render_downloads(entry)
    views.render_disclaimer(report)


def test_results_use_the_outputs_stage_when_present(tmp_path: Path) -> None:
    from formcam.app.people import png_bytes

    (tmp_path / "keyframes").mkdir()
    import numpy as np

    (tmp_path / "keyframes" / "ic.png").write_bytes(png_bytes(np.full((20, 20, 3), 200, np.uint8)))
    write_clip(tmp_path / "annotated.mp4", noise_frames(4, 48, 64))
    for name in ("report.html", "frames.csv", "keypoints.npz"):
        (tmp_path / name).write_text("x")
    report = {
        "metrics": {"overstride_cm": {"value": 14.0, "unit": "cm"}},
        "cues": [{"id": "overstride", "severity": "concern", "metric": "overstride_cm", "value": 14.0,
                  "threshold": 10.0, "message": "Your foot lands far ahead of your hips",
                  "advice": "Take shorter, quicker steps", "frames": [31, 75], "basis": "Lieberman 2015"},
                 {"id": "cadence", "severity": "info", "message": "Cadence note", "frames": []}],
        "keyframes": [{"name": "ic", "frame": 31, "path": "keyframes/ic.png", "caption": "contact, left"},
                      {"name": "gone", "frame": 2, "path": "keyframes/missing.png", "caption": "x"}],
        "disclaimer": "Not a diagnosis (test).",
    }
    (tmp_path / "report.json").write_text(json.dumps(report))
    at = AppTest.from_function(_outputs_page, args=(str(tmp_path),), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    labels = [e.label for e in at.expander]
    assert labels == ["🔴 Concern · Your foot lands far ahead of your hips", "🔵 Info · Cadence note"]
    assert "Take shorter, quicker steps" in texts(at.markdown)
    assert "threshold 10.0 cm" in texts(at.caption) and "Not a diagnosis (test)." in texts(at.caption)
    assert len(at.get("video")) == 1
    downloads = [b.label for b in at.get("download_button")]
    assert downloads == ["Report (HTML)", "Report (JSON)", "Per-frame data (CSV)", "Annotated video (MP4)",
                         "Keypoints (NPZ)"]


REAR_TRUTH = ROOT / "sample_videos" / "rear_phantom.truth.npz"


@pytest.mark.skipif(not REAR_TRUTH.is_file(), reason="sample_videos/rear_phantom.truth.npz is absent")
def test_plot_data_follow_the_view(tmp_path: Path) -> None:
    from formcam.app.timeseries import event_table, signal_table
    from formcam.pipeline import analyze_keypoints

    result = analyze_keypoints(REAR_TRUTH, tmp_path)
    signals = signal_table(result.series, result.report)
    assert result.report["view"] in ("rear", "front")
    names = set(signals["signal"])
    assert "Pelvic obliquity (°)" in names and "Knee flexion (°)" not in names
    events = event_table(result.report)
    assert set(events["event"]) == {"contact", "toe-off"}
    assert len(events) >= 2 * len(result.report["steps"]) - 1
    assert signal_table(result.series, {**result.report, "view": None}).empty


# ---------------------------------------------------------------- uploads and errors


def test_handle_upload_checks_content_not_extension(tmp_path: Path) -> None:
    with pytest.raises(VideoError) as err:
        handle_upload(b"\x89PNG not really" * 20, "run.mp4", tmp_path)
    assert "run.mp4" in str(err.value) and str(tmp_path) not in str(err.value)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    with pytest.raises(InputError, match="empty"):
        handle_upload(b"", "run.mov", tmp_path)
    with pytest.raises(InputError, match="limit"):
        handle_upload(b"x" * 2000, "big.mp4", tmp_path, max_bytes=1000)


def test_handle_upload_accepts_a_video_under_any_name(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", noise_frames(4, 48, 64))
    video = handle_upload(clip.read_bytes(), "../weird name?.bin", tmp_path / "up")
    assert video.path.is_file() and video.path.parent.parent == tmp_path / "up"
    assert video.info.frame_count >= 2 and len(video.sha256) == 64


def test_safe_name() -> None:
    assert safe_name("C:\\Users\\me\\My Run.MOV") == "My Run.MOV"
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("...") == "video"


def test_guarded_messages(caplog: pytest.LogCaptureFixture) -> None:
    def user_fault() -> None:
        raise VideoError("/tmp/x/clip.mp4: no video stream")

    def bug() -> None:
        raise RuntimeError("boom")

    assert guarded(lambda: 3, what="x") == (3, None)
    assert guarded(user_fault, what="x", path=Path("/tmp/x/clip.mp4"), name="clip.mp4") == (
        None, "clip.mp4: no video stream")
    with caplog.at_level(logging.ERROR):
        value, message = guarded(bug, what="analysing clip.mp4")
    assert value is None and message == GENERIC_ERROR.format(what="analysing clip.mp4")
    assert "boom" in caplog.text


def test_progress_text_and_throttle() -> None:
    shown: list[tuple[float, str]] = []
    now = [0.0]
    progress = ThrottledProgress(lambda f, t: shown.append((f, t)), every_s=0.5, clock=lambda: now[0])
    progress("pose", 1, 480)
    progress("pose", 2, 480)  # throttled
    now[0] = 1.0
    progress("pose", 120, 480)
    progress("pose", 480, 480)  # last frame always shown
    progress("outputs", 1, 4)  # a new stage is always shown; it counts steps, not frames
    assert shown == [(1 / 480, "pose: 1/480 frames"), (0.25, "pose: 120/480 frames"),
                     (1.0, "pose: 480/480 frames"), (0.25, "outputs: 1/4")]


def test_options_for_settings() -> None:
    opts = options_for(Settings(view="rear", setting="auto", height_cm=180.0, model="lite", person_rank=2))
    assert (opts.view, opts.setting, opts.height_cm, opts.model) == ("rear", None, 180.0, "lite")
    assert opts.person.rank == 2
    assert opts.backend == "onnx"  # the CLI's default too (formcam.pose.DEFAULT_BACKEND)
    assert options_for(Settings(backend="mediapipe")).backend == "mediapipe"


def test_runtime_choice_in_the_sidebar() -> None:
    at = new_app()
    runtime = at.sidebar.selectbox(key="set_backend")
    if len(runtime.options) < 2:
        pytest.skip("the ONNX models (models/onnx) are not installed")
    assert runtime.value == "onnx"
    runtime.set_value("mediapipe").run()
    assert not at.exception, at.exception
    models = at.sidebar.selectbox(key="set_model")
    assert models.value == "full" and "lite" in models.options
    at.session_state["workspace"].cleanup()


# ---------------------------------------------------------------- state


def test_cache_key_depends_on_video_and_settings() -> None:
    a = cache_key("ab" * 32, Settings())
    assert a == cache_key("ab" * 32, Settings())
    assert a != cache_key("cd" * 32, Settings())
    assert a != cache_key("ab" * 32, Settings(height_cm=180.0))
    assert a != cache_key("ab" * 32, Settings(backend="mediapipe"))
    assert Settings(backend="mediapipe").pose_part() != Settings().pose_part()  # no replay across runtimes


def _entry(key: str, folder: Path, settings: Settings, sha: str = "s" * 64) -> Entry:
    folder.mkdir(parents=True)
    kp = folder / "keypoints.npz"
    kp.write_bytes(b"x")
    return Entry(key=key, name="v.mp4", sha256=sha, settings=settings, report={}, files={"keypoints": kp},
                 out_dir=folder, series=None, how="pose", elapsed_s=1.0)  # type: ignore[arg-type]


def test_result_cache_evicts_and_deletes(tmp_path: Path) -> None:
    cache = ResultCache(max_entries=2)
    for i in range(3):
        cache.put(_entry(f"k{i}", tmp_path / f"r{i}", Settings(render_video=False)))
    assert len(cache) == 2 and cache.get("k0") is None and not (tmp_path / "r0").exists()
    same_pose = Settings(render_video=False, height_cm=190.0)
    replay = cache.replay_source("s" * 64, same_pose)
    assert replay is not None and replay.key == "k2"
    assert cache.replay_source("s" * 64, Settings(render_video=False, model="lite")) is None
    assert cache.replay_source("s" * 64, Settings(render_video=True)) is None
    cache.clear()
    assert len(cache) == 0 and not (tmp_path / "r1").exists()


def test_workspace_is_removed(tmp_path: Path) -> None:
    ws = Workspace(parent=tmp_path)
    (ws.run_dir("k") / "report.json").write_text("{}")
    (ws.uploads() / "a.mp4").write_bytes(b"x")
    root = ws.root
    ws.cleanup()
    assert not root.exists() and not ws.alive
    ws2 = Workspace(parent=tmp_path)
    root2 = ws2.root
    del ws2  # garbage collection of the session state removes the folder too
    assert not root2.exists()


# ---------------------------------------------------------------- compare


def _report(**metrics: tuple[float | None, float | None, float | None]) -> dict[str, Any]:
    return {"view": "rear", "metrics": {
        name: {"value": v, "left": left, "right": right, "unit": "deg", "n_steps": 10,
               "available": v is not None, "reason": None if v is not None else "needs a rear view"}
        for name, (v, left, right) in metrics.items()}}


def test_change_beyond_and_below_sdd() -> None:
    before = _report(pelvic_drop_deg=(6.0, 7.0, 5.0), lateral_trunk_lean_deg=(3.0, 3.0, 3.0),
                     cadence_spm=(160.0, 160.0, 160.0), pelvic_sway_cm=(None, None, None))
    after = _report(pelvic_drop_deg=(3.0, 3.5, 3.0), lateral_trunk_lean_deg=(4.5, 4.5, 4.0),
                    cadence_spm=(170.0, 170.0, 170.0), pelvic_sway_cm=(None, None, None))
    changes = {c.name: c for c in compare_reports(before, after)}
    drop = changes["pelvic_drop_deg"]
    assert drop.value.verdict == REAL and drop.value.delta == pytest.approx(-3.0) and drop.sdd == 2.8
    assert drop.left.real and not drop.right.real  # -3.5 vs -2.0
    assert changes["lateral_trunk_lean_deg"].value.verdict == NOISE  # +1.5 < 2.3
    assert changes["cadence_spm"].value.verdict == NO_SDD
    assert changes["pelvic_sway_cm"].value.verdict == NOT_COMPARABLE
    assert changes["pelvic_sway_cm"].reason == "needs a rear view"


def test_classify_edges() -> None:
    assert classify(5.0, 7.8, 2.8).verdict == NOISE  # exactly the SDD is not beyond it
    assert classify(5.0, 7.9, 2.8).verdict == REAL
    assert classify(None, 1.0, 2.8).verdict == NOT_COMPARABLE
    assert classify(float("nan"), 1.0, 2.8).verdict == NOT_COMPARABLE


def test_load_report_rejects_non_reports() -> None:
    text = json.dumps(_report(pelvic_drop_deg=(1.0, 1.0, 1.0)))
    assert load_report(text.encode(), "r.json")["view"] == "rear"
    with pytest.raises(FormcamError, match="not a JSON file"):
        load_report(b"\xff\x00", "r.json")
    with pytest.raises(FormcamError, match="not a formcam report"):
        load_report(b"[1, 2]", "r.json")


# ---------------------------------------------------------------- display helpers, people, launch


def test_catalog_formats_and_ranges() -> None:
    assert catalog.format_value("cadence_spm", 171.6, "steps/min") == "172 steps/min"
    assert catalog.format_value("trunk_lean_deg", 5.21, "deg") == "5.2°"
    assert catalog.format_value("trunk_lean_deg", None, "deg") == "–"
    assert catalog.range_status("cadence_spm", 150.0) == ("below", "typical 160–180")
    assert catalog.range_status("cadence_spm", 170.0) == ("within", "typical 160–180")
    assert catalog.range_status("overstride_cm", 10.0) is None
    assert catalog.card_label("cadence_spm", "steps/min") == "Cadence (steps/min)"
    assert catalog.card_value("cadence_spm", 171.6, "steps/min") == "172"
    assert catalog.card_value("overstride_cm", 7.16, "cm") == "7.2 cm"


@pytest.mark.skipif(not SIDE.is_file(), reason="sample_videos/side_phantom.mp4 is absent")
def test_candidate_thumbnails_crop_each_candidate() -> None:
    cands = [{"first_frame": 0, "first_box_px": [386.1, 111.8, 178.7, 334.3]},
             {"first_frame": 5, "first_box_px": [0.0, 0.0, 50.0, 100.0]},
             {"first_frame": None, "first_box_px": None}]
    thumbs = candidate_thumbnails(SIDE, cands, max_height=100)
    assert thumbs[0] is not None and thumbs[0].startswith(b"\x89PNG")
    assert thumbs[1] is not None and thumbs[2] is None


def test_crop_box_stays_inside_the_image() -> None:
    import numpy as np

    img = np.zeros((100, 200, 3), np.uint8)
    assert crop_box(img, (-50, -50, 30, 30)).shape == (1, 1, 3)  # outside: one pixel, never empty
    assert crop_box(img, (150, 50, 100, 100)).shape == (65, 65, 3)  # 15 % margin, clipped at the edges


def test_launch_parser_and_command() -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["app", "--port", "8600"])
    assert (args.port, args.address) == (8600, "127.0.0.1") and callable(args.func)
    cmd = command(8600, "127.0.0.1")
    assert cmd[1:4] == ["-m", "streamlit", "run"] and Path(cmd[4]) == app_script() and app_script().is_file()
    for flag, value in (("--server.headless", "true"), ("--browser.gatherUsageStats", "false"),
                        ("--server.address", "127.0.0.1"), ("--server.port", "8600")):
        assert cmd[cmd.index(flag) + 1] == value


def test_samples_are_found_in_a_checkout() -> None:
    found = sample_videos()
    if SIDE.is_file():
        assert found["side"] == SIDE


def _side_report(direction: str, near_knee: float) -> bytes:
    """A side-view report whose near leg (the side the runner faces) reads ``near_knee``."""
    other = "left" if direction == "right" else "right"
    steps = [{"side": direction if k % 2 else other, "cadence_spm": 170.0,
              "knee_flexion_ic_deg": near_knee if k % 2 else near_knee + 8.0} for k in range(16)]
    return json.dumps({"view": "side", "direction": direction, "steps": steps,
                       "metrics": {"cadence_spm": {"value": 170.0}}}).encode()


def test_compare_tab_compares_the_legs_from_two_side_views() -> None:
    at = new_app()
    at.radio(key="cmp_mode").set_value("Left and right (two side views)").run()
    assert "Choose both reports to compare the legs." in texts(at.info)
    at.radio(key="sides_a_mode").set_value("Upload a report.json").run()
    at.file_uploader(key="sides_a_file").upload("left.json", _side_report("left", 12.0),
                                                "application/json").run()
    at.file_uploader(key="sides_b_file").upload("right.json", _side_report("right", 20.0),
                                                "application/json").run()
    assert not at.exception, at.exception
    assert "Left and right differ: Knee flexion at contact" in texts(at.success)  # 8 deg > SDD 3.8
    assert "Cadence" in texts(at.info)  # even
    assert len(at.dataframe) == 1
    # the same side twice: one clear error, no table
    at.file_uploader(key="sides_b_file").upload("left2.json", _side_report("left", 12.0),
                                                "application/json").run()
    assert not at.exception and "film the other side" in texts(at.error)
    at.session_state["workspace"].cleanup()
