"""MediaPipe Tasks PoseLandmarker backend (BlazePose, 33 keypoints).

Runs in VIDEO mode, so MediaPipe tracks each person between frames and runs
its person detector only when it has lost someone. Several people may be
returned (``num_poses``); choosing the runner is formcam's job
(:mod:`formcam.pose.select`), not MediaPipe's.

Keypoint scores are MediaPipe's per-landmark ``visibility`` (a probability).
Note that visibility stays high for the face in a rear view: it cannot tell a
rear view from a front view.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import numpy as np

from formcam.errors import ConfigError, ModelError
from formcam.pose.backends._native_log import native_stderr_to_log
from formcam.pose.backends.base import BackendInfo, PoseFrame, PoseImage, as_rgb
from formcam.pose.models import MODEL_SIZES, model_path
from formcam.series import BLAZEPOSE_KEYPOINTS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaPipeOptions:
    """Options of :class:`MediaPipeBackend`.

    Attributes:
        model: ``lite``, ``full`` or ``heavy``.
        num_poses: most people returned per frame.
        min_detection_confidence: person-detector threshold in [0, 1].
        min_presence_confidence: landmark-model pose-presence threshold.
        min_tracking_confidence: below this, MediaPipe re-runs detection.
    """

    model: str = "full"
    num_poses: int = 3
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def __post_init__(self) -> None:
        if self.model not in MODEL_SIZES:
            raise ConfigError(f"unknown model size: expected one of {MODEL_SIZES}, got {self.model!r}")
        if not 1 <= self.num_poses <= 10:
            raise ConfigError(f"expected num_poses in 1..10, got {self.num_poses}")


class MediaPipeBackend:
    """Callable PoseLandmarker; see :class:`formcam.pose.backends.base.PoseBackend`."""

    def __init__(self, options: MediaPipeOptions | None = None) -> None:
        self.options = options or MediaPipeOptions()
        self._landmarker: Any = None
        self._last_ms = -1
        self._warm = False

    @property
    def info(self) -> BackendInfo:
        return BackendInfo(name="mediapipe", model=self.options.model)

    @property
    def keypoint_names(self) -> tuple[str, ...]:
        return BLAZEPOSE_KEYPOINTS

    def __enter__(self) -> Self:
        os.environ.setdefault("GLOG_minloglevel", "2")
        from mediapipe.tasks.python import BaseOptions, vision

        path = model_path(self.options.model)
        opts = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=self.options.num_poses,
            min_pose_detection_confidence=self.options.min_detection_confidence,
            min_pose_presence_confidence=self.options.min_presence_confidence,
            min_tracking_confidence=self.options.min_tracking_confidence,
        )
        try:
            with native_stderr_to_log():
                self._landmarker = vision.PoseLandmarker.create_from_options(opts)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"{path}: MediaPipe could not load the model bundle ({exc})") from None
        self._warm = False
        self._last_ms = -1
        log.debug("opened MediaPipe %s from %s", self.options.model, path)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def reset(self) -> None:
        """Forget every tracked person (MediaPipe has no call for it: the landmarker is made again)."""
        if self._landmarker is not None:
            self.__exit__(None, None, None)
            last_ms = self._last_ms
            self.__enter__()
            self._last_ms = last_ms

    def __call__(self, image: PoseImage, t_s: float) -> PoseFrame:
        """Detect people in an RGB ``(H, W, 3)`` uint8 frame (or YUV planes, converted here)
        shown at ``t_s`` seconds."""
        if self._landmarker is None:
            raise RuntimeError("MediaPipeBackend must be used inside a `with` block")
        image = as_rgb(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
        import mediapipe as mp

        # VIDEO mode needs strictly increasing integer milliseconds; at 240 fps
        # frames are ~4 ms apart, so rounding alone never collides, but guard anyway.
        ms = max(round(t_s * 1000.0), self._last_ms + 1)
        self._last_ms = ms
        mp_image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
        if self._warm:
            result = self._landmarker.detect_for_video(mp_image, ms)
        else:  # the first inferences print more native start-up messages
            with native_stderr_to_log():
                result = self._landmarker.detect_for_video(mp_image, ms)
            self._warm = True
        return _to_pose_frame(result.pose_landmarks, width=image.shape[1], height=image.shape[0])


def _to_pose_frame(poses: list[Any], *, width: int, height: int) -> PoseFrame:
    """Convert MediaPipe normalised landmarks to pixel keypoints and scores."""
    k = len(BLAZEPOSE_KEYPOINTS)
    if not poses:
        return PoseFrame.empty(k)
    kp = np.array([[(lm.x * width, lm.y * height) for lm in pose[:k]] for pose in poses], dtype=np.float64)
    sc = np.array([[lm.visibility if lm.visibility is not None else 0.0 for lm in pose[:k]]
                   for pose in poses], dtype=np.float64)
    return PoseFrame(keypoints=kp, scores=np.clip(sc, 0.0, 1.0))
