"""Stride period from the whole clip, and fore-aft foot extremes that anchor each contact.

Real BlazePose foot points jitter by tens of pixels, slide, and the far leg's
labels swap, so a per-frame threshold on the foot height alone finds false or
no stances. Two clip-level signals are far more robust:

* **Stride period** (:func:`stride_periodicity`) = 2 x the step period, the lag of
  the mean autocorrelation of signals with period = one step that do not depend
  on the left/right labels (the far leg's labels swap, on some clips at every
  step). Side view: the upper and lower envelopes of the two feet's fore-aft
  positions (below; body-relative, so a treadmill belt, a runner crossing the
  frame and a panning camera all look the same) and the shoulder height (one
  bounce per step). Rear / front view: ``|h_left - h_right|`` (foot heights), the
  shoulder and the hip height. Each signal is median-filtered (5 samples) first.
  The step lag searched is 0.2-6 s (6 s: slowed footage without metadata must
  still give a number, to be warned about); the first autocorrelation peak that
  is at least 0.8 times the highest is taken (the highest may be a multiple),
  refined to sub-frame by a parabola. ``confidence`` is that mean normalised
  (unbiased) autocorrelation: near 1 for a clean periodic gait; below 0.3 the
  period is not used.
* **Fore-aft anchors** (:func:`fore_aft_anchors`): the foot's position ahead of
  the hip midpoint, ``u = forward_sign * (x_ankle - x_hip_mid)`` (px, + ahead),
  peaks once per stride when the foot is most forward (late swing, just before
  initial contact) and is lowest when it is most backward (just after toe-off).
  The extremes are picked on the upper and lower *envelopes* of the two feet
  (once per step, whatever the left/right labels say: the far leg's labels swap
  often on real clips, and the swap repair can itself be wrong) with
  ``scipy.signal.find_peaks`` at a minimum spacing of 0.6 step periods and a
  prominence of 0.15 leg lengths. On the synthetic
  runner the most-forward point precedes IC by ~54 ms and the most-backward
  point follows TO by ~38 ms (foot retraction / follow-through); the vertical
  hinge fit of :mod:`formcam.analysis.events_fit` then finds IC and TO inside windows
  around these anchors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.signal import find_peaks, medfilt

from formcam.analysis.clean import lowpass
from formcam.analysis.events_fit import fill_nan, foot_height_px, pt
from formcam.series import PoseSeries

Arr = NDArray[np.float64]
DEFAULT_STRIDE_S = 0.7


@dataclass(frozen=True)
class Periodicity:
    """Clip-level stride period.

    Attributes:
        stride_s: stride period (s), two steps; :data:`DEFAULT_STRIDE_S` if unknown.
        confidence: normalised autocorrelation at the step lag (<= 1); 0 if unknown.
        half_step_acf: mean autocorrelation at half the step lag. High (>= 0.2) means
            the "step" may really be a stride (one leg tracked worse than the other
            makes the step signals stride-periodic), so the cadence may be twice
            :attr:`cadence_spm`.
        source: the signal used (``"ankle_separation"``, ``"foot_height_difference"``)
            or ``"default"``.
    """

    stride_s: float
    confidence: float
    source: str
    half_step_acf: float = 0.0

    @property
    def cadence_spm(self) -> float:
        """Steps per minute implied by the stride period (2 steps per stride)."""
        return 120.0 / self.stride_s

    @property
    def trusted(self) -> bool:
        """True when the period is clear enough to steer event detection (confidence >= 0.3)."""
        return self.source != "default" and self.confidence >= 0.3


UNKNOWN_PERIOD = Periodicity(DEFAULT_STRIDE_S, 0.0, "default")
"""The period used when none can be measured."""


def _acf(x: Arr) -> Arr | None:
    """Unbiased autocorrelation (lag 0 = 1) of ``x`` after a 5-sample median filter
    (single-frame keypoint glitches); NaN inside interpolated, NaN ends dropped."""
    ok = np.flatnonzero(np.isfinite(x))
    if ok.size < 8:
        return None
    y = medfilt(fill_nan(x[ok[0]:ok[-1] + 1]), 5)
    y = y - y.mean()
    n = y.size
    ac = np.correlate(y, y, mode="full")[n - 1:]
    if ac[0] <= 0:
        return None
    return np.asarray(ac / (n - np.arange(n)) / (ac[0] / n))


def autocorr_period(signals: list[Arr], fps: float, *, lo_s: float = 0.2,
                    hi_s: float = 6.0) -> tuple[float, float, float] | None:
    """(period s, mean normalised autocorrelation at that lag, and at half that lag)
    of signals sharing one period.

    The autocorrelations of the signals are averaged over their common lags; the
    first peak (prominence >= 0.1) in ``[lo_s, hi_s]`` that is at least 0.8 times
    the highest is taken. At least 1.5 periods must fit in the data. None if unclear.
    """
    acs = [ac for ac in (_acf(x) for x in signals) if ac is not None]
    if not acs:
        return None
    n = min(ac.size for ac in acs)
    ac = np.mean([a[:n] for a in acs], axis=0)
    lo, hi = max(int(lo_s * fps), 2), min(int(hi_s * fps), int(n / 1.5))
    if hi <= lo + 2:
        return None
    peaks, _ = find_peaks(ac[:hi + 1], prominence=0.1)
    peaks = peaks[peaks >= lo]
    if peaks.size == 0 or ac[peaks].max() <= 0:
        return None
    k = int(peaks[ac[peaks] >= 0.8 * ac[peaks].max()][0])
    shift = 0.0
    if 0 < k < n - 1:
        a, b, c = ac[k - 1], ac[k], ac[k + 1]
        den = a - 2 * b + c
        shift = float(np.clip(0.5 * (a - c) / den, -0.5, 0.5)) if den < 0 else 0.0
    half = float(np.interp((k + shift) / 2, np.arange(n), ac))
    return (k + shift) / fps, float(min(ac[k], 1.0)), half


def stride_periodicity(series: PoseSeries, *, side_view: bool, forward_sign: int = 1) -> Periodicity:
    """Stride period of ``series`` (see module docstring)."""
    fps = float(series.fps)
    sho_y = -(pt(series, "left_shoulder")[:, 1] + pt(series, "right_shoulder")[:, 1]) / 2
    if side_view:
        u = np.stack([fore_aft_px(series, s, forward_sign) for s in ("left", "right")], axis=1)
        signals, name = [np.max(u, axis=1), np.min(u, axis=1), sho_y], "foot_envelopes+shoulder_height"
    else:
        dh = np.abs(foot_height_px(series, "left") - foot_height_px(series, "right"))
        hip_y = -(pt(series, "left_hip")[:, 1] + pt(series, "right_hip")[:, 1]) / 2
        signals, name = [dh, sho_y, hip_y], "foot_height_difference+shoulder_hip_height"
    found = autocorr_period(signals, fps)
    if found is None or found[1] < 0.3:
        return UNKNOWN_PERIOD
    return Periodicity(2.0 * found[0], found[1], name, half_step_acf=found[2])


def fore_aft_px(series: PoseSeries, side: str, forward_sign: int) -> Arr:
    """``(T,)`` ankle ahead of the hip midpoint (px, + toward the direction of travel)."""
    hip = (pt(series, "left_hip")[:, 0] + pt(series, "right_hip")[:, 0]) / 2
    return np.asarray(forward_sign * (pt(series, f"{side}_ankle")[:, 0] - hip))


def fore_aft_anchors(u_left: Arr, u_right: Arr, fps: float, stride_s: float, leg_px: float, *,
                     prominence: float = 0.15) -> list[tuple[float, float, int]]:
    """``(most-forward frame, most-backward frame, side)`` per step, independent of labels.

    ``u_left`` / ``u_right`` (px, + ahead of the hip) are low-passed at 5 stride
    frequencies (at most 0.4 fps). Their upper envelope ``max(u_left, u_right)``
    peaks once per *step* (whichever foot is about to land) and the lower envelope
    once per step (whichever foot has just left the ground), so swapped left/right
    labels do not matter. Extremes closer than 0.6 step periods or less prominent
    than ``prominence`` leg lengths are ignored. The foot that is most forward at
    ``m`` is most backward one step later: the paired ``n`` is the first lower
    extreme in ``[m + 0.4 step, m + 1.4 step]``. ``side`` is 0 (left label) or 1
    (right) = the label that is most forward at ``m``.
    """
    step_f = stride_s * fps / 2
    cut = min(5.0 / stride_s, 0.4 * fps)
    us = [lowpass(u.reshape(-1, 1, 1), fps=fps, cutoff_hz=cut).reshape(-1) for u in (u_left, u_right)]
    both = np.stack(us, axis=1)
    ok: NDArray[np.bool_] = np.asarray(np.isfinite(both).all(axis=1), dtype=bool)
    if ok.sum() < 4 or not np.isfinite(leg_px):
        return []
    hi_env = fill_nan(np.where(ok, both.max(axis=1), np.nan))
    lo_env = fill_nan(np.where(ok, both.min(axis=1), np.nan))
    kw = {"distance": max(1.0, 0.6 * step_f), "prominence": prominence * leg_px}
    hi = [int(i) for i in find_peaks(hi_env, **kw)[0] if ok[i]]
    lo = np.array([int(i) for i in find_peaks(-lo_env, **kw)[0] if ok[i]], dtype=np.int64)
    out: list[tuple[float, float, int]] = []
    for m in hi:
        after = lo[(lo >= m + 0.4 * step_f) & (lo <= m + 1.4 * step_f)]
        if after.size:
            side = int(np.argmax(both[m]))
            out.append((_vertex(hi_env, m), _vertex(lo_env, int(after[0])), side))
    return out


def _vertex(y: Arr, i: int) -> float:
    """Sub-frame position of the extreme at sample ``i`` (parabola through 3 samples)."""
    if 0 < i < y.size - 1:
        a, b, c = y[i - 1], y[i], y[i + 1]
        den = a - 2 * b + c
        if den != 0:
            return float(i + np.clip(0.5 * (a - c) / den, -0.5, 0.5))
    return float(i)
