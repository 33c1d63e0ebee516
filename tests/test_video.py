"""Tests of formcam.video.reader on small synthetic clips written into tmp_path."""

from __future__ import annotations

import hashlib
import inspect
import logging
import weakref
from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray

from formcam.errors import InputError, VideoError
from formcam.video.reader import MIN_FRAMES, Frame, FrameReader, VideoInfo, iter_frames, probe
from tests import videotools as vt


def _first_image(path: Path) -> NDArray[np.uint8]:
    return next(iter_frames(path)).image


def _is(img: NDArray[np.uint8], y: int, x: int, rgb: tuple[int, int, int]) -> bool:
    return bool(np.abs(img[y, x].astype(int) - np.array(rgb)).max() < 40)


@pytest.fixture(scope="module")
def marker_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """64x48 stored-landscape clip of :func:`videotools.marker_image`, 5 frames."""
    path = tmp_path_factory.mktemp("marker") / "base.mp4"
    return vt.write_clip(path, [vt.marker_image()] * 5, 10)


# --- rotation ---------------------------------------------------------------------------

@pytest.mark.parametrize(("ffmpeg_ccw", "expected_cw"), [(0, 0), (90, 270), (180, 180), (-90, 90), (270, 90)])
def test_rotation_matches_ffmpeg_autorotate(marker_clip: Path, tmp_path: Path,
                                            ffmpeg_ccw: int, expected_cw: int) -> None:
    path = vt.set_rotation(marker_clip, tmp_path / f"rot{ffmpeg_ccw}.mp4", ffmpeg_ccw)
    info = probe(path)
    assert info.rotation_deg == expected_cw
    assert (info.coded_width, info.coded_height) == (64, 48)
    swapped = expected_cw in (90, 270)
    assert (info.width, info.height) == ((48, 64) if swapped else (64, 48))
    img = _first_image(path)
    assert img.shape == (info.height, info.width, 3)
    assert img.flags.c_contiguous and img.dtype == np.uint8
    truth = vt.ffmpeg_first_frame(path)  # ffmpeg autorotates by default
    assert truth.shape == img.shape
    assert np.abs(img.astype(int) - truth).mean() < 2.0


def test_portrait_phone_rotation_by_hand(marker_clip: Path, tmp_path: Path) -> None:
    # iPhone portrait: stored landscape, ffprobe says "rotation of -90.00 degrees"; upright is the
    # stored picture turned 90° clockwise: the stored top-left red block goes to the top-right, the
    # stored bottom green bar becomes the left column.
    path = vt.set_rotation(marker_clip, tmp_path / "portrait.mp4", -90)
    img = _first_image(path)
    assert img.shape == (64, 48, 3)
    assert _is(img, 2, 45, vt.RED) and not _is(img, 2, 2, vt.RED)
    assert _is(img, 32, 2, vt.GREEN) and not _is(img, 32, 45, vt.GREEN)


def test_upside_down_rotation_by_hand(marker_clip: Path, tmp_path: Path) -> None:
    img = _first_image(vt.set_rotation(marker_clip, tmp_path / "flip.mp4", 180))
    assert img.shape == (48, 64, 3)
    assert _is(img, 45, 61, vt.RED)       # top-left went to bottom-right
    assert _is(img, 2, 32, vt.GREEN)      # bottom bar is now at the top


def test_legacy_rotate_tag_is_clockwise(marker_clip: Path, tmp_path: Path) -> None:
    path = vt.set_rotate_tag(marker_clip, tmp_path / "legacy.mkv", 90)
    info = probe(path)
    assert info.rotation_deg == 90 and (info.width, info.height) == (48, 64)
    with av.open(str(path)) as c:
        stored = next(c.decode(video=0)).to_ndarray(format="rgb24")
    np.testing.assert_array_equal(_first_image(path), np.rot90(stored, k=-1))


# --- probe ------------------------------------------------------------------------------

def test_probe_facts(marker_clip: Path) -> None:
    info = probe(marker_clip)
    assert isinstance(info, VideoInfo)
    assert info.sha256 == hashlib.sha256(marker_clip.read_bytes()).hexdigest()
    assert info.fps == pytest.approx(10.0)
    assert info.frame_count == 5 and info.frame_count_exact
    assert info.duration_s == pytest.approx(0.5, abs=0.11)
    assert info.codec == "h264" and info.path == str(marker_clip)


