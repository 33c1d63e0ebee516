"""The body's free fall between toe-off and the next initial contact, from the hips.

With no ground force the pelvis accelerates at exactly -g; once a foot lands, the ground
reaction force pushes it up (Newton: a = F/m - g, the force plate's own principle). So
the hip midpoint's vertical image acceleration (px/s^2, y up) sits on a low flat
plateau (-g x px/m) in each flight and rises steeply from it after IC. This holds in
every view and for every foot strike, which is why it times the rear / front views
(:mod:`formcam.analysis.events_frontal`) and arbitrates between the side view's
foot-point rules (:func:`agreement`, used by :mod:`formcam.analysis.events`).
Pure numpy / scipy; frames are fractional sample indices, time on axis 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.signal import find_peaks, savgol_filter

from formcam.analysis.events_fit import fill_nan, pt
from formcam.series import PoseSeries

Arr = NDArray[np.float64]


def acceleration(h: Arr, fps: float, *, window_s: float = 0.08) -> Arr:
    """``(T,)`` second derivative of ``h`` (px / s^2): local quadratic (Savitzky-Golay)
    over ``window_s`` (at least 5 samples). NaN gaps are filled linearly first."""
    n = max(5, round(window_s * fps) | 1)
    x = fill_nan(h)
    if x.size < n or not np.isfinite(x).all():
        return np.full(h.shape, np.nan)
    return np.asarray(savgol_filter(x, n, 2, deriv=2, mode="interp") * fps * fps)


def plateau_edge(acc: Arr, t_lo: float, t_hi: float, *, w: float, leaving: bool) -> float | None:
    """Sub-frame time (frames) in ``[t_lo, t_hi]`` where ``acc`` leaves (``leaving``: IC)
    or reaches (TO) its low flight plateau: constant on the flight side, a line rising
    away from it on the stance side (slope > 0); least squares over the fixed window
    ``[t_lo - w, t_hi + w]``, 0.05-frame grid. None if the window leaves the data."""
    lo, hi = int(np.floor(t_lo - w)), int(np.ceil(t_hi + w)) + 1
    if lo < 0 or hi > acc.size or t_hi < t_lo or not np.isfinite(acc[lo:hi]).all():
        return None
    grid = np.arange(t_lo, t_hi + 1e-9, 0.05)
    rel = np.arange(lo, hi, dtype=np.float64)[None, :] - grid[:, None]
    f = np.maximum(rel, 0) if leaving else np.maximum(-rel, 0)
    y = acc[lo:hi] - acc[lo:hi].mean()
    fm = f - f.mean(axis=1, keepdims=True)
    s = (fm * y[None, :]).sum(axis=1) / np.maximum((fm * fm).sum(axis=1), 1e-12)
    sse = ((y[None, :] - fm * s[:, None]) ** 2).sum(axis=1)
    sse[s <= 0] = np.inf
    if not np.isfinite(sse).any():
        return None
    return float(grid[int(np.argmin(sse))])


def hip_acceleration(series: PoseSeries) -> Arr:
    """``(T,)`` vertical acceleration (px / s^2, y up) of the hip midpoint: local quadratic
    over ~50 ms (at least 5 samples) of the gap-filled height."""
    h = -(pt(series, "left_hip")[:, 1] + pt(series, "right_hip")[:, 1]) / 2
    return acceleration(h, float(series.fps), window_s=0.05)


def flight_edges(acc: Arr, fps: float, step_s: float, *, reach_s: float = 0.08
                 ) -> list[tuple[float | None, int, float | None]]:
    """Per flight phase ``(TO before it, centre frame, IC after it)`` in fractional frames
    (None where :func:`plateau_edge` finds no edge within ``reach_s``). Flights are the
    minima of ``acc`` at least 0.6 steps apart."""
    mins, _ = find_peaks(-np.nan_to_num(acc, nan=0.0), distance=max(1, int(0.6 * step_s * fps)))
    w = max(2.0, 0.06 * fps)
    out = []
    for m in mins.tolist():
        to = plateau_edge(acc, m - reach_s * fps, float(m), w=w, leaving=False)
        ic = plateau_edge(acc, float(m), m + reach_s * fps, w=w, leaving=True)
        out.append((to, m, ic))
    return out



MIN_TIMING_FPS = 45.0
"""Below this rate the 5-sample acceleration fit spans > 110 ms and widens each stance
(mocap, 30 fps: IC 22 ms early, TO 18 ms late, contact time +40 ms): the contacts are
``"flight-coarse"``, their mid-stance is kept (unbiased) and their contact time withheld."""
G_RANGE: tuple[float, float] = (0.65, 1.4)
"""Accepted hip acceleration in flight, in g (the body scale is only known to ~15 %)."""
LEG_PER_M = 0.49 * 1.75



def flight_g_ratio(acc: Arr, fps: float, step_s: float,
                   leg_length_px: float | None) -> tuple[float, float]:
    """(level, curvature) of the hip acceleration at the flight minima, medians in g:
    ``level`` = -acceleration (1.0 = free fall); ``curvature`` = how much it rises
    within +-25 ms (at least one frame) of the minimum (~0 on a free-fall plateau,
    ~0.15 g for a sinusoidal bounce). NaN without a body scale or minima."""
    if leg_length_px is None or not np.isfinite(leg_length_px) or leg_length_px <= 0:
        return float("nan"), float("nan")
    mins, _ = find_peaks(-np.nan_to_num(acc, nan=0.0), distance=max(1, int(0.6 * step_s * fps)))
    k = max(1, round(0.025 * fps))
    mins = mins[(mins >= k) & (mins < acc.size - k)]
    if mins.size < 2:
        return float("nan"), float("nan")
    g_px = 9.81 * leg_length_px / LEG_PER_M
    rise = (acc[mins - k] + acc[mins + k]) / 2 - acc[mins]
    return float(-np.median(acc[mins]) / g_px), float(np.median(rise) / g_px)




AGREE_MARGIN_IC_S = 0.013
"""How much closer to the free fall's IC edges (s) the ground-lock IC must be than the
foot-height IC before it replaces it. The flight edges are themselves off: at IC +6 ms
(mocap, 60 / 240 fps), -11 ms (mocap, 120 fps), -12 ms (phantom), -17 ms (synthetic
runner, 240 fps; a half-sine force onset is softer than a real landing). Measured gaps
(foot height minus ground lock, in distance from the edges): drawn runners, whose
foot-height IC is right, at most 11 ms; the real forefoot striker, whose ground-lock IC
is right, at least 16 ms. The margin sits between them: a calibration on one real
runner and two drawn ones, to be revisited with more real data."""
AGREE_MARGIN_TO_S = 0.020
"""The same for TO (last-off against foot height): drawn runners at most 15 ms, the real
forefoot striker at least 25 ms."""


def flight_reference(series: PoseSeries, step_s: float, leg_px: float) -> tuple[Arr, Arr] | None:
    """``(IC frames, TO frames)`` of the flight edges (:func:`flight_edges`), or None when the
    hips do not fall freely between contacts (median acceleration at the flight minima
    outside :data:`G_RANGE` g: no flight phase, or hips too noisy to tell)."""
    fps = float(series.fps)
    acc = hip_acceleration(series)
    level, _ = flight_g_ratio(acc, fps, step_s, leg_px)
    if not G_RANGE[0] <= level <= G_RANGE[1]:
        return None
    edges = flight_edges(acc, fps, step_s)
    ics = np.array([e[2] for e in edges if e[2] is not None], dtype=np.float64)
    tos = np.array([e[0] for e in edges if e[0] is not None], dtype=np.float64)
    return ics, tos


def offset_from(frames: Arr, reference: Arr, *, max_frames: float) -> Arr:
    """``(N,)`` signed offset (frames) of each of ``frames`` from the nearest of
    ``reference``; NaN where ``frames`` is NaN or no reference lies within ``max_frames``."""
    out = np.full(frames.shape, np.nan)
    if reference.size == 0:
        return out
    for i, f in enumerate(frames):
        if np.isfinite(f):
            d = f - reference
            j = int(np.argmin(np.abs(d)))
            out[i] = d[j] if abs(d[j]) <= max_frames else np.nan
    return out


def prefer_alternative(default: Arr, alternative: Arr, reference: Arr, fps: float, *,
                       margin_s: float, reach_s: float = 0.08, min_n: int = 3
                       ) -> tuple[bool, float, float]:
    """Whether the ``alternative`` event times (frames, NaN where absent) agree with the free
    fall's ``reference`` edges better than the ``default`` ones, by more than
    ``max(margin_s, half a frame)``: ``|median(alt - ref)| + margin < |median(def - ref)|``
    over the contacts that have both and a reference edge within ``reach_s``; at least
    ``min_n`` such contacts. Also returns the two medians (ms)."""
    a = offset_from(alternative, reference, max_frames=reach_s * fps)
    d = offset_from(default, reference, max_frames=reach_s * fps)
    both = np.isfinite(a) & np.isfinite(d)
    if int(both.sum()) < min_n:
        return False, float("nan"), float("nan")
    med_d, med_a = (float(np.median(x[both])) * 1000.0 / fps for x in (d, a))
    margin_ms = 1000.0 * max(margin_s, 0.5 / fps)
    return abs(med_a) + margin_ms < abs(med_d), med_d, med_a
