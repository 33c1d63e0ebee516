"""A corpus of hostile and broken video inputs: each gives its specific one-line error
(exit 2, no traceback) or an honest partial result.

Runs the real command line in-process (``formcam.cli.main``) on generated files.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest

from formcam.cli import main
from formcam.phantom import PhantomClip, PhantomParams
from tests.videotools import noise_frames, set_rotation, write_audio_only, write_clip, write_png

W, H, FPS = 480, 270, 30.0


@pytest.fixture(scope="module")
def runner_frames() -> list[np.ndarray]:
    """3 s of a phantom runner, 480x270 at 30 fps, as RGB frames."""
    clip = PhantomClip(PhantomParams(), view="side_right", fps=FPS, duration_s=3.0, width=W, height=H)
    return [np.ascontiguousarray(f) for f in clip.frames()]


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    rc = main(["analyze", *map(str, args), "-q"])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_error(result: tuple[int, str, str], name: str, *phrases: str) -> None:
    rc, _, err = result
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("formcam: error:"), err
    assert name in lines[0]
    assert any(p in lines[0].lower() for p in phrases), lines[0]


def report(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "report.json").read_text())


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_mp4_with_index_at_the_end(tmp_path: Path, capsys, fraction: float) -> None:  # type: ignore[no-untyped-def]
    whole = write_clip(tmp_path / "whole.mp4", noise_frames(60, 120, 160))
    cut = tmp_path / f"cut{int(fraction * 100)}.mp4"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * fraction)])
    assert_error(cli(capsys, cut, "--out", tmp_path / "o"), cut.name, "incomplete", "truncated", "damaged")


def test_truncated_faststart_gives_an_honest_partial_result(tmp_path: Path, capsys, runner_frames) -> None:  # type: ignore[no-untyped-def]
    whole = write_clip(tmp_path / "whole.mp4", runner_frames, FPS, options={"movflags": "faststart"})
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.6)])
    rc, _, err = cli(capsys, cut, "--out", tmp_path / "o", "--keypoints-only")
    assert rc == 0, err
    rep = report(tmp_path / "o")
    assert 0 < rep["input"]["frame_count"] < len(runner_frames)
    assert any("ends early" in w for w in rep["quality"]["warnings"])


def test_random_bytes_zero_bytes_image_audio_one_frame(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rnd = tmp_path / "random.mp4"
    rnd.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    assert_error(cli(capsys, rnd), "random.mp4", "not a video")
    empty = tmp_path / "zero.mp4"
    empty.write_bytes(b"")
    assert_error(cli(capsys, empty), "zero.mp4", "empty")
    img = write_png(tmp_path / "photo.mp4", np.zeros((32, 32, 3), np.uint8))
    assert_error(cli(capsys, img), "photo.mp4", "image")
    audio = write_audio_only(tmp_path / "audio.mp4")
    assert_error(cli(capsys, audio), "audio.mp4", "no video")
    one = write_clip(tmp_path / "one.mp4", noise_frames(1, 120, 160))
    assert_error(cli(capsys, one), "one.mp4", "1 frame")


def test_empty_scene_and_extreme_shapes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    scene = write_clip(tmp_path / "scene.mp4", [np.full((270, 480, 3), 120, np.uint8)] * int(5 * FPS))
    assert_error(cli(capsys, scene, "--out", tmp_path / "o1"), "scene.mp4", "no person")
    tall = write_clip(tmp_path / "tall.mp4", noise_frames(10, 1024, 64))
    assert_error(cli(capsys, tall, "--out", tmp_path / "o2"), "tall.mp4", "no person")
    wide = write_clip(tmp_path / "wide.mp4", noise_frames(10, 64, 2048))
    assert_error(cli(capsys, wide, "--out", tmp_path / "o3"), "wide.mp4", "no person")


def test_4k_is_decoded_without_holding_frames(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import tracemalloc

    big = write_clip(tmp_path / "uhd.mp4", [np.full((2160, 3840, 3), 90, np.uint8)] * 12)
    tracemalloc.start()
    result = cli(capsys, big, "--out", tmp_path / "o")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert_error(result, "uhd.mp4", "no person")
    assert peak < 6 * 3840 * 2160 * 3, f"peak {peak / 1e6:.0f} MB: frames are being held"


def test_runner_leaves_half_way(tmp_path: Path, capsys, runner_frames) -> None:  # type: ignore[no-untyped-def]
    half = len(runner_frames) // 2
    frames = runner_frames[:half] + [np.full_like(runner_frames[0], 200)] * half
    path = write_clip(tmp_path / "leaves.mp4", frames, FPS)
    rc, _, err = cli(capsys, path, "--out", tmp_path / "o", "--keypoints-only")
    assert rc == 0, err
    rep = report(tmp_path / "o")
    assert 0.4 < rep["quality"]["runner_frames_fraction"] < 0.6
    assert any("only" in w and "% of frames" in w for w in rep["quality"]["warnings"])


@pytest.mark.parametrize("k", [1, 2, 3])
def test_rotated_phone_files_come_out_upright(tmp_path: Path, capsys, runner_frames, k: int) -> None:  # type: ignore[no-untyped-def]
    stored = [np.ascontiguousarray(np.rot90(f, k)) for f in runner_frames]
    plain = write_clip(tmp_path / "stored.mp4", stored, FPS)
    rotated = set_rotation(plain, tmp_path / f"rot{k}.mp4", -90 * k)
    rc, _, err = cli(capsys, rotated, "--out", tmp_path / "o", "--keypoints-only")
    assert rc == 0, err
    rep = report(tmp_path / "o")
    assert rep["input"]["rotation_deg"] == 90 * k
    assert (rep["input"]["width"], rep["input"]["height"]) == (W, H)
    assert rep["quality"]["runner_frames_fraction"] >= 0.99


def test_variable_frame_rate(tmp_path: Path, capsys, runner_frames) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    pts = np.cumsum(rng.integers(25, 42, len(runner_frames)))  # 24-40 fps, in ms
    path = write_clip(tmp_path / "vfr.mp4", runner_frames, FPS, pts=[int(p) for p in pts])
    rc, _, err = cli(capsys, path, "--out", tmp_path / "o", "--keypoints-only")
    assert rc == 0, err
    from formcam.series import load_keypoints

    series = load_keypoints(tmp_path / "o" / "keypoints.npz")
    np.testing.assert_allclose(series.t_s, (pts - pts[0]) / 1000.0, atol=1e-6)


def test_runs_with_the_network_blocked(tmp_path: Path, capsys, runner_frames,  # type: ignore[no-untyped-def]
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("network access attempted during analysis")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    path = write_clip(tmp_path / "run.mp4", runner_frames, FPS)
    rc, _, err = cli(capsys, path, "--out", tmp_path / "o")
    assert rc == 0, err
    assert report(tmp_path / "o")["quality"]["runner_frames_fraction"] >= 0.99


def _npz(path: Path, **overrides: object) -> Path:
    from formcam.series import BLAZEPOSE_KEYPOINTS

    t, k = 60, len(BLAZEPOSE_KEYPOINTS)
    arrays: dict[str, object] = {
        "xy": np.random.default_rng(0).uniform(0, 400, (t, k, 2)), "score": np.ones((t, k)),
        "t_s": np.arange(t) / 30.0, "keypoints": np.array(BLAZEPOSE_KEYPOINTS), "width": 640,
        "height": 480, "fps": 30.0}
    arrays.update(overrides)
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


def test_broken_keypoint_files(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    nan = _npz(tmp_path / "nan.npz", xy=np.full((60, 33, 2), np.nan))
    assert_error(cli(capsys, "--keypoints", nan, "--out", tmp_path / "o1"), "nan.npz",
                 "found in only 0 of 60")
    back = _npz(tmp_path / "back.npz", t_s=np.r_[np.arange(30), np.arange(30)] / 30.0)
    assert_error(cli(capsys, "--keypoints", back, "--out", tmp_path / "o2"), "back.npz", "increasing")
    shape = _npz(tmp_path / "shape.npz", xy=np.zeros((60, 17, 2)))
    assert_error(cli(capsys, "--keypoints", shape, "--out", tmp_path / "o3"), "shape.npz", "expected xy")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04" + bytes(100))
    assert_error(cli(capsys, "--keypoints", junk, "--out", tmp_path / "o4"), "junk.npz", "cannot read")


def test_bad_rules_file_and_unknown_view(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules.toml"
    rules.write_text('[rules.overstride]\nwatch = "high"\n')
    keypoints = _npz(tmp_path / "k.npz")
    rc, _, err = cli(capsys, "--keypoints", keypoints, "--out", tmp_path / "o", "--rules", rules,
                     "--view", "side")
    assert rc == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "rules.toml" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["analyze", str(keypoints), "--view", "top"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'top'" in capsys.readouterr().err
