"""The runner's 2D pose over time: :class:`PoseSeries` and the names of its keypoints.

Time is axis 0. Coordinates are image pixels in display orientation (origin top-left,
x right, y down); a missing keypoint is NaN in ``xy``. :func:`validate_arrays` checks the
arrays' contract (shapes, timestamps, names).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

BLAZEPOSE_KEYPOINTS: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner",
    "right_eye", "right_eye_outer", "left_ear", "right_ear", "mouth_left",
    "mouth_right", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index",
    "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)
"""The 33 BlazePose landmark names, in model output order."""


@dataclass(frozen=True)
class PoseSeries:
    """One person's 2D keypoints over time.

    Attributes:
        xy: ``(T, K, 2)`` float64 pixels, display orientation, y down; NaN = missing.
        score: ``(T, K)`` float64 confidence in [0, 1] (0 where missing).
        t_s: ``(T,)`` float64 presentation time of each frame in seconds, strictly
            increasing (variable frame rate is allowed).
        keypoints: ``K`` canonical keypoint names.
        width: frame width in pixels.
        height: frame height in pixels.
        fps: nominal frame rate in frames per second.
    """

    xy: NDArray[np.float64]
    score: NDArray[np.float64]
    t_s: NDArray[np.float64]
    keypoints: tuple[str, ...]
    width: int
    height: int
    fps: float

    def __post_init__(self) -> None:
        validate_arrays(self.xy, self.score, self.t_s, self.keypoints)
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"expected positive width and height, got {self.width}x{self.height}")
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise ValueError(f"expected a positive fps, got {self.fps}")

    @property
    def n_frames(self) -> int:
        return int(self.xy.shape[0])

    def index(self, name: str) -> int:
        """Position of keypoint ``name`` on axis 1."""
        try:
            return self.keypoints.index(name)
        except ValueError:
            raise KeyError(f"expected one of {self.keypoints}, got {name!r}") from None

    def point(self, name: str) -> NDArray[np.float64]:
        """``(T, 2)`` pixel trajectory of keypoint ``name``."""
        return self.xy[:, self.index(name), :]

    def present(self, *, min_score: float = 0.5, trunk: bool = True) -> NDArray[np.bool_]:
        """``(T,)`` True where the hips and (with ``trunk``) the shoulders were all found.

        ``trunk=False`` is for clips framed from the waist down (legs only)."""
        names = ("left_hip", "right_hip", *(("left_shoulder", "right_shoulder") if trunk else ()))
        idx = [self.index(n) for n in names if n in self.keypoints]
        ok = np.isfinite(self.xy[:, idx, :]).all(axis=(1, 2)) & (self.score[:, idx] >= min_score).all(axis=1)
        return np.asarray(ok)


def validate_arrays(xy: NDArray[np.float64], score: NDArray[np.float64],
                    t_s: NDArray[np.float64], keypoints: tuple[str, ...]) -> None:
    """Raise ``ValueError`` ("expected X, got Y") unless the arrays fit the contract."""
    k = len(keypoints)
    if xy.ndim != 3 or xy.shape[1:] != (k, 2):
        raise ValueError(f"expected xy of shape (T, {k}, 2), got {xy.shape}")
    t = xy.shape[0]
    if score.shape != (t, k):
        raise ValueError(f"expected score of shape ({t}, {k}), got {score.shape}")
    if t_s.shape != (t,):
        raise ValueError(f"expected t_s of shape ({t},), got {t_s.shape}")
    if not np.isfinite(t_s).all():
        raise ValueError("expected finite timestamps, got NaN or inf in t_s")
    if t > 1 and not (np.diff(t_s) > 0).all():
        raise ValueError("expected strictly increasing timestamps in t_s, got a repeat or a step back")
    if len(set(keypoints)) != k:
        raise ValueError(f"expected unique keypoint names, got {keypoints}")
