"""Sub-frame IC / TO refinement from the *vertical* position of the foot's lowest point.

Used by :mod:`formcam.analysis.events` (see there for the whole method). The signal is
``h(t) = -max(y_heel, y_foot_index)`` (pixels, y up; the ankle stands in where
both are missing). During stance that point rests on the ground, so ``h`` is
flat at floor level from IC to TO and above the floor in swing; this holds on a
treadmill and overground, from the side, the back and the front.

* :func:`rough_stances`: ``h`` below ``floor + 0.2 * range`` (running 10th / 95th
  percentiles over ~1.2 strides), used in rear / front views where no fore-aft
  signal exists.
* :func:`ic_to`: change-point ("hinge") least-squares fits, still (``h = c``) on
  one side of ``t0`` and moving on the other (IC: ``c + s f + q f^2``; TO:
  ``c + s f``; ``f = |t - t0|``, ``s > 0``), on a 0.05-frame grid: a coarse fit on
  ``h`` over 100 ms windows, then 50 ms (>= 3 frames) windows re-centred until
  stable, on the single point that is on the ground (heel or toe, whichever is
  nearest its own floor level). Pass the series *before* the low-pass: the fit is
  its own noise filter, and a symmetric low-pass would only round the kink.
  (Kinematic-peak methods - Handsaker 2016 - were tried first; after 2D-pose
  filtering the smooth pre-contact deceleration of the foot produced a competing
  peak and IC came out 40-90 ms early.) With the leg length known, IC / TO then move to
  the floor crossing of the heel or toe (:mod:`formcam.analysis.events_floor`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import percentile_filter

from formcam.analysis.events_floor import floor_crossing
from formcam.series import PoseSeries

Arr = NDArray[np.float64]


def pt(series: PoseSeries, name: str) -> Arr:
    return np.asarray(series.point(name), dtype=np.float64)


def foot_height_px(series: PoseSeries, side: str) -> Arr:
    """``(T,)`` height (px, y up) of the lowest of heel and foot_index; ankle as a fallback."""
    low = np.fmax(pt(series, f"{side}_heel")[:, 1], pt(series, f"{side}_foot_index")[:, 1])
    ank = pt(series, f"{side}_ankle")[:, 1]
    both = np.isfinite(low) & np.isfinite(ank)
    offset = float(np.median(low[both] - ank[both])) if both.any() else 0.0
    low = np.where(np.isfinite(low), low, ank + offset)
    return np.asarray(-low)


def fill_nan(x: Arr) -> Arr:
    ok = np.isfinite(x)
    if ok.all() or not ok.any():
        return x.copy()
    i = np.arange(x.size, dtype=np.float64)
    return np.asarray(np.interp(i, i[ok], x[ok]))



def runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def rough_stances(h: Arr, fps: float, period_s: float, *, frac: float = 0.2) -> list[tuple[int, int]]:
    size = max(int(1.2 * period_s * fps) | 1, 5)
    floor = percentile_filter(h, 10, size=size, mode="nearest")
    top = percentile_filter(h, 95, size=size, mode="nearest")
    low = h < floor + frac * (top - floor)
    merged: list[tuple[int, int]] = []
    for a, b in runs(low):
        if merged and a - merged[-1][1] < 0.05 * fps:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return [(a, b) for a, b in merged if b - a >= max(2, int(0.03 * fps))]


def _hinge(h: Arr, t_lo: float, t_hi: float, *, moving_w: float, still_w: float,
           rising: bool, degree: int = 1) -> float | None:
    """Sub-frame time (frames) of the contact kink of ``h``, searched in [t_lo, t_hi].

    Model for each candidate ``t0`` (0.05-frame grid): the point is still (``h = c``)
    on one side of ``t0`` and moves on the other, ``h = c + s*f (+ q*f**2)`` with
    ``f = |t - t0|``, rising away from the floor; least squares over the one fixed
    window ``[t_lo - w, t_hi + w]`` (``w`` = ``moving_w`` on the moving side,
    ``still_w`` on the still side), so all candidates are judged on the same samples.
    For a kink rounded by a symmetric smoothing the best ``t0`` stays at the kink.
    None if the window leaves the data.
    """
    lo_w, hi_w = (still_w, moving_w) if rising else (moving_w, still_w)
    lo, hi = int(np.floor(t_lo - lo_w)), int(np.ceil(t_hi + hi_w)) + 1
    if lo < 0 or hi > h.size or t_hi < t_lo:
        return None
    grid = np.arange(t_lo, t_hi + 1e-9, 0.05)
    rel = np.arange(lo, hi, dtype=np.float64)[None, :] - grid[:, None]
    f = np.maximum(rel, 0) if rising else np.maximum(-rel, 0)
    y = h[lo:hi] - h[lo:hi].mean()
    a = np.stack([np.ones_like(f)] + [f**k for k in range(1, degree + 1)], axis=-1)  # (G, N, P)
    ata = np.einsum("gni,gnj->gij", a, a) + 1e-9 * np.eye(degree + 1)
    coef = np.linalg.solve(ata, np.einsum("gni,n->gi", a, y)[..., None])[..., 0]
    sse = ((np.einsum("gni,gi->gn", a, coef) - y[None, :]) ** 2).sum(axis=1)
    sse[coef[:, 1] <= 0] = np.inf  # the point meets / leaves the floor with a non-zero speed
    if not np.isfinite(sse).any():
        return None
    return float(grid[int(np.argmin(sse))])


def _contact_point(points: dict[str, Arr], a: int, b: int, at: float) -> Arr:
    """The foot point (heel, toe or ankle) lowest relative to its own stance floor at frame ``at``."""
    best, best_v = points["ankle"], np.inf
    i = int(np.clip(round(at), 0, next(iter(points.values())).size - 1))
    for name in ("heel", "foot_index"):
        h = points[name]
        seg = h[a:b]
        if not np.isfinite(seg).all() or not np.isfinite(h[i]):
            continue
        v = h[i] - np.percentile(seg, 10)
        if v < best_v:
            best, best_v = h, v
    return best


def ic_to(points: dict[str, Arr], low: Arr, a: int, b: int, fps: float, *,
          ic_win: tuple[float, float] | None = None,
          to_win: tuple[float, float] | None = None,
          leg_px: float = float("nan"),
          noise: dict[str, float] | None = None) -> tuple[float, float] | None:
    """(IC, TO) fractional frames of the rough stance [a, b): coarse fit on the lowest
    point, then a fine fit on the heel or toe that is on the ground.

    ``ic_win`` / ``to_win`` (frames) bound the search; by default IC is searched in
    ``[a - 50 ms, min(a + 150 ms, mid)]`` and TO in ``[max(b - 150 ms, mid), b + 50 ms]``.
    A fine estimate that leaves its window by more than one frame falls back to the
    coarse one (noisy real foot points can drag the re-centred fit away). With the leg
    length ``leg_px`` (px) known, IC / TO are then moved to the floor crossing of the
    heel or toe (:func:`~formcam.analysis.events_floor.floor_crossing`; ``noise``: px per
    point name, from all stances, see :func:`~formcam.analysis.events_floor.stance_noise`);
    without it they stay at the fit.
    """
    mid = (a + b) / 2
    wide = max(0.1 * fps, 4.0)
    icw = ic_win or (max(a - 0.05 * fps, 0), min(a + 0.15 * fps, mid))
    tow = to_win or (max(b - 0.15 * fps, mid), b + 0.05 * fps)
    ic0 = _hinge(low, max(icw[0], 0.0), icw[1], moving_w=wide, still_w=wide, rising=False)
    to0 = _hinge(low, tow[0], tow[1], moving_w=wide, still_w=wide, rising=True)
    if ic0 is None or to0 is None:
        return None
    off = max(1.0, 0.02 * fps)
    ic = _fine(fill_nan(_contact_point(points, a, b, ic0 + off)), ic0, fps, rising=False)
    to = _fine(fill_nan(_contact_point(points, a, b, to0 - off)), to0, fps, rising=True)
    if ic is None or to is None:
        return None
    if not icw[0] - 1 <= ic <= icw[1] + 1:
        ic = ic0
    if not tow[0] - 1 <= to <= tow[1] + 1:
        to = to0
    if ic >= to:
        return None
    # the first foot point to reach its floor makes the IC, the last to leave it the TO
    feet = [(fill_nan(points[n]), (noise or {}).get(n)) for n in ("heel", "foot_index")
            if np.isfinite(points[n][a:b]).all()]
    ics = [(t[0], f, t[1]) for t, f in ((floor_crossing(f, ic, to, fps, at_ic=True, leg_px=leg_px,
                                                        sigma=sg), f) for f, sg in feet)
           if t is not None and icw[0] - 1 <= t[0] <= icw[1] + 1]
    tos = [(t[0], f, t[1]) for t, f in ((floor_crossing(f, ic, to, fps, at_ic=False, leg_px=leg_px,
                                                        sigma=sg), f) for f, sg in feet)
           if t is not None and tow[0] - 1 <= t[0] <= tow[1] + 1]
    if ics:
        ic = _polish(*min(ics, key=lambda x: x[0]), fps, rising=False, leg_px=leg_px)
    if tos:
        to = _polish(*max(tos, key=lambda x: x[0]), fps, rising=True, leg_px=leg_px)
    return (ic, to) if ic < to else None



def _polish(start: float, h: Arr, sigma: float, fps: float, *, rising: bool, leg_px: float) -> float:
    """A floor crossing ``start`` of a noisy point (noise ``sigma`` >= 0.002 leg) refined by
    the hinge fit (:func:`_fine`) started there: the kink nearest it, less
    noise-sensitive; the crossing itself when the fit wanders more than 1.5 frames
    away (it found another kink) or the point is nearly noise-free."""
    if sigma < 0.002 * leg_px:
        return start
    est = _fine(h, start, fps, rising=rising)
    return est if est is not None and abs(est - start) <= 1.5 else start


def _fine(h: Arr, start: float, fps: float, *, rising: bool, n_iter: int = 10) -> float | None:
    """Hinge fits with the window re-centred on the previous estimate (at most ``n_iter``).

    Windows: 50 ms (at least 3 frames) each side. IC: quadratic moving side (the
    foot decelerates before touch-down, which a line would turn into an early IC at
    low frame rates); TO: linear (the toe leaves the floor abruptly; a line is less
    noise-sensitive).
    """
    moving_w, still_w = max(0.05 * fps, 3.0), max(0.05 * fps, 3.0)
    est: float | None = start
    for _ in range(n_iter):
        assert est is not None
        new = _hinge(h, est - 2.0, est + 2.0, moving_w=moving_w, still_w=still_w, rising=rising,
                     degree=1 if rising else 2)
        if new is None:
            return None
        done = abs(new - est) < 0.1
        est = new
        if done:
            break
    return est
