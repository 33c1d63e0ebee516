"""The pose-backend protocol, after rtmlib and MediaPipe Tasks.

A backend is a context manager and a callable::

    with MediaPipeBackend(MediaPipeOptions(model="full")) as backend:
        for frame in iter_frames(path):
            pose = backend(frame.image, frame.t_s)   # PoseFrame

``pose.keypoints`` is ``(P, K, 2)`` in pixels of the given image (x right,
y down), ``pose.scores`` is ``(P, K)`` in [0, 1]; ``P`` may be 0. Calls must
come with strictly increasing ``t_s`` (video mode: backends may track people
between frames).

The image is RGB ``(H, W, 3)`` uint8, or a :class:`~formcam.video.yuv.YuvImage` (the
decoder's 4:2:0 planes). A backend that crops YUV planes itself, without converting
the whole frame, says so with a class attribute ``accepts_yuv = True`` (the ONNX
backend); formcam's pose stage then reads frames as planes for it
(``FrameReader(..., yuv=True)``). Others convert a ``YuvImage`` they are given.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from formcam.video import YuvImage

PoseImage = NDArray[np.uint8] | YuvImage
"""What a backend is called with: an RGB frame or YUV planes (see the module docstring)."""


def as_rgb(image: PoseImage) -> NDArray[np.uint8]:
    """``image`` as an ``(H, W, 3)`` uint8 RGB array (converting YUV planes)."""
    return image.to_rgb() if isinstance(image, YuvImage) else image


@dataclass(frozen=True)
class PoseFrame:
    """Every person found in one frame.

    Attributes:
        keypoints: ``(P, K, 2)`` float64 pixels, origin top-left, y down.
        scores: ``(P, K)`` float64 per-keypoint confidence in [0, 1].
    """

    keypoints: NDArray[np.float64]
    scores: NDArray[np.float64]

    @property
    def n_people(self) -> int:
        return int(self.keypoints.shape[0])

    @classmethod
    def empty(cls, n_keypoints: int) -> PoseFrame:
        return cls(np.zeros((0, n_keypoints, 2)), np.zeros((0, n_keypoints)))


@dataclass(frozen=True)
class BackendInfo:
    """What the report records under ``backend``."""

    name: str
    model: str


@runtime_checkable
class PoseBackend(Protocol):
    """Callable pose estimator over a stream of frames."""

    @property
    def info(self) -> BackendInfo: ...

    @property
    def keypoint_names(self) -> tuple[str, ...]: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def __call__(self, image: PoseImage, t_s: float) -> PoseFrame: ...
