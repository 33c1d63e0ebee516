"""Numeric primitives of :mod:`formcam.analysis.events_flow`: the sub-frame change-point fit of
a speed profile (one value per frame interval), the window that holds the change, a
spike-removing running median, and the slowest point of a rigidly moving sole line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Arr = NDArray[np.float64]


@dataclass(frozen=True)
class FlowFit:
    """One event timed from the motion profile: fractional frame, jump (leg/s), floor (leg/s), r2."""

    frame: float
    jump: float
    floor: float
    r2: float


def _interval_basis(t_end: Arr, cut: float, *, before: bool, tau: float = 0.0) -> tuple[Arr, Arr]:
    """Averages over the intervals ``[t-1, t]`` of the jump term and the ramp term of the hinge
    at ``cut``: for ``before`` (IC) ``[x < cut] + [x >= cut] exp(-(x - cut) / tau)`` and
    ``[x < cut] (cut - x)``; otherwise (TO) ``[x > cut] + [x <= cut] exp(-(cut - x) / tau)``
    and ``[x > cut] (x - cut)``. ``tau = 0``: no settling tail (a step)."""
    lo, hi = t_end - 1.0, t_end
    if before:
        a = np.clip(cut - lo, 0.0, 1.0)
        b = (np.maximum(cut - lo, 0.0) ** 2 - np.maximum(cut - hi, 0.0) ** 2) / 2.0
        if tau > 0:
            u0, u1 = np.maximum(lo - cut, 0.0), np.maximum(hi - cut, 0.0)
            a = a + tau * (np.exp(-u0 / tau) - np.exp(-u1 / tau))
    else:
        a = np.clip(hi - cut, 0.0, 1.0)
        b = (np.maximum(hi - cut, 0.0) ** 2 - np.maximum(lo - cut, 0.0) ** 2) / 2.0
        if tau > 0:
            u0, u1 = np.maximum(cut - hi, 0.0), np.maximum(cut - lo, 0.0)
            a = a + tau * (np.exp(-u0 / tau) - np.exp(-u1 / tau))
    return a, b


def fit_change(speed: Arr, t_end: Arr, lo: float, hi: float, *, before: bool,
               jump_frames: float = 2.0, taus: tuple[float, ...] = (0.0,)) -> FlowFit | None:
    """Least-squares change point of ``speed`` (one value per interval ending at ``t_end``).

    ``before=True``: the speed is high before ``T`` and at the floor after (initial contact);
    ``False``: at the floor before and rising after (toe-off). ``T`` in ``[lo, hi]``
    (fractional frames). ``taus`` (frames): settling times tried for the jump's tail on the
    floor's side (0 = a step; see :func:`_interval_basis`), the best fit wins; a tail only
    where two intervals lie wholly on the decline's (rise's) side of ``T``, else the whole
    change would pass for a tail. ``jump`` = the model's change ``jump_frames`` from ``T``;
    units of ``speed``.
    """
    ok = np.isfinite(speed)
    if ok.sum() < 5 or hi <= lo:
        return None
    y, t = speed[ok], t_end[ok]
    best: tuple[float, float, Arr] | None = None
    for tau in taus:
        start, end = lo, hi  # a tail needs two intervals wholly on the change's side of T
        if tau > 0 and before:
            start = max(lo, float(t[1]))
        elif tau > 0:
            end = min(hi, float(t[-2]) - 1.0)
        for cut in np.arange(start, end + 1e-9, 0.05):
            coef, sse = _fit_hinge(y, *_interval_basis(t, cut, before=before, tau=tau))
            if best is None or sse < best[0]:
                best = (sse, float(cut), coef)
    if best is None:
        return None
    sse, cut, coef = best
    sst = float(np.sum((y - y.mean()) ** 2))
    return FlowFit(frame=cut, jump=float(coef[1] + jump_frames * coef[2]), floor=float(coef[0]),
                   r2=1.0 - sse / sst if sst > 0 else 0.0)


def _fit_hinge(y: Arr, a: Arr, b: Arr) -> tuple[Arr, float]:
    """Least squares ``y ~ c + alpha a + beta b`` with ``alpha, beta >= 0``: coefficients, SSE."""
    design = np.stack([np.ones_like(y), a, b], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    if coef[1] < 0 or coef[2] < 0:  # refit without the offending term (non-negative model)
        keep = [0] + [k for k in (1, 2) if coef[k] >= 0]
        sub, *_ = np.linalg.lstsq(design[:, keep], y, rcond=None)
        coef = np.zeros(3)
        coef[keep] = sub
        coef = np.maximum(coef, [-np.inf, 0.0, 0.0])
    return np.asarray(coef, dtype=np.float64), float(np.sum((design @ coef - y) ** 2))


def line_speed(w: Arr, k: Arr, *, lo: float = -0.3, hi: float = 1.3) -> Arr:
    """``min over s in [lo, hi] of |w + s k|`` for velocities ``w, k (..., 2)``: the slowest point
    of a sole line whose velocity is ``w`` at the heel and changes by ``k`` to the toe."""
    kk = np.sum(k * k, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.clip(np.where(kk > 0, -np.sum(w * k, axis=-1) / kk, 0.0), lo, hi)
    return np.asarray(np.hypot(*np.moveaxis(w + s[..., None] * k, -1, 0)))


def despike(x: Arr, *, width: int = 3) -> Arr:
    """Running median over ``width`` frames along axis 0 (NaN where the window holds a NaN).

    A monotonic run is left exactly as it is (so is a change from a floor to a ramp), while
    spikes of up to ``width // 2`` frames are removed."""
    h = width // 2
    if x.shape[0] < width:
        return x
    pad = np.concatenate([np.repeat(x[:1], h, axis=0), x, np.repeat(x[-1:], h, axis=0)])
    win = np.lib.stride_tricks.sliding_window_view(pad, width, axis=0)
    return np.asarray(np.median(win, axis=-1))


