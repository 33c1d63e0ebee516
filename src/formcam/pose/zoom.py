"""Small, distant runners: find the moving person, then run the pose model on a zoomed crop.

The pose model's person detector sees the whole frame at a few hundred pixels, so a
runner 8-15 % of the frame height (a sprinter across a track, a phone far away) is a
few dozen pixels there and is not found. When the full-frame pass finds nobody usable,
formcam looks for motion instead (the camera is assumed still: frame differences on a
small grey copy, the largest moving blob per frame, :func:`motion_boxes`), follows the
blob with a square crop about :data:`ZOOM` times its height (:func:`crop_track`,
smoothed so the crop glides rather than jumps) and runs the model on those crops
(:func:`zoomed_frames`); the keypoints are mapped back to frame pixels
(:func:`to_frame_coords`). Everything downstream is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import cv2
import numpy as np
from numpy.typing import NDArray

from formcam.pose.estimate import Detections
from formcam.video import Frame

Arr = NDArray[np.float64]
MOTION_WIDTH_PX = 480
"""Width of the grey copy the motion is measured on (px)."""
ZOOM = 2.5
"""Crop side / moving blob height."""
CROP_PX = 512
"""Side of the square image the pose model is given (px)."""


@dataclass(frozen=True)
class Crops:
    """Per frame, the square crop ``(x0, y0, side)`` in frame pixels (``side`` 0: no crop)."""

    boxes: NDArray[np.float64]
    out_px: int = CROP_PX

    def scale(self, i: int) -> float:
        """Frame pixels per crop-image pixel at frame ``i``."""
        return float(self.boxes[i, 2]) / self.out_px


def motion_boxes(frames: Iterable[Frame], *, width: int, lag: int = 2, min_area_frac: float = 2e-4,
                 threshold: int = 20) -> tuple[Arr, Arr]:
    """``(t_s (T,), boxes (T, 4))``: each frame's largest moving region ``x, y, w, h`` in frame
    pixels (NaN where nothing moved), from the difference with the frame ``lag`` before."""
    k = MOTION_WIDTH_PX / float(width)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    history: list[NDArray[np.uint8]] = []
    times: list[float] = []
    boxes: list[list[float]] = []
    for frame in frames:
        img = frame.image
        size = (MOTION_WIDTH_PX, max(1, round(img.shape[0] * k)))
        small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        grey = np.asarray(cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0),
                          dtype=np.uint8)
        history.append(grey)
        times.append(frame.t_s)
        box = [np.nan] * 4
        if len(history) > lag:
            diff = cv2.absdiff(grey, history.pop(0))
            moving = (diff > threshold).astype(np.uint8)
            mask = cv2.morphologyEx(moving, cv2.MORPH_CLOSE, kernel, iterations=2)
            n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
            if n > 1:
                j = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
                if stats[j, cv2.CC_STAT_AREA] >= min_area_frac * mask.size:
                    box = [float(v) / k for v in stats[j, :4]]
        boxes.append(box)
    return np.asarray(times, dtype=np.float64), np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


def crop_track(boxes: Arr, *, width: int, height: int, fps: float, zoom: float = ZOOM,
               smooth_s: float = 0.3) -> Crops | None:
    """Square crops following the moving blob (centre median-filtered over ``smooth_s``, side
    ``zoom`` x the blob's median height, at least 160 px); None when nothing moved."""
    from scipy.ndimage import median_filter  # only a zoom pass needs it: keeps scipy out of start-up

    ok = np.isfinite(boxes[:, 0])
    if ok.sum() < 3:
        return None
    idx = np.arange(len(boxes))
    cx = np.interp(idx, idx[ok], boxes[ok, 0] + boxes[ok, 2] / 2)
    cy = np.interp(idx, idx[ok], boxes[ok, 1] + boxes[ok, 3] / 2)
    w = max(3, round(smooth_s * fps) | 1)
    cx, cy = median_filter(cx, w, mode="nearest"), median_filter(cy, w, mode="nearest")
    side = float(np.clip(zoom * np.median(boxes[ok, 3]), 160.0, min(width, height)))
    x0 = np.clip(cx - side / 2, 0, width - side)
    y0 = np.clip(cy - side / 2, 0, height - side)
    return Crops(np.column_stack([x0, y0, np.full_like(x0, side)]))


def zoomed_frames(frames: Iterable[Frame], crops: Crops) -> Iterator[Frame]:
    """Each frame's crop, resized to ``crops.out_px`` square (RGB)."""
    for i, frame in enumerate(frames):
        if i >= len(crops.boxes):
            return
        x0, y0, side = (round(v) for v in crops.boxes[i])
        img = frame.image[y0:y0 + side, x0:x0 + side]
        out = cv2.resize(img, (crops.out_px, crops.out_px), interpolation=cv2.INTER_CUBIC)
        yield replace(frame, pixels=np.ascontiguousarray(out))


def to_frame_coords(det: Detections, crops: Crops, *, width: int, height: int) -> Detections:
    """``det`` found on :func:`zoomed_frames` with its keypoints in frame pixels."""
    kps = []
    for i, kp in enumerate(det.keypoints):
        k = crops.scale(i)
        kps.append(kp * k + crops.boxes[i, :2])
    return replace(det, keypoints=kps, width=width, height=height)
