"""YUV planes cropped without a whole-frame RGB conversion (formcam.video.yuv, FrameReader(yuv=True)).

Analytic values first (conversion matrices, rotation, chroma siting, borders), then
real decoded frames against FFmpeg swscale's RGB, then the ONNX backend on both.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from formcam.video.reader import FrameReader
from formcam.video.yuv import KR_KB, YuvImage, stored_to_display, yuv_to_rgb_matrix
from tests import videotools as vt

ROOT = Path(__file__).resolve().parents[1]
SIDE_SAMPLE = ROOT / "sample_videos" / "side_phantom.mp4"


def rgb_of(yuv: tuple[float, float, float], matrix: str, *, full_range: bool) -> NDArray[np.float64]:
    m = yuv_to_rgb_matrix(matrix, full_range=full_range)
    return np.asarray(m @ np.array([*yuv, 1.0]), dtype=np.float64)


def encode(rgb: tuple[float, float, float], matrix: str) -> tuple[float, float, float]:
    """Video-range Y'CbCr of an RGB colour, from the textbook definition (independent of formcam)."""
    kr, kb = KR_KB[matrix]
    r, g, b = (c / 255.0 for c in rgb)
    y = kr * r + (1 - kr - kb) * g + kb * b
    return 16 + 219 * y, 128 + 224 * (b - y) / (2 * (1 - kb)), 128 + 224 * (r - y) / (2 * (1 - kr))


# --- conversion -------------------------------------------------------------------------------------