def change_window(seg: Arr, at: float, i0: int, lo: float, hi: float, *, before: bool,
                  span: float) -> tuple[float, float, int, Arr]:
    """The part of ``seg`` (speeds of intervals ending at ``i0, i0+1, ...``) that holds the change:
    from the frame before the speed last holds half its sustained peak before IC to the end
    (IC), or from the start to the frame after it first holds half the peak after TO (TO).
    *Sustained*: the smallest of three consecutive frames, so that a spike is never a peak;
    the peak is looked for within ``span`` frames before (IC) or after (TO) ``at``, the
    keypoint event; values of half the peak or more on the floor's side are spikes and are
    left out (NaN).
    Gives the search range and first frame clipped to it."""
    run = np.where(np.isfinite(seg), seg, -np.inf)
    held = np.minimum(np.minimum(run, np.roll(run, 1)), np.roll(run, -1))
    held[0], held[-1] = min(run[0], run[1]), min(run[-1], run[-2])
    a = min(max(int(np.ceil(at)), 0), seg.size - 1)
    if before:
        b = max(a - int(np.ceil(span)), 0)
        k = int(np.argmax(held[b: a + 1])) + b
    else:
        k = int(np.argmax(held[a: a + int(np.ceil(span)) + 1])) + a
    half = 0.5 * held[k]
    low = np.flatnonzero(run < half)
    seg = seg.copy()
    if before:
        after = low[low > k]
        c = int(after[0]) - 1 if after.size else seg.size - 1
        seg[c + 1:][seg[c + 1:] >= half] = np.nan
        c = max(c - 1, k)
        return max(lo, float(i0 + c - 1)), hi, i0 + c, seg[c:]
    prior = low[low < k]
    c = int(prior[-1]) + 1 if prior.size else 0
    seg[:c][seg[:c] >= half] = np.nan
    c = min(c + 1, seg.size - 1)
    return lo, min(hi, float(i0 + c)), i0, seg[: c + 1]
