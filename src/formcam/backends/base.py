"""The pose-backend protocol, after rtmlib and MediaPipe Tasks.

A backend is a context manager and a callable::

    with MediaPipeBackend(MediaPipeOptions(model="full")) as backend:
        for frame in iter_frames(path):
            pose = backend(frame.image, frame.t_s)   # PoseFrame

``pose.keypoints`` is ``(P, K, 2)`` in pixels of the given image (x right,
y down), ``pose.scores`` is ``(P, K)`` in [0, 1]; ``P`` may be 0. Calls must
come with strictly increasing ``t_s`` (video mode: backends may track people
between frames).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import numpy as np
from numpy.typing import NDArray


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

    def __call__(self, image: NDArray[np.uint8], t_s: float) -> PoseFrame: ...