@pytest.mark.parametrize("matrix", sorted(KR_KB))
def test_black_white_and_primaries_round_trip(matrix: str) -> None:
    np.testing.assert_allclose(rgb_of((16, 128, 128), matrix, full_range=False), [0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(rgb_of((235, 128, 128), matrix, full_range=False), [255, 255, 255], atol=1e-9)
    np.testing.assert_allclose(rgb_of((0, 128, 128), matrix, full_range=True), [0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(rgb_of((255, 128, 128), matrix, full_range=True), [255, 255, 255], atol=1e-9)
    for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255), (200, 120, 40)):
        back = rgb_of(encode(colour, matrix), matrix, full_range=False)
        np.testing.assert_allclose(back, colour, atol=1e-6)


def test_bt709_and_bt601_differ() -> None:
    red_709 = encode((255, 0, 0), "bt709")
    assert abs(rgb_of(red_709, "bt601", full_range=False)[1] - 0) > 20  # the wrong matrix tints red


def test_bad_arguments_say_what_was_expected() -> None:
    with pytest.raises(ValueError, match="expected one of"):
        yuv_to_rgb_matrix("bt999", full_range=False)
    with pytest.raises(ValueError, match="expected rotation_cw"):
        stored_to_display(45, 4, 4)
    y = np.zeros((4, 6), np.uint8)
    with pytest.raises(ValueError, match=r"expected chroma planes of \(2, 3\)"):
        YuvImage(y=y, u=np.zeros((2, 2), np.uint8), v=np.zeros((2, 3), np.uint8))


# --- geometry ---------------------------------------------------------------------------------------

def _random_luma(h: int, w: int, *, full_range: bool = False, rotation_cw: int = 0) -> YuvImage:
    """Random luma, flat chroma: every resampling at integer positions is exact."""
    rng = np.random.default_rng(1)
    y = rng.integers(16, 236, (h, w), dtype=np.uint8)
    c = np.full(((h + 1) // 2, (w + 1) // 2), 128, np.uint8)
    return YuvImage(y=y, u=c, v=c.copy(), full_range=full_range, rotation_cw=rotation_cw)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_warp_follows_the_display_orientation(rotation: int) -> None:
    upright = _random_luma(30, 44).to_rgb()
    display = np.rot90(upright, k=-(rotation // 90))
    img = _random_luma(30, 44, rotation_cw=rotation)
    assert img.shape == display.shape
    np.testing.assert_array_equal(img.to_rgb(), display)
    tx, ty = 5, 3  # display pixel (x + tx, y + ty) -> output pixel (x, y)
    shift = np.array([[1.0, 0, -tx], [0, 1.0, -ty], [0, 0, 1.0]])
    out = img.warp(shift, 16, replicate=False)
    np.testing.assert_array_equal(out, display[ty:ty + 16, tx:tx + 16])


def test_odd_sizes_and_borders() -> None:
    img = _random_luma(7, 9)
    assert img.shape == (7, 9, 3)
    far = np.array([[1.0, 0, 100.0], [0, 1.0, 100.0], [0, 0, 1.0]])  # the picture lies outside the output
    assert not img.warp(far, 8, replicate=False).any()  # video-range black (16, 128, 128) -> RGB 0
    assert not _random_luma(7, 9, full_range=True).warp(far, 8, replicate=False).any()
    edge = img.warp(far, 8, replicate=True)  # every output pixel repeats the top-left picture pixel
    np.testing.assert_array_equal(edge, np.broadcast_to(img.to_rgb()[0, 0], edge.shape))


def test_chroma_sits_at_the_centre_of_its_block() -> None:
    """A chroma step between chroma columns 1 and 2 (luma x = 3.5) blends symmetrically around it."""
    y = np.full((8, 8), 126, np.uint8)
    u = np.full((4, 4), 128, np.uint8)
    v = np.full((4, 4), 128, np.uint8)
    v[:, 2:] = 200
    img = YuvImage(y=y, u=u, v=v, matrix="bt601", full_range=True)
    red = img.warp(np.eye(3), 8, replicate=True)[4, :, 0].astype(float)
    lo, hi = red[0], red[7]
    assert hi - lo > 100
    assert red[3] - lo == pytest.approx(hi - red[4], abs=1.0)  # luma 3 and 4 straddle x = 3.5
    assert red[3] - lo == pytest.approx(0.25 * (hi - lo), abs=1.0)  # chroma x = 1.25: a quarter of the step


# --- real decoded frames -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A smooth colour picture (a phone-like scene compresses to sane chroma), 4 frames, 320x240."""
    h, w = 240, 320
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([128 + 100 * np.sin(xx / 23.0), 128 + 90 * np.cos(yy / 17.0),
                    128 + 80 * np.sin((xx + yy) / 31.0)], axis=-1).astype(np.uint8)
    return vt.write_clip(tmp_path_factory.mktemp("yuv") / "smooth.mp4", [img] * 4, 30)


@pytest.mark.parametrize("ffmpeg_ccw", [0, -90, 180])
def test_planes_match_ffmpeg_rgb(clip: Path, tmp_path: Path, ffmpeg_ccw: int) -> None:
    path = vt.set_rotation(clip, tmp_path / f"rot{ffmpeg_ccw}.mp4", ffmpeg_ccw) if ffmpeg_ccw else clip
    rgb_frames = [f.image for f in FrameReader(path)]
    yuv_frames = [f.pixels for f in FrameReader(path, yuv=True)]
    assert len(rgb_frames) == len(yuv_frames) == 4
    for rgb, planes in zip(rgb_frames, yuv_frames, strict=True):
        assert isinstance(planes, YuvImage) and planes.shape == rgb.shape
        whole = np.abs(planes.to_rgb().astype(int) - rgb)
        assert whole.mean() < 1.5 and whole.max() <= 6, (whole.mean(), whole.max())
        h, w = rgb.shape[:2]  # a 64 px crop of the whole frame, as the person detector takes
        m = np.array([[64 / w, 0, 0], [0, 64 / h, 0], [0, 0, 1.0]])
        want = cv2.warpPerspective(rgb, m, (64, 64), flags=cv2.INTER_LINEAR)
        assert np.abs(planes.warp(m, 64, replicate=False).astype(int) - want).mean() < 2.0


def test_other_pixel_formats_stay_rgb(tmp_path: Path) -> None:
    frames = vt.noise_frames(3, 48, 64)
    path = tmp_path / "444.mp4"
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv444p"
        for img in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        out.mux(stream.encode(None))
    got = [f.pixels for f in FrameReader(path, yuv=True)]
    assert len(got) == 3 and all(isinstance(p, np.ndarray) and p.shape == (48, 64, 3) for p in got)


@pytest.mark.skipif(not SIDE_SAMPLE.is_file(), reason="sample_videos/side_phantom.mp4 is absent")
def test_onnx_keypoints_from_planes_match_rgb() -> None:
    from formcam.pose.backends.onnx import OnnxBackend, OnnxOptions

    def run(yuv: bool) -> NDArray[np.float64]:
        with OnnxBackend(OnnxOptions(model="lite", num_poses=1)) as backend:
            poses = [backend(f.pixels, f.t_s) for f in FrameReader(SIDE_SAMPLE, yuv=yuv, max_frames=60)]
        assert all(p.n_people == 1 for p in poses)
        return np.stack([p.keypoints[0] for p in poses])

    assert OnnxBackend.accepts_yuv
    d = np.linalg.norm(run(True)[:, 11:] - run(False)[:, 11:], axis=-1)
    assert float(np.median(d)) <= 3.0, float(np.median(d))  # the MediaPipe/ONNX keypoint parity bound


def test_planes_only_for_a_backend_that_crops_them_and_frames_above_1080p() -> None:
    from formcam.pipeline import use_yuv_planes
    from formcam.pose.backends.mediapipe import MediaPipeBackend
    from formcam.pose.backends.onnx import OnnxBackend

    onnx, mediapipe = OnnxBackend(), MediaPipeBackend()
    assert use_yuv_planes(onnx, 3840, 2160) and use_yuv_planes(onnx, 2160, 3840)  # 4K, either orientation
    assert not use_yuv_planes(onnx, 1920, 1080) and not use_yuv_planes(onnx, 1080, 1920)
    assert not use_yuv_planes(mediapipe, 3840, 2160)
