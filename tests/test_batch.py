"""Batch scoring: fault isolation, summary, resume, interruption, Ray."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from formcam.batch import BatchOptions, run_batch
from formcam.batch.discover import discover, settings_for
from formcam.batch.task import _options
from formcam.cli import main
from formcam.errors import ConfigError
from formcam.phantom import PhantomParams, render_phantom
from tests.videotools import noise_frames, write_clip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 short phantom clips (one in a subfolder with its own formcam.toml), 1 truncated, 1 text."""
    root = tmp_path_factory.mktemp("batch") / "videos"
    (root / "club" / "2024-06-02").mkdir(parents=True)
    specs = [("a_2024-05-01.mp4", 170.0), ("club/b_2024-05-15.mp4", 160.0),
             ("club/2024-06-02/c.mp4", 175.0)]
    for rel, cadence in specs:
        render_phantom(root / rel, PhantomParams(cadence_spm=cadence), view="side_right", fps=30,
                       duration_s=3.0, width=480, height=270)
        for extra in (root / rel).parent.glob("*.truth.*"):
            extra.unlink()
    (root / "club" / "formcam.toml").write_text("height_cm = 180\nview = \"side\"\n")
    whole = write_clip(root / ".whole.mp4", noise_frames(60, 120, 160))  # index (moov) at the end
    (root / "cut.mp4").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    whole.unlink()
    (root / "notes.mp4").write_text("not a video\n" * 20)
    return root


def read_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "summary.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_discovery_and_folder_settings(folder: Path) -> None:
    rels = [p.as_posix() for p in discover(folder)]
    assert rels == ["a_2024-05-01.mp4", "club/2024-06-02/c.mp4", "club/b_2024-05-15.mp4", "cut.mp4",
                    "notes.mp4"]
    assert [p.as_posix() for p in discover(folder, exclude=("club/*",))] == [
        "a_2024-05-01.mp4", "cut.mp4", "notes.mp4"]
    assert settings_for(folder, Path("club/2024-06-02/c.mp4")) == {"height_cm": 180, "view": "side"}
    assert settings_for(folder, Path("a_2024-05-01.mp4")) == {}


def test_bad_folder_config(tmp_path: Path) -> None:
    (tmp_path / "formcam.toml").write_text("hight_cm = 180\n")
    with pytest.raises(ConfigError, match="unknown key 'hight_cm'"):
        settings_for(tmp_path, Path("x.mp4"))
    (tmp_path / "formcam.toml").write_text("view = \"top\"\n")
    with pytest.raises(ConfigError, match="view: expected one of"):
        settings_for(tmp_path, Path("x.mp4"))
    for bad in ("0", "-30", "nan", "\"60\""):
        (tmp_path / "formcam.toml").write_text(f"max_fps = {bad}\n")
        with pytest.raises(ConfigError, match="max_fps: expected"):
            settings_for(tmp_path, Path("x.mp4"))


def test_max_fps_setting_reaches_the_analysis(tmp_path: Path) -> None:
    (tmp_path / "formcam.toml").write_text("max_fps = 60\n")
    settings = settings_for(tmp_path, Path("x.mp4"))
    assert settings == {"max_fps": 60}
    assert _options(settings).max_fps == 60.0 and _options({}).max_fps is None


def test_backend_and_detector_interval_settings_reach_the_analysis(tmp_path: Path) -> None:
    (tmp_path / "formcam.toml").write_text("backend = \"onnx\"\ndetect_interval_s = 0.5\n")
    settings = settings_for(tmp_path, Path("x.mp4"))
    options = _options(settings)
    assert (options.backend, options.detect_interval_s) == ("onnx", 0.5)
    assert options.pose_settings()["detect_interval_s"] == 0.5
    assert (_options({}).backend, _options({}).detect_interval_s) == ("onnx", 0.0)  # the default (issue 22)
    for bad, match in (("detect_interval_s = -1", "detect_interval_s: expected seconds"),
                       ("backend = \"tflite\"", "backend: expected one of")):
        (tmp_path / "formcam.toml").write_text(bad + "\n")
        with pytest.raises(ConfigError, match=match):
            settings_for(tmp_path, Path("x.mp4"))
    with pytest.raises(ConfigError, match="onnx backend only"):
        _options({"backend": "mediapipe", "detect_interval_s": 0.5})
    assert _options({"detect_interval_s": 0.5}).backend == "onnx"  # the default runtime (issue 22)


def test_detector_interval_is_checked_against_each_videos_merged_backend(tmp_path: Path) -> None:
    """``--detect-interval`` without ``--backend`` is valid where a folder file sets the onnx
    backend (or nothing does: onnx is the default), and refused (naming the video) where a folder
    file says mediapipe."""
    from formcam.batch.engine import make_jobs

    root = tmp_path / "v"
    (root / "lab" / "old").mkdir(parents=True)
    for rel in ("lab/a.mp4", "lab/old/b.mp4"):
        (root / rel).write_bytes(b"")
    (root / "lab" / "formcam.toml").write_text('backend = "onnx"\n')
    options = BatchOptions(settings={"detect_interval_s": 0.5})
    jobs = make_jobs(root, tmp_path / "o", options)
    assert [(j.rel, j.settings["backend"]) for j in jobs] == [("lab/a.mp4", "onnx"),
                                                              ("lab/old/b.mp4", "onnx")]
    (root / "lab" / "old" / "formcam.toml").write_text('backend = "mediapipe"\n')
    with pytest.raises(ConfigError, match=r"^lab/old/b\.mp4: a person-detector interval applies to the onnx"):
        make_jobs(root, tmp_path / "o", options)
    assert len(make_jobs(root, tmp_path / "o", BatchOptions())) == 2  # no interval: any backend


