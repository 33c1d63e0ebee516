"""Small, distant runners: motion boxes, a gliding crop, and keypoints mapped back to the frame."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.pose import Crops, Detections, crop_track, motion_boxes, to_frame_coords, zoomed_frames
from formcam.video import Frame

W, H, FPS = 960, 540, 30.0


def _frames(n: int = 40, size: int = 60) -> list[Frame]:
    """A textured block ``size`` px tall moving right 8 px a frame over a still, noisy background."""
    rng = np.random.default_rng(0)
    background = rng.integers(90, 110, (H, W, 3), dtype=np.uint8)
    block = rng.integers(0, 255, (size, size // 3, 3), dtype=np.uint8)
    out = []
    for i in range(n):
        img = background.copy()
        x, y = 100 + 8 * i, 300
        img[y:y + size, x:x + size // 3] = block
        out.append(Frame(index=i, t_s=i / FPS, pixels=img))
    return out


def test_motion_boxes_follow_the_moving_block() -> None:
    t, boxes = motion_boxes(_frames(), width=W)
    assert t.shape == (40,) and boxes.shape == (40, 4)
    assert np.isnan(boxes[:2]).all()                 # no frame to compare with yet
    ok = boxes[2:]
    assert np.isfinite(ok).all()
    assert np.all(np.abs(ok[:, 3] - 60) < 15)        # height of the block
    centre = ok[:, 0] + ok[:, 2] / 2
    assert np.all(np.diff(centre) > 0)               # moves right with it


def test_crop_glides_stays_in_frame_and_zooms() -> None:
    _, boxes = motion_boxes(_frames(), width=W)
    crops = crop_track(boxes, width=W, height=H, fps=FPS)
    assert crops is not None
    x0, y0, side = crops.boxes.T
    assert np.all(side == side[0]) and 160 <= side[0] <= H
    assert np.all((x0 >= 0) & (x0 + side <= W) & (y0 >= 0) & (y0 + side <= H))
    assert np.all(np.diff(x0[3:]) >= 0)
    assert crop_track(np.full((10, 4), np.nan), width=W, height=H, fps=FPS) is None


def test_zoomed_frames_and_mapping_back_invert_each_other() -> None:
    frames = _frames(5)
    crops = Crops(np.array([[100.0 + 10 * i, 50.0, 300.0] for i in range(5)]), out_px=600)
    zoomed = list(zoomed_frames(frames, crops))
    assert len(zoomed) == 5 and zoomed[0].pixels.shape == (600, 600, 3)
    # a keypoint at crop pixel (300, 150) is frame pixel (x0 + 150, y0 + 75)
    kp = [np.array([[[300.0, 150.0]]]) for _ in range(5)]
    det = Detections(keypoints=kp, scores=[np.ones((1, 1))] * 5, t_s=np.arange(5) / FPS,
                     keypoint_names=("nose",), width=600, height=600, fps=FPS)
    back = to_frame_coords(det, crops, width=W, height=H)
    assert (back.width, back.height) == (W, H)
    for i in range(5):
        assert back.keypoints[i][0, 0] == pytest.approx([100 + 10 * i + 150, 125.0])
