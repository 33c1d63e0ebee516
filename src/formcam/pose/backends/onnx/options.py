"""Options of the ONNX BlazePose backend (:class:`OnnxOptions`), checked when made."""

from __future__ import annotations

import math
from dataclasses import dataclass

from formcam.errors import ConfigError
from formcam.pose.backends.onnx.detector import DEFAULT_NMS_IOU
from formcam.pose.models import MODEL_SIZES

DEFAULT_DETECT_INTERVAL_S = 0.0
"""Seconds of video between person-detector runs once someone is tracked (see
:mod:`~formcam.pose.backends.onnx.backend`)."""


@dataclass(frozen=True)
class OnnxOptions:
    """Options of :class:`~formcam.pose.backends.onnx.backend.OnnxBackend`.

    Attributes:
        model: landmark model size, ``lite``, ``full`` or ``heavy``.
        num_poses: most people returned per frame (1..10).
        min_detection_confidence: person-detector score threshold in [0, 1].
        min_presence_confidence: landmark-model pose-presence threshold in [0, 1].
        min_tracking_confidence: IoU above which a detection replaces a tracked ROI.
        nms_iou: IoU above which detections merge in weighted NMS.
        detect_interval_s: once someone is tracked, and while fewer than ``num_poses``
            people are, run the person detector only every this many seconds of video
            time (0: on every such frame, as MediaPipe). It always runs while nobody
            is tracked and on the frame after a track is lost.
        smooth: smooth the landmarks of a single pose over time as MediaPipe does
            (None: only when ``num_poses == 1``, MediaPipe's rule).
        threads: intra-op threads per session (None:
            :func:`~formcam.pose.backends.onnx.session.default_threads`).
        detect_ahead: run the person detector on the next frame in a worker thread while
            the landmark model runs on this one, when the caller offers the next frame
            (:meth:`~formcam.pose.backends.onnx.backend.OnnxBackend.look_ahead`). The same
            results as without (the detector sees only its own frame); only the time changes
            (see :mod:`~formcam.pose.backends.onnx.backend`).
        providers: onnxruntime execution providers (None:
            :func:`~formcam.pose.backends.onnx.session.default_providers`).
    """

    model: str = "full"
    num_poses: int = 3
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    nms_iou: float = DEFAULT_NMS_IOU
    detect_interval_s: float = DEFAULT_DETECT_INTERVAL_S
    smooth: bool | None = None
    threads: int | None = None
    detect_ahead: bool = False
    providers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.model not in MODEL_SIZES:
            raise ConfigError(f"unknown model size: expected one of {MODEL_SIZES}, got {self.model!r}")
        if not 1 <= self.num_poses <= 10:
            raise ConfigError(f"expected num_poses in 1..10, got {self.num_poses}")
        if self.smooth and self.num_poses != 1:
            raise ConfigError("landmark smoothing works on a single pose: it needs num_poses=1")
        if not math.isfinite(self.detect_interval_s) or self.detect_interval_s < 0:
            raise ConfigError(f"expected detect_interval_s >= 0 seconds, got {self.detect_interval_s}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"expected threads >= 1 or None, got {self.threads}")
        for name in ("min_detection_confidence", "min_presence_confidence", "min_tracking_confidence",
                     "nms_iou"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"expected {name} in [0, 1], got {value}")