def test_batch_isolates_failures_and_resumes_without_pose_work(folder: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["batch", str(folder), "--out", str(out), "--workers", "2", "-q"]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    # the three 3 s, 30 fps phantom clips: ok, or partial where a value's steps scatter beyond its
    # SDD through the pose model (foot strike angle from keypoints at 30 fps); never an error
    counts = re.match(r"(\d) ok, (\d) partial, 2 failed", last)
    assert counts and int(counts[1]) + int(counts[2]) == 3, last
    rows = {r["path"]: r for r in read_rows(out)}
    assert sum(r["status"] in ("ok", "partial") for r in rows.values()) == 3
    assert rows["cut.mp4"]["status"] == rows["notes.mp4"]["status"] == "error"
    assert "cut.mp4" in rows["cut.mp4"]["error"] and "notes.mp4" in rows["notes.mp4"]["error"]
    assert rows["club/b_2024-05-15.mp4"]["view"] == "side"
    assert float(rows["a_2024-05-01.mp4"]["cadence_spm"]) > 100
    for rel in ("a_2024-05-01.mp4", "club/b_2024-05-15.mp4", "club/2024-06-02/c.mp4"):
        assert (out / rel / "report.json").is_file() and (out / rel / "keypoints.npz").is_file()
    assert (out / "trend.png").is_file()
    assert not list(out.rglob("*.tmp-*")) and not list(out.rglob("*.part"))

    stamp = {p: p.stat().st_mtime_ns for p in out.rglob("report.json")}
    result = run_batch(folder, out, BatchOptions(resume=True, workers=1))
    assert (result.n_ok + result.n_partial, result.n_error, result.n_reused) == (3, 2, 3)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("report.json")} == stamp
    assert read_rows(out) == list(rows.values())


def test_killed_run_resumes_to_the_same_summary(folder: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    run_batch(folder, reference, BatchOptions(workers=1))
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "formcam", "batch", str(folder), "--out", str(out),
                             "--workers", "1", "-q"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.rglob("report.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished_before_kill = len(list(out.rglob("report.json")))
    assert finished_before_kill < 3, "the run finished before it could be interrupted"
    result = run_batch(folder, out, BatchOptions(resume=True, workers=1))
    assert result.n_reused == finished_before_kill
    assert (out / "summary.csv").read_text() == (reference / "summary.csv").read_text()


def test_ray_engine_gives_the_same_summary(folder: Path, tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'formcam[ray]'")
    local, remote = tmp_path / "local", tmp_path / "ray"
    run_batch(folder, local, BatchOptions(workers=1))
    try:
        result = run_batch(folder, remote, BatchOptions(engine="ray"))
    finally:
        ray.shutdown()
    assert (result.n_ok + result.n_partial, result.n_error) == (3, 2)
    assert (remote / "summary.csv").read_text() == (local / "summary.csv").read_text()


def test_bad_options() -> None:
    with pytest.raises(ConfigError, match="--engine"):
        BatchOptions(engine="slurm")
    with pytest.raises(ConfigError, match="--workers"):
        BatchOptions(workers=0)


def test_row_status_is_ok_partial_or_error_with_reasons() -> None:
    """ok: every metric of the view measured; partial: some withheld (listed with reasons); error: none."""
    from formcam.analysis import SIDE_METRICS
    from formcam.batch.summary import report_row

    def entry(ok: bool) -> dict[str, object]:
        return {"available": ok, "value": 1.0 if ok else None, "reason": None if ok else "too few steps"}

    names = ("cadence_spm", "contact_time_ms", *SIDE_METRICS)
    full = {"view": "side", "metrics": {n: entry(True) for n in names}}
    assert report_row("a.mp4", full)["status"] == "ok"
    part = {"view": "side", "metrics": {**full["metrics"], "contact_time_ms": entry(False)}}
    row = report_row("a.mp4", part)
    assert row["status"] == "partial" and row["withheld"] == "contact_time_ms: too few steps"
    assert row["contact_time_ms"] is None if "contact_time_ms" in row else True
    none = {"view": "rear", "metrics": {"pelvic_drop_deg": entry(False)}}
    row = report_row("b.mp4", none)
    assert row["status"] == "error" and "no metric could be measured" in row["error"]
    short = {"view": "side", "metrics": {n: entry(False) for n in names}}
    short["metrics"]["cadence_spm"]["reason"] = "not measurable in any step"
    err = report_row("c.mp4", short)["error"]  # each reason once, with the metrics it holds for
    assert err.count("too few steps") == 1 and err.count("not measurable in any step") == 1
    assert err.startswith("no metric could be measured (not measurable in any step: cadence_spm; "
                          "too few steps: ")
    assert all(n in err for n in names)
