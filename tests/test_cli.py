"""The command line on bad input: one line naming the file and the problem, exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.videotools import noise_frames, write_audio_only, write_clip, write_png


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "formcam", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def assert_user_error(proc: subprocess.CompletedProcess[str], name: str, phrase: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("formcam: error:")]
    assert len(lines) == 1, proc.stderr
    assert name in lines[0]
    assert phrase in lines[0].lower(), lines[0]


def test_missing_file(tmp_path: Path) -> None:
    assert_user_error(run_cli("analyze", tmp_path / "nope.mp4", "--out", tmp_path / "o"), "nope.mp4",
                      "not found")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    assert_user_error(run_cli("analyze", path, "--out", tmp_path / "o"), "empty.mp4", "empty")


def test_text_file_renamed(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("these are my running notes, not a video\n" * 50)
    assert_user_error(run_cli("analyze", path, "--out", tmp_path / "o"), "notes.mp4", "not a video")


def test_truncated_file(tmp_path: Path) -> None:
    full = write_clip(tmp_path / "full.mp4", noise_frames(60, 120, 160))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    proc = run_cli("analyze", cut, "--out", tmp_path / "o")
    assert_user_error(proc, "cut.mp4", "")
    assert any(w in proc.stderr.lower() for w in ("truncated", "damaged", "incomplete"))


def test_image_file(tmp_path: Path) -> None:
    img = np.zeros((64, 64, 3), np.uint8)
    path = write_png(tmp_path / "photo.png", img)
    assert_user_error(run_cli("analyze", path, "--out", tmp_path / "o"), "photo.png", "image")


def test_audio_only(tmp_path: Path) -> None:
    path = write_audio_only(tmp_path / "song.m4a")
    assert_user_error(run_cli("analyze", path, "--out", tmp_path / "o"), "song.m4a", "no video")


def test_one_frame_video(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "one.mp4", noise_frames(1, 120, 160))
    assert_user_error(run_cli("analyze", path, "--out", tmp_path / "o"), "one.mp4", "1 frame")


def test_video_with_nobody(tmp_path: Path) -> None:
    frames = [np.full((240, 320, 3), 90 + i % 5, np.uint8) for i in range(20)]
    path = write_clip(tmp_path / "empty_scene.mp4", frames)
    assert_user_error(run_cli("analyze", path, "--out", tmp_path / "o"), "empty_scene.mp4",
                      "no person")


def test_bad_options(tmp_path: Path) -> None:
    assert_user_error(run_cli("analyze", tmp_path / "x.mp4", "--person", "banana"), "banana", "--person")
    proc = run_cli("analyze")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "either a VIDEO or --keypoints" in proc.stderr


def test_corrupt_keypoints_file(tmp_path: Path) -> None:
    path = tmp_path / "k.npz"
    path.write_bytes(b"PK\x03\x04 garbage")
    assert_user_error(run_cli("analyze", "--keypoints", path, "--out", tmp_path / "o"), "k.npz",
                      "keypoints file")


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version(flag: str) -> None:
    proc = run_cli(flag)
    assert proc.returncode == 0
    assert "formcam" in proc.stdout


@pytest.mark.parametrize("value", ["0", "-5", "abc", "nan", "inf", ""])
def test_bad_max_fps(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from formcam.cli import main

    for argv in (["analyze", str(tmp_path / "x.mp4"), "--max-fps", value],
                 ["batch", str(tmp_path), "--out", str(tmp_path / "o"), "--max-fps", value]):
        assert main(argv) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("formcam: error: --max-fps: expected a frame rate")
        assert repr(value) in lines[0]


def test_max_fps_with_keypoints_replay_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from formcam.cli import main

    assert main(["analyze", "--keypoints", str(tmp_path / "k.npz"), "--max-fps", "60"]) == 2
    assert capsys.readouterr().err.startswith("formcam: error: --max-fps applies to a VIDEO")


@pytest.mark.parametrize("value", ["-1", "abc", "nan", "inf"])
def test_bad_detect_interval(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from formcam.cli import main

    for argv in (["analyze", str(tmp_path / "x.mp4"), "--backend", "onnx", "--detect-interval", value],
                 ["batch", str(tmp_path), "--out", str(tmp_path / "o"), "--backend", "onnx",
                  "--detect-interval", value]):
        assert main(argv) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        expected = f"formcam: error: --detect-interval: expected seconds (a number >= 0), got {value!r}"
        assert lines == [expected]


def test_detect_interval_needs_the_onnx_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from formcam.cli import main

    # MediaPipe, no longer the default runtime (issue 22), must be named to be refused
    argv = ["analyze", str(tmp_path / "x.mp4"), "--backend", "mediapipe", "--detect-interval", "0.5"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("formcam: error: a person-detector interval applies to the onnx backend only"), err
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "x.mp4").write_bytes(b"")  # discovery only: refused before any video is opened
    (tmp_path / "v" / "formcam.toml").write_text('backend = "mediapipe"\n')
    assert main(["batch", str(tmp_path / "v"), "--out", str(tmp_path / "o"), "--detect-interval", "0.5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("formcam: error: x.mp4: a person-detector interval applies to the onnx"), err
    assert "add --backend onnx, or backend = \"onnx\" to a formcam.toml above it" in err
    assert not (tmp_path / "o" / "summary.csv").exists()


KEYPOINTS = Path(__file__).parent / "data" / "keypoints" / "side_treadmill_01_portrait_60fps.npz"


@pytest.mark.parametrize("command", ["analyze", "batch"])
def test_out_that_is_a_file_or_cannot_be_made(tmp_path: Path, command: str) -> None:
    """--out naming an existing file, or a folder under a file, is one error line, not a traceback."""
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    first = ["analyze", "--keypoints", KEYPOINTS] if command == "analyze" else ["batch", tmp_path / "none"]
    if command == "batch":
        (tmp_path / "none").mkdir()
    assert_user_error(run_cli(*first, "--out", taken), "taken", "existing file")
    assert_user_error(run_cli(*first, "--out", taken / "sub"), "sub", "cannot create")
