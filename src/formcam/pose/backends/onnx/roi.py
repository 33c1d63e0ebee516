"""Rotated regions of interest and MediaPipe's crop geometry (pure NumPy/OpenCV).

A :class:`Roi` is MediaPipe's ``NormalizedRect`` in image pixels: a rectangle
with centre ``(cx, cy)``, size ``width x height`` and a rotation in radians
(positive turns the rectangle clockwise on screen, since image y points down).

Cropping copies MediaPipe's ``ImageToTensorCalculator`` (OpenCV converter): the
four corners from ``cv::boxPoints`` map *corner to corner* onto the tensor, i.e.
the rectangle's extent ``[0, side]`` lands on ``[0, size]`` in continuous
coordinates, and ``cv::warpPerspective`` resamples bilinearly on the uint8 image
before the value-range conversion (so a zero border is pixel 0, e.g. -1 in a
[-1, 1] tensor). Points go back with
``p = c + R(rotation) @ ((u - 0.5) * width, (v - 0.5) * height)`` for
crop-normalised ``(u, v)`` in [0, 1] (MediaPipe's ``LandmarkProjection`` for the
square ROIs it uses).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from formcam.pose.backends.base import PoseImage
from formcam.video import YuvImage

ROI_SCALE = 1.25
"""MediaPipe's expansion of the pose rectangle (pose_detection_to_roi, RectTransformation)."""


@dataclass(frozen=True)
class Roi:
    """A rotated rectangle in image pixels.

    Attributes:
        cx, cy: centre in pixels.
        width, height: side lengths in pixels (before rotation).
        rotation: radians in (-pi, pi]; positive is clockwise on screen.
    """

    cx: float
    cy: float
    width: float
    height: float
    rotation: float = 0.0

    def corners(self) -> NDArray[np.float32]:
        """``(4, 2)`` float32 corners in ``cv::boxPoints`` order (bottom-left, top-left, top-right,
        bottom-right of the unrotated rectangle)."""
        box = ((self.cx, self.cy), (self.width, self.height), math.degrees(self.rotation))
        return np.asarray(cv2.boxPoints(box), dtype=np.float32)  # type: ignore[arg-type]


def normalize_radians(angle: float) -> float:
    """Wrap ``angle`` into [-pi, pi) as MediaPipe's ``NormalizeRadians``."""
    return angle - 2.0 * math.pi * math.floor((angle + math.pi) / (2.0 * math.pi))


def crop_matrix(roi: Roi, size: int) -> NDArray[np.float64]:
    """``(3, 3)`` perspective matrix from image pixels to a ``size x size`` tensor (corner to corner)."""
    dst = np.array([[0.0, size], [0.0, 0.0], [size, 0.0], [size, size]], dtype=np.float32)
    return np.asarray(cv2.getPerspectiveTransform(roi.corners(), dst), dtype=np.float64)


def crop(image: PoseImage, roi: Roi, size: int, *, replicate: bool) -> NDArray[np.uint8]:
    """Resample ``roi`` of an ``(H, W, 3)`` uint8 RGB image into ``(size, size, 3)`` uint8 RGB.

    ``replicate`` selects ``BORDER_REPLICATE`` (MediaPipe's landmark model) rather
    than a zero border (its detector). YUV planes are resampled plane by plane and
    only the crop is converted (:meth:`formcam.video.yuv.YuvImage.warp`).
    """
    if isinstance(image, YuvImage):
        return image.warp(crop_matrix(roi, size), size, replicate=replicate)
    border = cv2.BORDER_REPLICATE if replicate else cv2.BORDER_CONSTANT
    out = cv2.warpPerspective(image, crop_matrix(roi, size), (size, size), flags=cv2.INTER_LINEAR,
                              borderMode=border, borderValue=(0, 0, 0))
    return np.asarray(out, dtype=np.uint8)


def crop_to_image(uv: NDArray[np.floating], roi: Roi) -> NDArray[np.float64]:
    """Map ``(N, 2)`` crop-normalised points (``[0, 1]`` across the crop) to ``(N, 2)`` image pixels.

    ``p = c + R(rotation) @ ((u - 0.5) * width, (v - 0.5) * height)``, the inverse of
    the crop. For the square ROIs of the landmark model, and for unrotated ROIs, this
    is exactly MediaPipe's ``LandmarkProjection`` (which rotates before scaling).
    """
    d = np.asarray(uv, dtype=np.float64) - 0.5
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    dx, dy = d[:, 0] * roi.width, d[:, 1] * roi.height
    return np.stack([roi.cx + c * dx - s * dy, roi.cy + s * dx + c * dy], axis=1)


