"""The BlazePose person detector: pre-processing, box decoding, weighted NMS, pose ROIs.

Follows MediaPipe's Tasks ``PoseDetectorGraph``:

1. the whole frame, letterboxed to a square (long side, centred, zero border),
   resampled corner to corner to 224x224 and scaled to [-1, 1];
2. ``TensorsToDetections``: per anchor, 12 regressors (box centre x, y, width,
   height, then 4 keypoints x, y; all in pixels of the 224 input, relative to the
   anchor centre) and a score logit (clipped to +-100, sigmoid, kept if >= the
   detection threshold);
3. weighted non-maximum suppression (IoU > 0.5 joins a cluster; the cluster's box
   and keypoints are the score-weighted mean, its score the best one's);
4. letterbox removal, then the pose ROI from keypoint 0 (hip centre) and 1 (a
   point whose distance gives the body size and whose direction gives the
   rotation), expanded x1.25 (:func:`~formcam.pose.backends.onnx.roi.roi_from_alignment`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.pose.backends.base import PoseImage
from formcam.pose.backends.onnx.anchors import INPUT_SIZE, N_ANCHORS, ssd_anchors
from formcam.pose.backends.onnx.roi import Roi, crop, crop_to_image, roi_from_alignment

N_KEYPOINTS = 4
SCORE_CLIP = 100.0
DEFAULT_NMS_IOU = 0.5  # PoseDetectorGraphOptions.min_suppression_threshold default


@dataclass(frozen=True)
class Detections:
    """Detected people, best first.

    Attributes:
        scores: ``(N,)`` probabilities.
        boxes: ``(N, 4)`` ``xmin, ymin, xmax, ymax`` in image pixels.
        keypoints: ``(N, 4, 2)`` detector keypoints in image pixels (0 hip centre,
            1 full-body scale point, 2 shoulder centre, 3 upper-body scale point).
    """

    scores: NDArray[np.float64]
    boxes: NDArray[np.float64]
    keypoints: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    def rois(self) -> list[Roi]:
        """Expanded pose ROIs, one per detection (landmark-model input regions)."""
        return [roi_from_alignment(kp[0], kp[1]) for kp in self.keypoints]


def letterbox_roi(width: int, height: int) -> Roi:
    """The square ROI that letterboxes a whole ``width x height`` frame (centred, long side)."""
    side = float(max(width, height))
    return Roi(width / 2.0, height / 2.0, side, side, 0.0)


def detector_input(image: PoseImage) -> tuple[NDArray[np.float32], Roi]:
    """``(1, 224, 224, 3)`` float32 tensor in [-1, 1] of a whole RGB frame, and its letterbox ROI."""
    roi = letterbox_roi(image.shape[1], image.shape[0])
    pixels = crop(image, roi, INPUT_SIZE, replicate=False)
    tensor = pixels.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
    return tensor[None], roi


def decode(raw_boxes: NDArray[np.float32], raw_scores: NDArray[np.float32], anchors: NDArray[np.float32],
           min_score: float) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """Decode the detector outputs of anchors scoring at least ``min_score``.

    Args:
        raw_boxes: ``(2254, 12)`` regressors in input pixels.
        raw_scores: ``(2254,)`` logits.
        anchors: ``(2254, 2)`` anchor centres in [0, 1].

    Returns:
        ``scores (N,)``, ``boxes (N, 4)`` xmin, ymin, xmax, ymax and ``keypoints (N, 4, 2)``,
        in tensor-normalised coordinates ([0, 1] across the 224 input).
    """
    logits = np.clip(np.asarray(raw_scores, dtype=np.float64), -SCORE_CLIP, SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(scores >= min_score)
    reg = raw_boxes[keep] / np.float32(INPUT_SIZE)
    centre = anchors[keep]
    cxy = reg[:, 0:2] + centre
    half = reg[:, 2:4] / 2.0
    boxes = np.concatenate([cxy - half, cxy + half], axis=1)
    kps = reg[:, 4:4 + 2 * N_KEYPOINTS].reshape(-1, N_KEYPOINTS, 2) + centre[:, None, :]
    return scores[keep].astype(np.float32), boxes.astype(np.float32), kps.astype(np.float32)


def box_iou(box: NDArray[np.float32], boxes: NDArray[np.float32]) -> NDArray[np.float64]:
    """IoU of one ``(4,)`` box with ``(N, 4)`` boxes (xmin, ymin, xmax, ymax)."""
    iw = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    ih = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0).astype(np.float64)


Arrays3 = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


def weighted_nms(scores: NDArray[np.float32], boxes: NDArray[np.float32], keypoints: NDArray[np.float32],
                 iou_threshold: float) -> Arrays3:
    """MediaPipe's ``WeightedNonMaxSuppression``; returns merged ``scores, boxes, keypoints``, best first.

    Taking the best remaining detection, every remaining detection with IoU above
    ``iou_threshold`` (itself included) joins its cluster; the output box and
    keypoints are the cluster's score-weighted means and its score the best score.
    """
    order = np.argsort(-scores, kind="stable")
    out_s: list[float] = []
    out_b: list[NDArray[np.float64]] = []
    out_k: list[NDArray[np.float64]] = []
    while order.size:
        best = order[0]
        overlap = box_iou(boxes[best], boxes[order]) > iou_threshold
        overlap[0] = True  # the best always joins its own cluster (even a degenerate box)
        members = order[overlap]
        w = scores[members].astype(np.float64)
        total = float(w.sum())
        out_s.append(float(scores[best]))
        out_b.append((boxes[members].astype(np.float64) * w[:, None]).sum(axis=0) / total)
        out_k.append((keypoints[members].astype(np.float64) * w[:, None, None]).sum(axis=0) / total)
        order = order[~overlap]
    if not out_s:
        return np.zeros(0), np.zeros((0, 4)), np.zeros((0, N_KEYPOINTS, 2))
    return np.array(out_s), np.stack(out_b), np.stack(out_k)


class PoseDetector:
    """Runs the detector ONNX model on whole frames (one onnxruntime session)."""

    def __init__(self, session: Any, *, min_score: float = 0.5, nms_iou: float = DEFAULT_NMS_IOU) -> None:
        self._session = session
        self._anchors = ssd_anchors()
        if self._anchors.shape[0] != N_ANCHORS:
            raise AssertionError(f"expected {N_ANCHORS} anchors, got {self._anchors.shape[0]}")
        self.min_score = min_score
        self.nms_iou = nms_iou

    def __call__(self, image: PoseImage) -> Detections:
        """Detect people in an ``(H, W, 3)`` uint8 RGB frame; boxes and keypoints in its pixels."""
        tensor, roi = detector_input(image)
        raw_boxes, raw_scores = self._session.run(["boxes", "scores"], {"image": tensor})
        scores, boxes, kps = decode(raw_boxes[0], raw_scores[0, :, 0], self._anchors, self.min_score)
        s, b, k = weighted_nms(scores, boxes, kps, self.nms_iou)
        if s.size == 0:
            return Detections(s, b, k)
        kp_px = crop_to_image(k.reshape(-1, 2), roi).reshape(-1, N_KEYPOINTS, 2)
        corners = crop_to_image(b.reshape(-1, 2), roi).reshape(-1, 4)
        return Detections(scores=s, boxes=corners, keypoints=kp_px)
