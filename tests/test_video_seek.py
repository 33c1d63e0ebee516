"""Frame thinning (FrameReader ``step``/``select``) and grabbing frames by time (video_seek)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formcam.video import seek as video_seek
from formcam.video.reader import FrameReader, iter_frames
from formcam.video.seek import frames_at
from tests import videotools as vt

VFR_MS = [0, 33, 70, 100, 150, 166, 240, 250, 400, 401, 433, 600]


@pytest.fixture(scope="module")
def gop_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """90 noise frames at 30 fps, a keyframe every 10 frames, B-frames (libx264 veryfast)."""
    path = tmp_path_factory.mktemp("seek") / "gop.mp4"
    options = {"g": "10", "preset": "veryfast"}
    return vt.write_clip(path, vt.noise_frames(90, 96, 128), 30, codec_options=options)


def test_step_keeps_every_kth_frame_with_true_timestamps(tmp_path: Path) -> None:
    path = vt.write_clip(tmp_path / "vfr.mp4", vt.noise_frames(len(VFR_MS), 48, 64), 30, pts=VFR_MS)
    everything = list(iter_frames(path))
    with FrameReader(path, step=3) as reader:
        kept = list(reader)
    assert [f.index for f in kept] == [0, 3, 6, 9]
    np.testing.assert_allclose([f.t_s for f in kept], np.array(VFR_MS[::3]) / 1000, atol=1e-6, rtol=0)
    assert all(np.array_equal(k.image, everything[k.index].image) for k in kept)
    assert reader.frames_read == 4 and reader.frames_seen == len(VFR_MS)
    with pytest.raises(ValueError, match="expected step >= 1"):
        FrameReader(path, step=0)


def test_select_converts_only_accepted_frames(tmp_path: Path) -> None:
    path = vt.write_clip(tmp_path / "vfr.mp4", vt.noise_frames(len(VFR_MS), 48, 64), 30, pts=VFR_MS)
    with FrameReader(path, select=lambda t: 0.2 < t < 0.45) as reader:
        got = [round(f.t_s * 1000) for f in reader]
    assert got == [240, 250, 400, 401, 433]
    assert reader.frames_seen == len(VFR_MS)


def test_frames_at_seeks_and_matches_sequential_decoding(gop_clip: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    frames = list(iter_frames(gop_clip))
    wanted = [frames[i].t_s for i in (57, 3, 25, 26, 89, 12)] + [10.0]  # unsorted; the last is past the end
    monkeypatch.setattr(video_seek, "_sequential", _fail)  # the seeking path must do it alone
    got = frames_at(gop_clip, wanted, tol_s=0.5 / 30)
    for i, img in zip((57, 3, 25, 26, 89, 12), got, strict=False):
        assert img is not None and np.array_equal(img, frames[i].image), f"frame {i}"
    assert got[-1] is None
    # a time between two frames gets the nearer one; one far from any frame gets nothing
    near = frames_at(gop_clip, [frames[40].t_s + 0.012, frames[40].t_s + 0.021], tol_s=0.5 / 30)
    assert near[0] is not None and np.array_equal(near[0], frames[40].image)
    assert near[1] is not None and np.array_equal(near[1], frames[41].image)
    assert frames_at(gop_clip, [], tol_s=0.1) == []


def test_frames_at_without_timestamps_reads_sequentially(tmp_path: Path) -> None:
    path = vt.write_clip(tmp_path / "raw.h264", vt.noise_frames(20, 48, 64), 30)  # no container timestamps
    frames = list(iter_frames(path))
    got = frames_at(path, [frames[15].t_s, frames[2].t_s], tol_s=0.5 / 30)
    assert np.array_equal(got[0], frames[15].image) and np.array_equal(got[1], frames[2].image)


def _fail(*args: object) -> None:
    raise AssertionError("fell back to sequential reading")
