"""The onnxruntime BlazePose backend: geometry, decoding, model files, and parity with MediaPipe."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from formcam.errors import ConfigError, ModelError
from formcam.pose.backends import create_backend
from formcam.pose.backends.base import PoseBackend, PoseFrame
from formcam.pose.backends.onnx import OnnxBackend, OnnxOptions, onnx_model_path
from formcam.pose.backends.onnx.anchors import N_ANCHORS, ssd_anchors
from formcam.pose.backends.onnx.detector import decode, detector_input, letterbox_roi, weighted_nms
from formcam.pose.backends.onnx.landmarks import (
    LandmarkResult,
    decode_landmarks,
    landmark_input,
    refine_with_heatmap,
)
from formcam.pose.backends.onnx.roi import (
    Roi,
    associate,
    crop,
    crop_matrix,
    crop_to_image,
    image_to_crop,
    iou,
    merge_detections,
    roi_from_alignment,
    same_person,
)
from formcam.pose.backends.onnx.smoothing import LandmarkSmoother
from formcam.video.reader import FrameReader

ROOT = Path(__file__).resolve().parents[1]
SIDE = ROOT / "sample_videos" / "side_phantom.mp4"
BODY = slice(11, 33)  # shoulders to feet: the keypoints formcam's metrics use
PARITY_FRAMES = 90
MAX_MEDIAN_PX = 3.0


# --- anchors ------------------------------------------------------------------------------------

def test_anchor_count_and_known_values() -> None:
    a = ssd_anchors()
    assert a.shape == (N_ANCHORS, 2) == (2254, 2)
    np.testing.assert_allclose(a[0], [0.5 / 28, 0.5 / 28], rtol=1e-6)
    np.testing.assert_allclose(a[1], a[0])  # 2 anchors per cell on the stride-8 layer
    np.testing.assert_allclose(a[2], [1.5 / 28, 0.5 / 28], rtol=1e-6)
    np.testing.assert_allclose(a[1568], [0.5 / 14, 0.5 / 14], rtol=1e-6)  # first stride-16 anchor
    np.testing.assert_allclose(a[1960:1966], np.tile([0.5 / 7, 0.5 / 7], (6, 1)), rtol=1e-6)  # 3 layers x 2
    np.testing.assert_allclose(a[-1], [6.5 / 7, 6.5 / 7], rtol=1e-6)


# --- ROI geometry ------------------------------------------------------------------------------

ROIS = [Roi(300.0, 200.0, 180.0, 180.0, 0.0), Roi(512.5, 301.0, 250.0, 250.0, 0.7),
        Roi(40.0, 900.0, 640.0, 360.0, -2.5)]


@pytest.mark.parametrize("roi", ROIS)
def test_crop_corners_are_roi_corners(roi: Roi) -> None:
    # Crop-normalised (0, 1) / (0, 0) / (1, 0) / (1, 1) are cv::boxPoints' corners, in that order.
    uv = np.array([[0.0, 1.0], [0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(crop_to_image(uv, roi), roi.corners(), atol=1e-3)
    m = crop_matrix(roi, 256)
    corners = np.c_[roi.corners(), np.ones(4)] @ m.T
    np.testing.assert_allclose(corners[:, :2] / corners[:, 2:], uv * 256, atol=1e-3)


@pytest.mark.parametrize("roi", ROIS)
def test_crop_and_image_round_trip(roi: Roi) -> None:
    xy = np.random.default_rng(1).uniform(-100, 1000, (50, 2))
    np.testing.assert_allclose(crop_to_image(image_to_crop(xy, roi), roi), xy, atol=1e-9)


def test_warp_puts_a_dot_where_the_geometry_says() -> None:
    image = np.zeros((480, 640, 3), np.uint8)
    image[300:303, 400:403] = 255  # a 3x3 dot centred on pixel (401, 301)
    roi = Roi(380.0, 260.0, 200.0, 200.0, math.radians(30))
    out = crop(image, roi, 256, replicate=False)
    ys, xs = np.nonzero(out[:, :, 0] > 64)
    w = out[ys, xs, 0].astype(float)
    found = np.array([np.sum(xs * w), np.sum(ys * w)]) / w.sum()
    # Pixel centre (401, 301) -> continuous point (401, 301) maps to crop continuous coords.
    expected = image_to_crop(np.array([[401.0, 301.0]]), roi)[0] * 256
    np.testing.assert_allclose(found, expected, atol=0.6)


def test_roi_from_alignment_known_answers() -> None:
    up = roi_from_alignment(np.array([100.0, 100.0]), np.array([100.0, 20.0]))
    assert (up.cx, up.cy, up.width, up.height) == (100.0, 100.0, 200.0, 200.0)  # 2 * 80 * 1.25
    assert up.rotation == pytest.approx(0.0)
    right = roi_from_alignment(np.array([0.0, 0.0]), np.array([10.0, 0.0]))
    assert right.rotation == pytest.approx(math.pi / 2)  # body lying to the right: turn clockwise
    down = roi_from_alignment(np.array([0.0, 0.0]), np.array([0.0, 10.0]))
    assert abs(down.rotation) == pytest.approx(math.pi)


def test_associate_replaces_overlapping_tracked_roi() -> None:
    tracked = [Roi(100, 100, 100, 100), Roi(400, 100, 100, 100)]
    detected = [Roi(105, 100, 100, 100)]
    merged = associate(tracked, detected, 0.5)
    assert merged == [tracked[1], detected[0]]
    assert associate(tracked, [Roi(700, 700, 50, 50)], 0.5) == [*tracked, Roi(700, 700, 50, 50)]
    assert associate([tracked[0], tracked[0]], [], 0.5) == [tracked[0]]


def test_merge_detections_adds_only_new_people() -> None:
    tracked = [Roi(100, 100, 100, 100), Roi(400, 100, 100, 100)]
    assert merge_detections(tracked, [Roi(105, 100, 100, 100)], 0.5) == [tracked[1], Roi(105, 100, 100, 100)]
    big = Roi(110, 95, 220, 220)  # the same person framed much larger: IoU 0.21, same centre
    assert iou(tracked[0], big) < 0.5 and same_person(tracked[0], big, iou_threshold=0.5)
    assert merge_detections(tracked, [big], 0.5) == tracked
    far = Roi(700, 700, 50, 50)
    assert merge_detections(tracked, [far], 0.5) == [*tracked, far]
    assert merge_detections([tracked[0], tracked[0]], [], 0.5) == [tracked[0]]


# --- detector pre- and post-processing ------------------------------------------------------------

def test_letterbox_maps_tensor_to_frame() -> None:
    roi = letterbox_roi(1920, 1080)
    pad = (1 - 1080 / 1920) / 2
    uv = np.array([[0.5, 0.5], [0.0, pad], [1.0, 1.0 - pad]])
    np.testing.assert_allclose(crop_to_image(uv, roi), [[960, 540], [0, 0], [1920, 1080]], atol=1e-9)


def test_detector_input_range_and_zero_border() -> None:
    image = np.full((100, 200, 3), 255, np.uint8)
    tensor, _ = detector_input(image)
    assert tensor.shape == (1, 224, 224, 3) and tensor.dtype == np.float32
    assert tensor[0, 112, 112, 0] == pytest.approx(1.0)
    assert tensor[0, 2, 112, 0] == pytest.approx(-1.0)  # letterbox band: pixel 0 -> -1


def test_decode_recovers_a_planted_detection() -> None:
    anchors = ssd_anchors()
    raw_boxes = np.zeros((N_ANCHORS, 12), np.float32)
    raw_scores = np.full(N_ANCHORS, -10.0, np.float32)
    i = 700
    centre = np.array([0.40, 0.55])
    raw_boxes[i, 0:2] = (centre - anchors[i]) * 224
    raw_boxes[i, 2:4] = [0.2 * 224, 0.5 * 224]
    kps = np.array([[0.41, 0.60], [0.41, 0.30], [0.40, 0.40], [0.40, 0.20]])
    raw_boxes[i, 4:] = ((kps - anchors[i]) * 224).ravel()
    raw_scores[i] = 2.0
    scores, boxes, kp = decode(raw_boxes, raw_scores, anchors, 0.5)
    assert scores == pytest.approx([1 / (1 + math.exp(-2.0))])
    np.testing.assert_allclose(boxes[0], [0.30, 0.30, 0.50, 0.80], atol=1e-6)
    np.testing.assert_allclose(kp[0], kps, atol=1e-6)


def test_weighted_nms_merges_overlaps_by_score() -> None:
    scores = np.array([0.6, 0.9, 0.8], np.float32)
    boxes = np.array([[0.12, 0.1, 0.52, 0.5], [0.1, 0.1, 0.5, 0.5], [0.7, 0.7, 0.9, 0.9]], np.float32)
    kps = np.stack([np.full((4, 2), v, np.float32) for v in (0.3, 0.2, 0.8)])
    s, b, k = weighted_nms(scores, boxes, kps, 0.5)
    np.testing.assert_allclose(s, [0.9, 0.8], rtol=1e-6)
    np.testing.assert_allclose(b[0], (0.9 * boxes[1] + 0.6 * boxes[0]) / 1.5, rtol=1e-6)
    np.testing.assert_allclose(k[0], np.full((4, 2), (0.9 * 0.2 + 0.6 * 0.3) / 1.5), rtol=1e-6)
    np.testing.assert_allclose(b[1], boxes[2], rtol=1e-6)


# --- landmark decoding ---------------------------------------------------------------------------

def no_heatmap() -> NDArray[np.float32]:
    return np.full((64, 64, 39), -20.0, np.float32)  # confidence ~0: no refinement


def test_decode_landmarks_inverts_the_crop() -> None:
    roi = Roi(500.0, 400.0, 300.0, 300.0, -0.4)
    points = np.random.default_rng(2).uniform(380, 620, (39, 2))
    raw = np.zeros((39, 5), np.float32)
    raw[:, :2] = image_to_crop(points, roi) * 256
    raw[:, 3] = np.linspace(-4, 4, 39)
    xy, vis = decode_landmarks(raw.ravel(), no_heatmap(), roi)
    np.testing.assert_allclose(xy, points, atol=1e-3)
    np.testing.assert_allclose(vis, 1 / (1 + np.exp(-raw[:, 3])), rtol=1e-6)


def test_heatmap_refinement_known_answer() -> None:
    heat = no_heatmap()
    heat[20, 30, 0] = 10.0  # a confident cell near point 0
    uv = np.zeros((39, 2))
    uv[0] = [31.2 / 64, 21.7 / 64]  # window centre (31, 21) covers cell (30, 20)
    uv[1] = [0.5, 0.5]
    out = refine_with_heatmap(uv, heat)
    # Weighted mean of the 7x7 window: the confident cell dominates (sigmoid(-20) ~ 2e-9).
    np.testing.assert_allclose(out[0], [30 / 64, 20 / 64], atol=1e-6)
    np.testing.assert_allclose(out[1], uv[1])  # not confident: unchanged
    far = uv.copy()
    far[0] = [45 / 64, 21.7 / 64]  # window no longer reaches the cell
    np.testing.assert_allclose(refine_with_heatmap(far, heat)[0], far[0])


def test_landmark_input_range() -> None:
    image = np.full((50, 80, 3), 51, np.uint8)
    t = landmark_input(image, Roi(40, 25, 200, 200, 0.3))
    assert t.shape == (1, 256, 256, 3)
    np.testing.assert_allclose(t, 0.2, atol=1e-6)  # replicated border: no black margin


def test_smoother_keeps_still_points_and_resets() -> None:
    s = LandmarkSmoother()
    xy = np.array([[10.0, 20.0], [30.0, 40.0]])
    for i in range(5):
        out, vis = s(xy, np.array([0.9, 0.1]), i * 16_667, 200.0)
        np.testing.assert_allclose(out, xy)
        np.testing.assert_allclose(vis, [0.9, 0.1])
    moved, vis = s(xy + 50.0, np.array([0.0, 1.0]), 5 * 16_667, 200.0)
    assert np.all(moved < xy + 50.0) and np.all(moved > xy)  # lags behind a jump
    np.testing.assert_allclose(vis, [0.81, 0.19])  # low-pass with alpha 0.1
    s.reset()
    out, _ = s(xy + 50.0, np.array([0.9, 0.1]), 6 * 16_667, 200.0)
    np.testing.assert_allclose(out, xy + 50.0)


# --- model files and backend API -----------------------------------------------------------------

def test_committed_onnx_files_match_manifest() -> None:
    manifest = {}
    for line in (ROOT / "models" / "onnx" / "MANIFEST.sha256").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split()
            manifest[name] = digest
    for name in ("pose_detector.onnx", "pose_landmark_lite.onnx", "pose_landmark_full.onnx"):
        path = onnx_model_path(name)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == manifest[name]


def test_missing_and_unknown_models(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="unknown ONNX model"):
        onnx_model_path("yolo.onnx")
    monkeypatch.setattr("formcam.pose.backends.onnx.paths.onnx_model_dirs", lambda: [tmp_path])
    with pytest.raises(ModelError, match=r"convert_onnx\.py --models heavy"):
        onnx_model_path("pose_landmark_heavy.onnx")


def test_options_are_checked() -> None:
    with pytest.raises(ConfigError):
        OnnxOptions(model="huge")
    with pytest.raises(ConfigError):
        OnnxOptions(num_poses=0)
    with pytest.raises(ConfigError):
        OnnxOptions(num_poses=3, smooth=True)
    for bad in (-0.1, math.nan, math.inf):
        with pytest.raises(ConfigError, match="detect_interval_s"):
            OnnxOptions(detect_interval_s=bad)


def test_backend_protocol_and_empty_frame() -> None:
    backend = create_backend("onnx", model="lite", num_poses=2)
    assert isinstance(backend, PoseBackend)
    assert backend.info.name == "onnx" and backend.info.model == "lite"
    with pytest.raises(RuntimeError, match="with"):
        backend(np.zeros((10, 10, 3), np.uint8), 0.0)
    with backend:
        pose = backend(np.zeros((240, 320, 3), np.uint8), 0.0)
        assert pose.n_people == 0 and pose.keypoints.shape == (0, 33, 2)
        with pytest.raises(ValueError, match="uint8"):
            backend(np.zeros((240, 320, 3), np.float32), 0.1)  # type: ignore[arg-type]


# --- parity with MediaPipe -----------------------------------------------------------------------

def run_backend(backend: PoseBackend, frames: list[tuple[float, NDArray[np.uint8]]]) -> list[PoseFrame]:
    with backend:
        return [backend(image, t) for t, image in frames]


def parity_px(path: Path, *, num_poses: int, model: str = "full") -> NDArray[np.float64]:
    """Per-keypoint distances (px) between MediaPipe and ONNX for the first person, body keypoints."""
    frames = [(f.t_s, f.image) for f in FrameReader(path, max_frames=PARITY_FRAMES)]
    mp = run_backend(create_backend("mediapipe", model=model, num_poses=num_poses), frames)
    # MediaPipe's detector schedule (every frame while fewer than num_poses are tracked): the same
    # algorithm; the default interval's effect is measured in test_backend_parity.py
    onnx = OnnxBackend(OnnxOptions(model=model, num_poses=num_poses, detect_interval_s=0.0))
    ox = run_backend(onnx, frames)
    found_mp = sum(p.n_people > 0 for p in mp)
    found_ox = sum(p.n_people > 0 for p in ox)
    assert abs(found_mp - found_ox) <= 2, (found_mp, found_ox)
    d = [np.linalg.norm(a.keypoints[0, BODY] - b.keypoints[0, BODY], axis=1)
         for a, b in zip(mp, ox, strict=True) if a.n_people and b.n_people]
    assert len(d) >= 0.9 * found_mp
    return np.concatenate(d)


@pytest.mark.skipif(not SIDE.is_file(), reason="sample_videos/side_phantom.mp4 is absent")
@pytest.mark.parametrize("num_poses", [3, 1])
def test_parity_with_mediapipe_on_phantom(num_poses: int) -> None:
    d = parity_px(SIDE, num_poses=num_poses)
    assert float(np.median(d)) <= MAX_MEDIAN_PX


@pytest.mark.shared
def test_parity_with_mediapipe_on_real_clip(shared_video) -> None:  # type: ignore[no-untyped-def]
    # num_poses=3 as formcam analyses (the detector anchors every frame). With num_poses=1
    # MediaPipe tracks from its own landmarks and smooths them; that loop amplifies 0.05 px
    # input differences into ~5 px on real clips, for MediaPipe itself as for ONNX.
    d = parity_px(shared_video("side_treadmill_01_portrait_60fps.mp4"), num_poses=3)
    assert float(np.median(d)) <= MAX_MEDIAN_PX


def test_bad_model_file_is_a_model_error(tmp_path: Path) -> None:
    from formcam.pose.backends.onnx.backend import default_providers, make_session

    bad = tmp_path / "pose_detector.onnx"
    bad.write_bytes(b"not a model")
    assert default_providers()[-1] == "CPUExecutionProvider"
    with pytest.raises(ModelError, match="onnxruntime could not load"):
        make_session(bad, threads=1, providers=["CPUExecutionProvider"])


def test_threads_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    from formcam.pose.backends.onnx.backend import THREADS_ENV, default_threads

    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert 1 <= default_threads() <= 4
    for cores, threads in ((1, 1), (2, 2), (4, 3), (16, 4)):  # a core left for decoding, from 3 cores
        monkeypatch.setattr("os.cpu_count", lambda cores=cores: cores)
        assert default_threads() == threads
    monkeypatch.setenv(THREADS_ENV, "3")
    assert default_threads() == 3
    monkeypatch.setenv(THREADS_ENV, "many")
    with pytest.raises(ConfigError, match=THREADS_ENV):
        default_threads()


def test_detection_schedule_on_the_sample() -> None:
    frames = [(f.t_s, f.image) for f in FrameReader(SIDE, max_frames=40)]  # 60 fps: 0.65 s
    every = OnnxBackend(OnnxOptions(model="lite", num_poses=3, detect_interval_s=0.0))
    run_backend(every, frames)
    assert every.detector_runs == 40  # as MediaPipe: every frame while fewer than num_poses
    timed = OnnxBackend(OnnxOptions(model="lite", num_poses=3, detect_interval_s=0.25))
    poses = run_backend(timed, frames)
    assert timed.detector_runs == 3  # frames 0, 15 and 30: one runner tracked, fewer than 3
    assert all(p.n_people == 1 for p in poses)  # no duplicate of the tracked runner


class FakeDetector:
    """Stands in for :class:`PoseDetector`: finds the people listed in ``scene`` (their ROIs)."""

    def __init__(self, scene: dict[str, Roi]) -> None:
        self.scene, self.calls = scene, 0

    def __call__(self, image: NDArray[np.uint8]) -> FakeDetector:
        self.calls += 1
        return self

    def rois(self) -> list[Roi]:
        # looser boxes than the tracked ROIs: IoU 0.31 with them, though the centres agree
        return [Roi(r.cx + 3, r.cy, r.width * 1.8, r.height * 1.8) for r in self.scene.values()]


class FakeLandmarks:
    """Stands in for :class:`LandmarkModel`: a person is present where ``scene`` has someone."""

    def __init__(self, scene: dict[str, Roi]) -> None:
        self.scene = scene

    def __call__(self, image: NDArray[np.uint8], roi: Roi) -> LandmarkResult:
        found = [r for r in self.scene.values() if math.hypot(r.cx - roi.cx, r.cy - roi.cy) < 50]
        xy = np.tile([roi.cx, roi.cy], (33, 1))
        return LandmarkResult(xy=xy, visibility=np.ones(33), presence=1.0 if found else 0.0,
                              next_roi=found[0] if found else roi)


def fake_backend(scene: dict[str, Roi], **options: float) -> OnnxBackend:
    backend = OnnxBackend(OnnxOptions(num_poses=3, **options))  # type: ignore[arg-type]
    backend._detector, backend._landmarks = FakeDetector(scene), FakeLandmarks(scene)  # type: ignore[assignment]
    return backend


def test_detector_runs_every_interval_and_after_a_lost_track() -> None:
    a, b = Roi(200, 300, 200, 200), Roi(600, 300, 200, 200)
    scene = {"a": a, "b": b}
    backend = fake_backend(scene, detect_interval_s=0.5)
    image = np.zeros((4, 4, 3), np.uint8)
    runs = []
    for i in range(100):  # 50 fps: 2 s
        if i == 40:
            del scene["b"]  # b leaves: the next frame re-detects at once
        if i == 70:
            scene["c"] = Roi(900, 300, 200, 200)  # c arrives: found at the next scheduled run
        before = backend.detector_runs
        pose = backend(image, i / 50)
        runs += [i] * (backend.detector_runs - before)
        assert pose.n_people == len(scene) or 70 <= i < 91  # no duplicates; c waits for its run
    assert runs == [0, 25, 41, 66, 91]


def test_tracks_converging_on_one_person_trigger_detection() -> None:
    a, b = Roi(200, 300, 200, 200), Roi(600, 300, 200, 200)
    backend = fake_backend({"a": a, "b": b}, detect_interval_s=10.0)
    image = np.zeros((4, 4, 3), np.uint8)
    backend(image, 0.0)
    backend(image, 0.02)
    assert backend.detector_runs == 1
    backend._tracked = [a, Roi(205, 300, 200, 200)]  # b's track drifted onto a
    assert backend(image, 0.04).n_people == 2  # collapsed, detected again, b found
    assert backend.detector_runs == 2


def test_detector_is_idle_while_num_poses_are_tracked() -> None:
    scene = {k: Roi(200 + 300 * k, 300, 200, 200) for k in range(3)}
    backend = fake_backend({str(k): r for k, r in scene.items()}, detect_interval_s=0.0)
    for i in range(10):
        assert backend(np.zeros((4, 4, 3), np.uint8), i / 30).n_people == 3
    assert backend.detector_runs == 1


def test_onnx_backend_finds_the_phantom_runner() -> None:
    frames = [(f.t_s, f.image) for f in FrameReader(SIDE, max_frames=10)]
    backend = OnnxBackend(OnnxOptions(model="lite", num_poses=1))
    poses = run_backend(backend, frames)
    assert all(p.n_people == 1 for p in poses)
    assert backend.detector_runs == 1  # tracked from the landmarks after the first frame
    assert np.all((poses[-1].scores >= 0) & (poses[-1].scores <= 1))


def test_every_frame_detection_keeps_a_second_person_as_mediapipe() -> None:
    """On MediaPipe's schedule a detection that overlaps no tracked ROI with IoU > 0.5 is a new
    person, even with its centre near a tracked one (a coach in front of the runner); only with a
    detector interval are such detections taken for the tracked person."""
    runner, coach = Roi(400, 300, 200, 200), Roi(460, 300, 120, 400)  # IoU 0.31, centres 60 px apart
    image = np.zeros((4, 4, 3), np.uint8)
    for interval, people in ((0.0, 2), (0.5, 1)):
        scene = {"runner": runner}
        backend = fake_backend(scene, detect_interval_s=interval)
        backend._detector.rois = lambda: [runner, coach]  # type: ignore[method-assign]
        backend._landmarks = FakeLandmarks({"runner": runner, "coach": coach})  # type: ignore[assignment]
        assert backend(image, 0.0).n_people == people, interval  # the detector runs: nobody tracked yet
        if not interval:
            assert backend(image, 0.02).n_people == 2  # and again while fewer than 3 are tracked


def test_look_ahead_gives_the_same_detections() -> None:
    scene = {"a": Roi(200, 300, 200, 200)}
    image = np.zeros((4, 4, 3), np.uint8)
    plain, ahead = fake_backend(dict(scene)), fake_backend(dict(scene))
    from concurrent.futures import ThreadPoolExecutor

    ahead._ahead = ThreadPoolExecutor(max_workers=1)
    try:
        for i in range(5):
            ahead.look_ahead(image, (i + 1) / 30)  # the next frame, offered before this one
            a, b = plain(image, i / 30), ahead(image, i / 30)
            np.testing.assert_array_equal(a.keypoints, b.keypoints)
        assert ahead.detector_runs == plain.detector_runs == 5
        assert ahead._detector.calls == 6  # type: ignore[attr-defined]  # one look-ahead left unused
    finally:
        ahead._ahead.shutdown()


def test_backends_in_one_process_share_their_sessions() -> None:
    """A batch worker analyses video after video: each model is loaded once per process."""
    from formcam.pose.backends.onnx.paths import DETECTOR_FILE, onnx_model_path

    try:
        onnx_model_path(DETECTOR_FILE)
    except ModelError:
        pytest.skip("the ONNX models (models/onnx) are not installed")
    with OnnxBackend(OnnxOptions(model="lite")) as first:
        sessions = (first._detector._session, first._landmarks._session)  # type: ignore[union-attr]
    with OnnxBackend(OnnxOptions(model="lite")) as second:
        assert (second._detector._session, second._landmarks._session) == sessions  # type: ignore[union-attr]
        second.reset()
        assert second._tracked == []