def test_probe_estimates_frame_count_without_header_count(tmp_path: Path) -> None:
    path = vt.write_clip(tmp_path / "frag.mp4", vt.noise_frames(12, 48, 64), 12,
                         options={"movflags": "frag_keyframe+empty_moov"})
    info = probe(path)
    assert not info.frame_count_exact
    assert abs(info.frame_count - 12) <= 1


# --- timestamps -------------------------------------------------------------------------

def test_variable_frame_rate_timestamps(tmp_path: Path) -> None:
    pts_ms = [0, 33, 70, 100, 150, 166, 240, 250, 400, 401, 433, 600]
    path = vt.write_clip(tmp_path / "vfr.mp4", vt.noise_frames(len(pts_ms), 48, 64), 30, pts=pts_ms)
    frames = list(iter_frames(path))
    t = np.array([f.t_s for f in frames])
    np.testing.assert_allclose(t, np.array(pts_ms) / 1000.0, atol=1e-6, rtol=0)
    assert t[0] == 0.0 and (np.diff(t) > 0).all()
    assert [f.index for f in frames] == list(range(len(pts_ms)))


def test_timestamps_start_at_zero_when_stream_does_not(tmp_path: Path) -> None:
    pts_ms = [500, 540, 580, 650, 700]
    path = vt.write_clip(tmp_path / "late.mp4", vt.noise_frames(5, 48, 64), 25, pts=pts_ms)
    t = [f.t_s for f in iter_frames(path)]
    np.testing.assert_allclose(t, (np.array(pts_ms) - 500) / 1000.0, atol=1e-6, rtol=0)


