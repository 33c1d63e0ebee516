"""Replay backend: serves keypoints from a formcam keypoints ``.npz`` file.

It makes a stored analysis behave like a live backend (for tests, and for
re-running later stages without the pose model). Frames are matched by
presentation time to the nearest stored frame within half a frame interval;
a frame with no stored runner gives zero people.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np

from formcam.pose.backends.base import BackendInfo, PoseFrame, PoseImage
from formcam.series import PoseSeries, load_keypoints


class ReplayBackend:
    """Callable that returns the stored runner's keypoints for each frame time."""

    def __init__(self, source: str | Path | PoseSeries) -> None:
        self.series = source if isinstance(source, PoseSeries) else load_keypoints(source)
        self._name = "replay"

    @property
    def info(self) -> BackendInfo:
        return BackendInfo(name=self._name, model="keypoints-file")

    @property
    def keypoint_names(self) -> tuple[str, ...]:
        return self.series.keypoints

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None

    def __call__(self, image: PoseImage, t_s: float) -> PoseFrame:
        s = self.series
        k = len(s.keypoints)
        if s.n_frames == 0:
            return PoseFrame.empty(k)
        i = int(np.argmin(np.abs(s.t_s - t_s)))
        half_dt = 0.5 / s.fps
        if abs(s.t_s[i] - t_s) > half_dt or not np.isfinite(s.xy[i]).any():
            return PoseFrame.empty(k)
        return PoseFrame(keypoints=s.xy[i][None].copy(), scores=s.score[i][None].copy())