def image_to_crop(xy: NDArray[np.floating], roi: Roi) -> NDArray[np.float64]:
    """Inverse of :func:`crop_to_image`: ``(N, 2)`` image pixels to crop-normalised points."""
    d = np.asarray(xy, dtype=np.float64) - np.array([roi.cx, roi.cy])
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    u = (c * d[:, 0] + s * d[:, 1]) / roi.width + 0.5
    v = (-s * d[:, 0] + c * d[:, 1]) / roi.height + 0.5
    return np.stack([u, v], axis=1)


def roi_from_alignment(center: NDArray[np.floating], scale_point: NDArray[np.floating]) -> Roi:
    """The expanded pose ROI from two alignment keypoints in pixels.

    MediaPipe's ``AlignmentPointsRectsCalculator`` (centre = ``center``, side = twice
    the distance to ``scale_point``, rotation that turns the centre -> scale-point
    vector upright, target angle 90 degrees) followed by ``RectTransformation``
    (``square_long``, scale 1.25). Used for detections (hip centre and full-body
    scale point) and for tracking (landmark-model auxiliary points 33 and 34).
    """
    x0, y0 = float(center[0]), float(center[1])
    x1, y1 = float(scale_point[0]), float(scale_point[1])
    side = 2.0 * math.hypot(x1 - x0, y1 - y0) * ROI_SCALE
    rotation = normalize_radians(math.pi / 2.0 - math.atan2(-(y1 - y0), x1 - x0))
    return Roi(x0, y0, side, side, rotation)


def iou(a: Roi, b: Roi) -> float:
    """Intersection over union of the axis-aligned boxes of two ROIs, ignoring rotation.

    As MediaPipe's ``AssociationNormRectCalculator`` (the ratio is the same in
    normalised and pixel coordinates).
    """
    ax0, ay0, ax1, ay1 = a.cx - a.width / 2, a.cy - a.height / 2, a.cx + a.width / 2, a.cy + a.height / 2
    bx0, by0, bx1, by1 = b.cx - b.width / 2, b.cy - b.height / 2, b.cx + b.width / 2, b.cy + b.height / 2
    iw, ih = min(ax1, bx1) - max(ax0, bx0), min(ay1, by1) - max(ay0, by0)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def associate(tracked: list[Roi], detected: list[Roi], threshold: float) -> list[Roi]:
    """Merge tracked and detected ROIs as MediaPipe's ``AssociationNormRectCalculator``.

    Each ROI in turn (tracked first, then detected) removes every earlier ROI it
    overlaps with IoU above ``threshold`` and is appended: a fresh detection replaces
    the tracked ROI of the same person, and duplicates among tracked ROIs collapse.
    """
    result: list[Roi] = []
    for roi in [*tracked, *detected]:
        result = [r for r in result if iou(r, roi) <= threshold]
        result.append(roi)
    return result


SAME_PERSON_CENTRE = 0.5
"""Centre distance, as a fraction of the smaller ROI's side, under which two ROIs are one person."""


def same_person(a: Roi, b: Roi, *, iou_threshold: float, centre_fraction: float = SAME_PERSON_CENTRE) -> bool:
    """Whether two ROIs frame the same person: IoU above ``iou_threshold``, or centres closer
    than ``centre_fraction`` times the smaller ROI's side (in pixels).

    The centre test catches a detection whose box is much larger or smaller than the
    tracked ROI of the same person (then the IoU stays low although the centres agree).
    """
    if iou(a, b) > iou_threshold:
        return True
    side = min(max(a.width, a.height), max(b.width, b.height))
    return math.hypot(a.cx - b.cx, a.cy - b.cy) < centre_fraction * side


def merge_detections(tracked: list[Roi], detected: list[Roi], iou_threshold: float, *,
                     centre_fraction: float = SAME_PERSON_CENTRE) -> list[Roi]:
    """Tracked ROIs plus detections of people not yet tracked, without duplicates.

    As :func:`associate` (MediaPipe), a detection that overlaps tracked ROIs with IoU
    above ``iou_threshold`` replaces them. In addition, a detection whose centre is
    close to a kept ROI's centre (:func:`same_person`) is dropped: it is someone already
    tracked, and keeping it would make the landmark model draw that person twice.
    """
    result = associate(tracked, [], iou_threshold)
    for roi in detected:
        if any(iou(r, roi) > iou_threshold for r in result):
            result = [r for r in result if iou(r, roi) <= iou_threshold]
            result.append(roi)
        elif not any(same_person(r, roi, iou_threshold=iou_threshold, centre_fraction=centre_fraction)
                     for r in result):
            result.append(roi)
    return result
