"""Each foot's image motion against the ground, from the pose pass: :class:`FootMotion`,
its channels (:data:`FOOT_MOTION_CHANNELS`) and the sole points they are measured at
(:data:`SOLE_FRACTIONS`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

SOLE_FRACTIONS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
"""Points along each foot where its image motion is measured: fractions of the way heel -> toe."""
FOOT_MOTION_CHANNELS: tuple[str, ...] = (
    *(f"sole{k}_{c}" for k in range(len(SOLE_FRACTIONS)) for c in ("vx", "vy")),
    "heel_vx", "heel_vy", "spin", "foot_dx", "foot_dy",
    "ground_vx", "ground_vy", "foot_px")
"""Channels of :attr:`FootMotion.values`, velocities in px per analysed frame interval (x right,
y down): at each sole point (measured just inside the shoe); the shoe's rigid motion fitted to
them, as the velocity at the heel keypoint and the rotation ``spin`` (radians per frame,
positive turns x toward y), with the heel -> toe vector ``foot_dx, foot_dy`` (px), so that the
velocity anywhere on the sole line is known (a pivot at either end); a ground window below
the foot (kept for diagnosis: the analysis takes the ground's velocity from the stance foot
itself, because a window on a black belt or on a treadmill's deck reads nothing or the
wrong surface); and the foot's length (heel to toe, px)."""


@dataclass(frozen=True)
class FootMotion:
    """Each foot's image motion against the ground, frame by frame (from the pose pass).

    Attributes:
        values: ``(T, 2, C)`` float32; feet ``left, right`` as the pose model labelled them,
            channels :data:`FOOT_MOTION_CHANNELS`; NaN where the foot was not measured.
    """

    values: NDArray[np.float32]

    def __post_init__(self) -> None:
        v = self.values
        if v.ndim != 3 or v.shape[1:] != (2, len(FOOT_MOTION_CHANNELS)):
            raise ValueError(f"expected foot motion of shape (T, 2, {len(FOOT_MOTION_CHANNELS)}), "
                             f"got {v.shape}")

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[0])

    def swapped(self, frames: tuple[int, ...] | list[int]) -> FootMotion:
        """The same with the two feet exchanged in ``frames`` (where the legs' labels were repaired)."""
        if not len(frames):
            return self
        rows = np.asarray(frames, dtype=np.intp)
        values = self.values.copy()
        values[rows] = self.values[rows][:, ::-1]
        return FootMotion(values=values)

    def sole_v(self) -> NDArray[np.float64]:
        """``(T, 2, S, 2)`` velocity of each sole point (px/frame)."""
        n = len(SOLE_FRACTIONS)
        return np.asarray(self.values[..., : 2 * n], dtype=np.float64).reshape(*self.values.shape[:2], n, 2)

    def rigid(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """The shoe's rigid motion: ``(T, 2, 2)`` velocity at the heel, ``(T, 2)`` spin (rad/frame)
        and ``(T, 2, 2)`` heel -> toe vector (px)."""
        n = 2 * len(SOLE_FRACTIONS)
        v = np.asarray(self.values, dtype=np.float64)
        return v[..., n:n + 2], v[..., n + 2], v[..., n + 3:n + 5]

    def ground_v(self) -> NDArray[np.float64]:
        """``(T, 2, 2)`` velocity of the ground window below each foot (px/frame)."""
        return np.asarray(self.values[..., -3:-1], dtype=np.float64)

    def foot_px(self) -> NDArray[np.float64]:
        """``(T, 2)`` foot length heel to toe (px)."""
        return np.asarray(self.values[..., -1], dtype=np.float64)