def test_repeated_and_backward_timestamps_are_dropped(tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    src = vt.write_clip(tmp_path / "m4.mp4", [np.full((48, 64, 3), 20 * i, np.uint8) for i in range(8)],
                        10, codec="mpeg4")
    path = vt.remux_with_pts(src, tmp_path / "dup.mkv", [0, 100, 200, 200, 150, 300, 400, 500])
    with caplog.at_level(logging.WARNING, logger="formcam.video.reader"), FrameReader(path) as reader:
        frames = list(reader)
    assert [f.t_s for f in frames] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert [f.index for f in frames] == [0, 1, 2, 5, 6, 7]
    assert reader.dropped == 2 and reader.frames_read == 6 and not reader.truncated
    assert "dropped 2 frames" in caplog.text


def test_max_frames_and_start_s(marker_clip: Path) -> None:
    assert len(list(iter_frames(marker_clip, max_frames=2))) == 2
    assert list(iter_frames(marker_clip, max_frames=0)) == []
    late = list(iter_frames(marker_clip, start_s=0.25))
    assert [f.index for f in late] == [3, 4] and late[0].t_s == pytest.approx(0.3)
    with pytest.raises(ValueError, match="expected max_frames"):
        FrameReader(marker_clip, max_frames=-1)


# --- streaming --------------------------------------------------------------------------

def test_iter_frames_streams(tmp_path: Path) -> None:
    n, h, w = 300, 240, 320
    ramp = np.linspace(0, 255, w, dtype=np.uint8)[None, :, None]
    path = vt.write_clip(tmp_path / "long.mp4",
                         (np.broadcast_to(np.roll(ramp, i, axis=1), (h, w, 3)) for i in range(n)), 30,
                         codec="mpeg4")
    gen = iter_frames(path)
    assert inspect.isgenerator(gen)
    with FrameReader(path) as reader:
        first = next(iter(reader))
        assert isinstance(first, Frame) and reader.frames_read == 1
    # streaming: an image is freed as soon as the caller drops it (nothing accumulates)
    refs = [weakref.ref(frame.image) for frame in gen]
    assert len(refs) == n
    assert sum(r() is not None for r in refs) <= 1
    # held images stay intact while later frames are decoded (no buffer is reused)
    held = list(iter_frames(path, max_frames=25))
    assert len(held) == 25 and all(f.image.flags.c_contiguous for f in held)
    row = [f.image[h // 2, :, 0].astype(int) for f in held]
    shift = [int(np.argmax(np.correlate(np.tile(row[0], 2), r, mode="valid")[:w])) for r in row]
    assert len(set(shift)) == 25, "each held image must still show its own frame"


# --- bad inputs -------------------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.mp4"
    with pytest.raises(InputError, match=r"nope\.mp4: file not found"):
        probe(path)
    with pytest.raises(InputError, match="file not found"):
        next(iter_frames(path))


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=f"{tmp_path.name}: is a directory"):
        probe(tmp_path)


@pytest.mark.parametrize(("name", "content", "phrase"), [
    ("empty.mp4", b"", "file is empty"),
    ("random.mp4", np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes(),
     "not a video ffmpeg can read"),
    ("notes.mp4", b"just some text, not a video\n" * 100, "not a video ffmpeg can read"),
])
def test_not_a_video(tmp_path: Path, name: str, content: bytes, phrase: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(VideoError, match=f"{name}: {phrase}"):
        probe(path)
    with pytest.raises(VideoError, match=phrase):
        list(iter_frames(path))


@pytest.mark.parametrize("name", ["photo.mp4", "photo.png"])
def test_image_is_rejected(tmp_path: Path, name: str) -> None:
    path = vt.write_png(tmp_path / name, vt.marker_image())
    with pytest.raises(VideoError, match=rf"{name}: is an image \(png\), not a video"):
        probe(path)


def test_audio_only(tmp_path: Path) -> None:
    path = vt.write_audio_only(tmp_path / "voice.m4a")
    with pytest.raises(VideoError, match=r"voice\.m4a: has no video stream \(streams: audio\)"):
        probe(path)


def test_one_frame_video(tmp_path: Path) -> None:
    path = vt.write_clip(tmp_path / "single.mp4", [vt.marker_image()], 30)
    phrase = rf"single\.mp4: only 1 frame: need a video of at least {MIN_FRAMES}"
    with pytest.raises(VideoError, match=phrase):
        probe(path)


@pytest.fixture(scope="module")
def long_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """60-frame 320x240 noise clips: moov at the end ("plain") and moov first ("faststart")."""
    root = tmp_path_factory.mktemp("trunc")
    frames = vt.noise_frames(60)
    return {"plain": vt.write_clip(root / "plain.mp4", frames, 30, codec_options={"g": "10"}),
            "faststart": vt.write_clip(root / "fast.mp4", frames, 30, codec_options={"g": "10"},
                                       options={"movflags": "faststart"})}


def _cut(src: Path, dst: Path, n_bytes: int) -> Path:
    dst.write_bytes(src.read_bytes()[:n_bytes])
    return dst


def test_truncated_without_index(long_clips: dict[str, Path], tmp_path: Path) -> None:
    src = long_clips["plain"]
    path = _cut(src, tmp_path / "cut.mp4", src.stat().st_size // 2)
    with pytest.raises(VideoError, match=r"cut\.mp4: not a video ffmpeg can read .* may be incomplete"):
        probe(path)


def test_truncated_moov_first_decodes_part(long_clips: dict[str, Path], tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    src = long_clips["faststart"]
    path = _cut(src, tmp_path / "half.mp4", src.stat().st_size // 2)
    info = probe(path)  # the header still promises 60 frames
    assert info.frame_count == 60
    with caplog.at_level(logging.WARNING, logger="formcam.video.reader"), FrameReader(path) as reader:
        frames = list(reader)
    assert 10 < len(frames) < 60 and reader.frames_read == len(frames)
    assert reader.truncated
    assert "half.mp4: file is truncated" in caplog.text and f"after {len(frames)} frames" in caplog.text


def test_truncated_at_packet_boundary(long_clips: dict[str, Path], tmp_path: Path) -> None:
    src = long_clips["faststart"]
    with av.open(str(src)) as c:
        ends = [(p.pos or 0) + p.size for p in c.demux(video=0) if p.size]
    path = _cut(src, tmp_path / "clean_cut.mp4", ends[29])
    with FrameReader(path) as reader:
        n = sum(1 for _ in reader)
    assert n < 60 and reader.truncated


def test_truncated_before_first_frame(long_clips: dict[str, Path], tmp_path: Path) -> None:
    src = long_clips["faststart"]
    with av.open(str(src)) as c:
        first = next(p for p in c.demux(video=0) if p.size)
    path = _cut(src, tmp_path / "stub.mp4", (first.pos or 0) + first.size // 2)
    with pytest.raises(VideoError, match=r"stub\.mp4: no decodable frame"):
        probe(path)
    with pytest.raises(VideoError, match="no decodable frame"):
        list(iter_frames(path))


def test_raw_stream_without_timestamps(tmp_path: Path) -> None:
    # A raw H.264 stream has no container timestamps: times come from the nominal rate.
    path = vt.write_clip(tmp_path / "raw.h264", vt.noise_frames(10, 48, 64), 30)
    info = probe(path)
    assert info.fps == pytest.approx(30.0) and not info.frame_count_exact
    t = [f.t_s for f in iter_frames(path)]
    np.testing.assert_allclose(t, np.arange(10) / 30.0, atol=1e-9)
