"""The clip's time base: slow-motion footage, and the user's true capture rate.

A phone's slow-motion clip is often saved at 30 fps although it was filmed at 120 or
240 fps, and stock footage is often slowed without saying so. Angles and distances do
not depend on time, but cadence and contact time do. Running cadence is 150-200
steps/min for almost every runner (REFERENCES.md: a clip whose motion says 60-110
steps/min at its stated frame rate is most often slow-motion footage), so:

* :func:`step_rate_spm` reads the step rate from the clip's stride period (signals that
  do not depend on left/right labels, which the pose model may swap);
* :func:`slowdown_factor` says a clip looks slowed by about ``k`` when that rate is
  below :data:`SLOWED_BELOW_SPM`: ``k = TYPICAL_SPM / rate``, only a rough guess (a
  runner's true cadence may be 15 % either side of :data:`TYPICAL_SPM`), so the
  analysis measures events on that time base but withholds every time-based metric;
* :func:`retime` puts a series on a true time base (``--capture-fps``, or the guess):
  ``t_true = t_video * scale`` where ``scale = stated_fps / capture_fps``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, sosfiltfilt

from formcam.analysis.events_period import autocorr_period, stride_periodicity
from formcam.series import PoseSeries

SLOWED_BELOW_SPM = 110.0
"""A step rate below this at the stated frame rate means slowed footage (or not running)."""
TYPICAL_SPM = 170.0
"""Typical running cadence (recreational 150-185 steps/min), the guess for a slowed clip."""
TIME_METRICS: tuple[str, ...] = ("cadence_spm", "contact_time_ms")
"""Summary metrics that depend on the time base (withheld when it is only a guess)."""


@dataclass(frozen=True)
class TimeBase:
    """How the clip's times relate to the runner's.

    Attributes:
        scale: true seconds per second of the video's own timestamps (1 = real time).
        source: ``"stated"`` (the file's frame rate), ``"user"`` (``--capture-fps``) or
            ``"guess"`` (the clip looks slowed; time-based metrics are withheld).
        stated_spm: step rate at the file's frame rate, when measured (steps/min).
    """

    scale: float = 1.0
    source: str = "stated"
    stated_spm: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The report's ``quality.time_base``: scale, source, slowed factor, stated step rate."""
        return {"scale": self.scale, "source": self.source, "slowed_factor": round(1.0 / self.scale, 2),
                "step_rate_at_stated_fps_spm": None if self.stated_spm is None else round(self.stated_spm, 1)}

    def note(self) -> str | None:
        """The plain-words warning for a guessed time base, else None."""
        if self.source != "guess":
            return None
        return (f"the clip looks slowed down about {1 / self.scale:.1f}x (its motion is "
                f"{self.stated_spm or 0:.0f} steps/min at the file's frame rate; running is 150-200): "
                "angles and distances are measured, cadence and contact time are not. If it is "
                "slow-motion footage, give the frame rate it was filmed at (--capture-fps)")


def time_base(series: PoseSeries, *, side_view: bool, forward_sign: int = 1,
              user_scale: float | None = None) -> TimeBase:
    """The time base to analyse ``series`` on: the user's (``user_scale``, true s per video
    s) when given, else a guess when the clip looks slowed, else the file's."""
    if user_scale is not None:
        return TimeBase(scale=float(user_scale), source="user")
    slowed = slowdown_factor(series, side_view=side_view, forward_sign=forward_sign)
    if slowed is None:
        return TimeBase()
    return TimeBase(scale=1.0 / slowed[0], source="guess", stated_spm=slowed[1])


def step_rate_spm(series: PoseSeries, *, side_view: bool, forward_sign: int = 1) -> float | None:
    """Step rate (steps/min at the series' own time base) from the clip's stride period
    (:func:`formcam.analysis.events_period.stride_periodicity`: label-free signals, so a
    pose model's left/right swaps do not matter); None when the motion is not periodic.
    Where the autocorrelation is high at half the period found (>= 0.3), that period
    held two steps, not one (a rear view's foot heights and hips repeat every step)."""
    per = stride_periodicity(series, side_view=side_view, forward_sign=forward_sign)
    if per.confidence <= 0 or not np.isfinite(per.stride_s) or per.stride_s <= 0:
        return None
    doubled = per.half_step_acf is not None and per.half_step_acf >= 0.3
    return (240.0 if doubled else 120.0) / per.stride_s


def hip_bounce_spm(series: PoseSeries, *, min_confidence: float = 0.3,
                   highpass_hz: float = 0.25) -> float | None:
    """Step rate (steps/min at the series' own time base) from the hip midpoint's height,
    which bounces once per step in every view: high-passed at ``highpass_hz`` (a drifting
    camera or runner), first strong autocorrelation peak in 0.2-4 s, halved where the
    half lag correlates too (>= 0.3). None when not periodic enough (``min_confidence``)."""
    fps = float(series.fps)
    y = (series.point("left_hip")[:, 1] + series.point("right_hip")[:, 1]) / 2
    ok = np.isfinite(y)
    if ok.sum() < max(8, 2 * fps):
        return None
    filled = np.interp(np.arange(y.size), np.flatnonzero(ok), y[ok])
    sos = butter(2, highpass_hz, btype="highpass", fs=fps, output="sos")
    found = autocorr_period([np.asarray(sosfiltfilt(sos, filled), dtype=np.float64)], fps, lo_s=0.2, hi_s=4.0)
    if found is None or found[1] < min_confidence:
        return None
    period_s, _, half = found
    return 60.0 / (period_s / 2 if half >= 0.3 else period_s)


def slowdown_factor(series: PoseSeries, *, side_view: bool, forward_sign: int = 1
                    ) -> tuple[float, float] | None:
    """``(k, step rate at the stated rate in steps/min)`` when the clip looks slowed by about
    ``k`` (>= 1.5, one decimal), else None. Both the stride period and, where it is
    measurable, the hips' bounce must say fewer than :data:`SLOWED_BELOW_SPM` steps/min
    (one signal's doubled period must not call a real-time clip slowed)."""
    spm = step_rate_spm(series, side_view=side_view, forward_sign=forward_sign)
    if spm is None or spm >= SLOWED_BELOW_SPM:
        return None
    bounce = hip_bounce_spm(series)
    if bounce is not None and bounce >= SLOWED_BELOW_SPM:
        return None
    return max(1.5, round(TYPICAL_SPM / spm, 1)), spm


def retime(series: PoseSeries, scale: float) -> PoseSeries:
    """``series`` on a true time base: times multiplied by ``scale`` (true s per video s),
    the frame rate divided by it."""
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"expected a positive time scale, got {scale}")
    if scale == 1.0:
        return series
    t: NDArray[np.float64] = np.asarray(series.t_s * scale, dtype=np.float64)
    return replace(series, t_s=t, fps=float(series.fps) / scale)
