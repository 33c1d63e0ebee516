"""MediaPipe's landmark smoothing for a single tracked pose (One Euro filter).

MediaPipe's Tasks ``PoseLandmarker`` smooths its output landmarks in VIDEO mode
when ``num_poses == 1`` (and only then): each landmark coordinate goes through
a One Euro filter (min cutoff 0.05 Hz, beta 80, derivative cutoff 1 Hz) in image
pixels, with velocities scaled by the inverse of the object scale (the side of
the next frame's ROI), and each visibility through a low-pass filter with alpha
0.1. The ROI used for tracking is computed from the *unsmoothed* points.

:class:`LandmarkSmoother` reproduces MediaPipe's filters, including their
quirks: timestamps are whole microseconds, and the frame rate is only measured
once a non-zero previous timestamp exists, so for a clip starting at 0 the
first two frames are filtered at the default 30 Hz (checked against MediaPipe:
sub-pixel agreement over the first frames of a real clip, where smoothing moves
points by ~15 px). The filters are causal, so they lag fast movements (the
derivative estimate starts at 0, so the first frames are smoothed hardest);
formcam's own cleaning (:mod:`formcam.analysis.clean`) filters with zero phase afterwards.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

MIN_CUTOFF = 0.05
BETA = 80.0
DERIVATE_CUTOFF = 1.0
DEFAULT_FREQUENCY = 30.0
VISIBILITY_ALPHA = 0.1
MIN_OBJECT_SCALE = 1e-6


def _alpha(cutoff: NDArray[np.float64] | float, frequency: float) -> NDArray[np.float64]:
    te = 1.0 / frequency
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff, dtype=np.float64))
    return np.asarray(1.0 / (1.0 + tau / te), dtype=np.float64)


class LandmarkSmoother:
    """One Euro filter on ``(K, 2)`` pixel coordinates and a low-pass filter on ``(K,)`` visibilities.

    State is per instance; :meth:`reset` when the person is lost (MediaPipe resets
    its filters on a frame without landmarks).
    """

    def __init__(self, *, min_cutoff: float = MIN_CUTOFF, beta: float = BETA,
                 derivate_cutoff: float = DERIVATE_CUTOFF, frequency: float = DEFAULT_FREQUENCY,
                 visibility_alpha: float = VISIBILITY_ALPHA) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.derivate_cutoff = derivate_cutoff
        self.initial_frequency = frequency
        self.visibility_alpha = visibility_alpha
        self.reset()

    def reset(self) -> None:
        """Forget the history (as MediaPipe does when the pose is lost)."""
        self._frequency = self.initial_frequency
        self._last_ns = 0
        self._raw: NDArray[np.float64] | None = None
        self._value: NDArray[np.float64] | None = None
        self._dvalue: NDArray[np.float64] | None = None
        self._visibility: NDArray[np.float64] | None = None

    def __call__(self, xy: NDArray[np.float64], visibility: NDArray[np.float64], t_us: int,
                 object_scale: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Smooth one frame.

        Args:
            xy: ``(K, 2)`` landmark pixels.
            visibility: ``(K,)`` in [0, 1].
            t_us: frame timestamp in whole microseconds, increasing.
            object_scale: object size in pixels (the next-frame ROI side).

        Returns:
            Smoothed ``xy (K, 2)`` and ``visibility (K,)``.
        """
        vis = np.asarray(visibility, dtype=np.float64)
        if self._visibility is not None:
            vis = self.visibility_alpha * vis + (1.0 - self.visibility_alpha) * self._visibility
        self._visibility = vis
        value = np.asarray(xy, dtype=np.float64)
        if object_scale < MIN_OBJECT_SCALE:
            return value, vis
        t_ns = int(t_us) * 1000
        if t_ns != 0 and self._last_ns >= t_ns:  # not after the previous frame: passed through
            return value, vis
        if self._last_ns != 0 and t_ns != 0:
            self._frequency = 1e9 / (t_ns - self._last_ns)
        self._last_ns = t_ns
        if self._raw is None:
            dvalue = np.zeros_like(value)
        else:
            dvalue = (value - self._raw) * (1.0 / object_scale) * self._frequency
        if self._dvalue is not None:
            a_d = _alpha(self.derivate_cutoff, self._frequency)
            dvalue = a_d * dvalue + (1.0 - a_d) * self._dvalue
        self._dvalue = dvalue
        cutoff = self.min_cutoff + self.beta * np.abs(dvalue)
        out = value
        if self._value is not None:
            a = _alpha(cutoff, self._frequency)
            out = a * value + (1.0 - a) * self._value
        self._raw = value
        self._value = out
        return out, vis
