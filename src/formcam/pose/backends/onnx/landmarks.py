"""The BlazePose landmark model: ROI crop, decoding, heatmap refinement, tracking ROI.

Follows MediaPipe's Tasks ``SinglePoseLandmarksDetectorGraph``:

1. the rotated ROI resampled corner to corner to 256x256 with a replicated
   border (the ImageToTensor default), scaled to [0, 1];
2. outputs ``landmarks [1, 195]`` = 39 x (x, y, z, visibility logit, presence
   logit) with x, y in pixels of the 256 crop (33 BlazePose landmarks, then 2
   auxiliary points: 33 hip centre, 34 body scale/rotation point),
   ``presence [1, 1]`` the pose-presence probability, and ``heatmap
   [1, 64, 64, 39]`` logits;
3. ``RefineLandmarksFromHeatmap`` (kernel 7, min confidence 0.5): each point
   moves to the sigmoid-weighted mean cell of a 7x7 heatmap window around it;
4. ``LandmarkProjection`` back to image pixels; visibility = sigmoid(logit);
5. the next frame's ROI from the auxiliary points, as the detector's ROI
   (:func:`~formcam.pose.backends.onnx.roi.roi_from_alignment`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.pose.backends.base import PoseImage
from formcam.pose.backends.onnx.roi import Roi, crop, crop_to_image, roi_from_alignment

INPUT_SIZE = 256
N_POINTS = 39
N_BODY = 33
VALUES_PER_POINT = 5
HEATMAP_KERNEL = 7
HEATMAP_MIN_CONFIDENCE = 0.5
AUX_CENTER, AUX_SCALE = 33, 34


@dataclass(frozen=True)
class LandmarkResult:
    """One person's landmarks from one ROI.

    Attributes:
        xy: ``(33, 2)`` float64 image pixels.
        visibility: ``(33,)`` float64 in [0, 1].
        presence: pose-presence probability in [0, 1].
        next_roi: ROI for the same person in the next frame (from the auxiliary points).
    """

    xy: NDArray[np.float64]
    visibility: NDArray[np.float64]
    presence: float
    next_roi: Roi


def landmark_input(image: PoseImage, roi: Roi) -> NDArray[np.float32]:
    """``(1, 256, 256, 3)`` float32 tensor in [0, 1] of ``roi`` in an RGB frame."""
    pixels = crop(image, roi, INPUT_SIZE, replicate=True)
    return (pixels.astype(np.float32) * np.float32(1.0 / 255.0))[None]


def sigmoid(x: NDArray[np.floating]) -> NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def refine_with_heatmap(uv: NDArray[np.floating], heatmap: NDArray[np.floating],
                        kernel: int = HEATMAP_KERNEL,
                        min_confidence: float = HEATMAP_MIN_CONFIDENCE) -> NDArray[np.float64]:
    """MediaPipe's ``RefineLandmarksFromHeatMap`` on crop-normalised points.

    Args:
        uv: ``(K, 2)`` points in [0, 1] of the crop.
        heatmap: ``(Hh, Wh, K)`` logits.

    Returns:
        ``(K, 2)`` refined points. Replicates MediaPipe exactly, including its
        integer truncation of the window centre, the ``col / width`` (not
        ``col + 0.5``) cell coordinate, and its bounds check, which tests the
        column against the height and never skips a point below the heatmap.
    """
    hh, hw, k = heatmap.shape
    out = np.array(uv, dtype=np.float64, copy=True)
    col = np.trunc(np.asarray(uv[:, 0], dtype=np.float32) * np.float32(hw)).astype(np.int64)
    row = np.trunc(np.asarray(uv[:, 1], dtype=np.float32) * np.float32(hh)).astype(np.int64)
    inside = (col >= 0) & (col < hw) & (row >= 0) & (col < hh)  # sic: MediaPipe's check
    off = (kernel - 1) // 2
    steps = np.arange(-off, off + 1)
    rows = row[:, None] + steps[None, :]  # (K, kernel)
    cols = col[:, None] + steps[None, :]
    valid = ((rows >= 0) & (rows < hh))[:, :, None] & ((cols >= 0) & (cols < hw))[:, None, :]
    rr = np.clip(rows, 0, hh - 1)[:, :, None]
    cc = np.clip(cols, 0, hw - 1)[:, None, :]
    ch = np.arange(k)[:, None, None]
    conf = np.where(valid, sigmoid(heatmap[rr, cc, ch]), 0.0)  # (K, kernel, kernel)
    total = conf.sum(axis=(1, 2))
    peak = conf.max(axis=(1, 2))
    ok = inside & (peak >= min_confidence) & (total > 0)
    safe = np.where(total > 0, total, 1.0)
    wcol = (conf * np.broadcast_to(cols[:, None, :], conf.shape)).sum(axis=(1, 2)) / safe
    wrow = (conf * np.broadcast_to(rows[:, :, None], conf.shape)).sum(axis=(1, 2)) / safe
    out[ok, 0] = wcol[ok] / hw
    out[ok, 1] = wrow[ok] / hh
    return out


def decode_landmarks(raw: NDArray[np.floating], heatmap: NDArray[np.floating],
                     roi: Roi) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Raw ``(195,)`` landmark output and ``(64, 64, 39)`` heatmap to image pixels.

    Returns:
        ``xy (39, 2)`` image pixels (33 landmarks and the 2 auxiliary points) and
        ``visibility (39,)`` in [0, 1].
    """
    values = np.asarray(raw, dtype=np.float32).reshape(N_POINTS, VALUES_PER_POINT)
    uv = values[:, 0:2] / np.float32(INPUT_SIZE)
    uv = refine_with_heatmap(uv, heatmap)
    return crop_to_image(uv, roi), sigmoid(values[:, 3])


class LandmarkModel:
    """Runs a landmark ONNX model on one ROI at a time (one onnxruntime session)."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def __call__(self, image: PoseImage, roi: Roi) -> LandmarkResult:
        """Landmarks of the person in ``roi`` of an ``(H, W, 3)`` uint8 RGB frame."""
        raw, presence, heatmap = self._session.run(["landmarks", "presence", "heatmap"],
                                                   {"image": landmark_input(image, roi)})
        xy, vis = decode_landmarks(raw[0], heatmap[0], roi)
        return LandmarkResult(xy=xy[:N_BODY], visibility=vis[:N_BODY], presence=float(presence.ravel()[0]),
                              next_roi=roi_from_alignment(xy[AUX_CENTER], xy[AUX_SCALE]))
