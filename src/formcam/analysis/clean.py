"""Clean a pose series: mask low scores, fix left/right leg swaps, fill short gaps, low-pass.

Order of operations (each a pure function of ``(T, K, 2)`` pixel arrays):

1. :func:`mask_low_scores` - keypoints scoring below ``min_score`` become NaN.
2. :func:`fix_leg_swaps` - frame-wise pose models swap the legs (above all the
   far leg in side views). A 2-state Viterbi pass decides per frame whether the
   left/right leg keypoints (knee, ankle, heel, foot_index) are swapped, from
   temporal continuity (second differences = constant-velocity prediction),
   with a small per-frame cost for declaring a swap so that the raw labels win
   whenever continuity cannot tell (legs crossing).
3. :func:`fill_gaps` - NaN runs of at most ``max_gap_s`` are interpolated
   (PCHIP by default, or linear); longer gaps stay NaN.
4. :func:`lowpass` - zero-phase Butterworth (``scipy.signal.butter`` +
   ``filtfilt``) applied to each NaN-free run separately, as Pose2Sim does;
   runs too short for filtfilt's ``padlen`` stay unfiltered.

Default cut-off: :data:`DEFAULT_CUTOFF_HZ` = 10 Hz, capped at ``0.4 * fps``.
Joint-centre kinematics of running hold almost all their power below ~6-8 Hz
(step frequency ~2.8-3 Hz and its first harmonics); Winter's 6 Hz is the walking
value, and running studies commonly use 8-12 Hz. We take 10 Hz because the
values formcam reads *at* initial contact (knee, shank, foot angle) sit at a
velocity discontinuity (foot impact) that a lower cut-off smears into a bias of
several degrees, while pose jitter (1-2 px) at 10 Hz costs < 0.5 deg after the
median over steps. ``cutoff_hz`` is the design cut-off of one pass (-3 dB per
pass, -6 dB after the forward-backward pass). Sampling is assumed uniform at
the nominal ``fps`` (variable-frame-rate jitter is ignored by the filter).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import PchipInterpolator
from scipy.signal import butter, filtfilt

from formcam.series import PoseSeries

log = logging.getLogger(__name__)
Arr = NDArray[np.float64]

DEFAULT_CUTOFF_HZ = 10.0
LEG_PARTS: tuple[str, ...] = ("knee", "ankle", "heel", "foot_index")


@dataclass(frozen=True)
class CleanReport:
    """What cleaning changed (goes into the report's ``quality``).

    Attributes:
        n_masked: keypoint samples set to NaN for a score below ``min_score``.
        n_filled: keypoint samples interpolated in gaps of at most ``max_gap_s``.
        n_missing: keypoint samples still NaN after filling.
        n_swaps_fixed: runs of frames whose leg labels were swapped back.
        swapped_frames: indices of the frames swapped back.
        cutoff_hz: low-pass cut-off used (None if filtering was off).
        min_score, max_gap_s: the thresholds used.
    """

    n_masked: int
    n_filled: int
    n_missing: int
    n_swaps_fixed: int
    swapped_frames: tuple[int, ...]
    cutoff_hz: float | None
    min_score: float
    max_gap_s: float

    def to_dict(self) -> dict[str, object]:
        """JSON-serialisable summary."""
        return {"n_masked": self.n_masked, "n_filled": self.n_filled, "n_missing": self.n_missing,
                "n_swaps_fixed": self.n_swaps_fixed, "swapped_frames": list(self.swapped_frames),
                "cutoff_hz": self.cutoff_hz, "min_score": self.min_score, "max_gap_s": self.max_gap_s}


def default_cutoff_hz(fps: float) -> float:
    """:data:`DEFAULT_CUTOFF_HZ`, capped at 0.4 x ``fps`` (Hz)."""
    return float(min(DEFAULT_CUTOFF_HZ, 0.4 * fps))


def mask_low_scores(xy: Arr, score: Arr, *, min_score: float) -> tuple[Arr, int]:
    """Set keypoints with ``score < min_score`` to NaN; returns (xy copy, number newly masked)."""
    low = (score < min_score) & np.isfinite(xy).all(axis=-1)
    out = xy.copy()
    out[low] = np.nan
    return out, int(low.sum())


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Half-open [start, stop) runs of True in a 1-D mask."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def fill_gaps(xy: Arr, t_s: Arr, *, max_gap_frames: int, method: str = "pchip") -> tuple[Arr, int]:
    """Interpolate interior NaN runs of at most ``max_gap_frames`` frames per keypoint.

    Args:
        xy: ``(T, K, 2)`` pixels, NaN = missing.
        t_s: ``(T,)`` times (s), used as the interpolation abscissa.
        method: ``"pchip"`` (shape-preserving cubic) or ``"linear"``.
    Returns: (filled copy, number of keypoint samples filled).
    """
    if method not in ("pchip", "linear"):
        raise ValueError(f"expected method 'pchip' or 'linear', got {method!r}")
    out = xy.copy()
    n_filled = 0
    for k in range(xy.shape[1]):
        ok = np.isfinite(xy[:, k]).all(axis=1)
        if ok.sum() < 2 or ok.all():
            continue
        first, last = np.flatnonzero(ok)[[0, -1]]
        gaps = [(a, b) for a, b in _runs(np.asarray(~ok))
                if a > first and b <= last and b - a <= max_gap_frames]
        if not gaps:
            continue
        idx = np.concatenate([np.arange(a, b) for a, b in gaps])
        if method == "pchip" and ok.sum() >= 3:
            out[idx, k] = PchipInterpolator(t_s[ok], xy[ok, k], axis=0)(t_s[idx])
        else:
            for c in range(2):
                out[idx, k, c] = np.interp(t_s[idx], t_s[ok], xy[ok, k, c])
        n_filled += idx.size
    return out, n_filled


def lowpass(xy: Arr, *, fps: float, cutoff_hz: float, order: int = 2) -> Arr:
    """Zero-phase Butterworth low-pass of each NaN-free run of each coordinate.

    Runs not longer than filtfilt's ``padlen`` (3 x filter length) are left as they are.
    """
    nyq = fps / 2.0
    if not 0 < cutoff_hz < nyq:
        raise ValueError(f"expected 0 < cutoff_hz < fps/2 = {nyq:g}, got {cutoff_hz}")
    b, a = butter(order, cutoff_hz / nyq)
    padlen = 3 * max(len(a), len(b))
    out = xy.copy()
    flat = out.reshape(out.shape[0], -1)
    for j in range(flat.shape[1]):
        for s, e in _runs(np.isfinite(flat[:, j])):
            if e - s > padlen:
                flat[s:e, j] = filtfilt(b, a, flat[s:e, j])
    return out.reshape(xy.shape)


def _leg_index(names: tuple[str, ...]) -> tuple[list[int], list[int]]:
    left = [names.index(f"left_{p}") for p in LEG_PARTS if f"left_{p}" in names and f"right_{p}" in names]
    right = [names.index(f"right_{p}") for p in LEG_PARTS if f"left_{p}" in names and f"right_{p}" in names]
    return left, right


def _interp_all(x: Arr) -> Arr:
    """Linearly fill every NaN of a (T, M, 2) array along time (ends held)."""
    out = x.copy()
    t = np.arange(x.shape[0], dtype=np.float64)
    for m in range(x.shape[1]):
        for c in range(2):
            ok = np.isfinite(x[:, m, c])
            if ok.any() and not ok.all():
                out[~ok, m, c] = np.interp(t[~ok], t[ok], x[ok, m, c])
    return out


def _swap_costs(legs: Arr, scale_px: float, cap: float) -> Arr:
    """(T, 2, 2, 2) cost of labelling (s[t-2], s[t-1], s[t]) from leg accelerations."""
    n = legs.shape[1] // 2
    alt = np.concatenate([legs[:, n:], legs[:, :n]], axis=1)
    lab = (legs, alt)
    cost = np.zeros((legs.shape[0], 2, 2, 2))
    for a in range(2):
        for b in range(2):
            for c in range(2):
                acc = lab[c][2:] - 2 * lab[b][1:-1] + lab[a][:-2]
                z2 = np.nan_to_num((acc**2).sum(axis=-1) / scale_px**2, nan=0.0)
                cost[2:, a, b, c] = np.minimum(z2, cap).sum(axis=1)
    return cost


def swap_decisions(legs: Arr, *, scale_px: float, fps: float, swap_cost_per_s: float = 1.0,
                   cap: float = 1.0) -> NDArray[np.bool_]:
    """Viterbi labelling: ``(T,)`` True where the left/right leg keypoints should be swapped.

    Args:
        legs: ``(T, 2M, 2)`` pixels: M left leg keypoints then the same M on the right.
        scale_px: body scale (leg length, px) that normalises accelerations.
        swap_cost_per_s: prior cost of one second of frames declared swapped.
        cap: cap of one keypoint's normalised squared acceleration (outliers).
    """
    t = legs.shape[0]
    if t < 3 or not np.isfinite(scale_px) or scale_px <= 0:
        return np.zeros(t, dtype=bool)
    cost = _swap_costs(_interp_all(legs), scale_px, cap)
    lam = swap_cost_per_s / fps
    prior = np.array([0.0, lam])
    acc = prior[:, None] + prior[None, :]          # acc[s0, s1]
    back = np.zeros((t, 2, 2), dtype=np.int8)
    for i in range(2, t):
        tot = acc[:, :, None] + cost[i]             # [a, b, c]
        back[i] = np.argmin(tot, axis=0)
        acc = tot.min(axis=0) + prior[None, :]
    states = np.zeros(t, dtype=np.int8)
    b, c = np.unravel_index(int(np.argmin(acc)), acc.shape)
    states[-2:] = (b, c)
    for i in range(t - 1, 1, -1):
        states[i - 2] = back[i, states[i - 1], states[i]]
    return states.astype(bool)


def fix_leg_swaps(xy: Arr, score: Arr, names: tuple[str, ...], *, fps: float,
                  scale_px: float) -> tuple[Arr, Arr, NDArray[np.bool_]]:
    """Swap back the leg keypoints in frames that :func:`swap_decisions` flags.

    Returns (xy, score, swapped mask ``(T,)``).
    """
    left, right = _leg_index(names)
    if not left:
        return xy, score, np.zeros(xy.shape[0], dtype=bool)
    swap = swap_decisions(xy[:, left + right], scale_px=scale_px, fps=fps)
    xy, score = xy.copy(), score.copy()
    rows = np.flatnonzero(swap)
    lr, rl = np.array(left + right, dtype=np.intp), np.array(right + left, dtype=np.intp)
    xy[np.ix_(rows, lr)] = xy[np.ix_(rows, rl)]
    score[np.ix_(rows, lr)] = score[np.ix_(rows, rl)]
    return xy, score, swap


def swap_legs(series: PoseSeries, ranges: tuple[tuple[int, int], ...]) -> PoseSeries:
    """``series`` with the left/right leg keypoints (and scores) swapped in the half-open
    frame ``ranges`` (e.g. the stances whose foot the contact sequence reassigned,
    :attr:`formcam.analysis.events.Events.swap_frames`); overlapping ranges swap once."""
    left, right = _leg_index(series.keypoints)
    mask = np.zeros(series.n_frames, dtype=bool)
    for a, b in ranges:
        mask[max(a, 0):max(b, 0)] = True
    if not left or not mask.any():
        return series
    rows = np.flatnonzero(mask)
    lr, rl = np.array(left + right, dtype=np.intp), np.array(right + left, dtype=np.intp)
    xy, score = series.xy.copy(), series.score.copy()
    xy[np.ix_(rows, lr)] = series.xy[np.ix_(rows, rl)]
    score[np.ix_(rows, lr)] = series.score[np.ix_(rows, rl)]
    return replace(series, xy=xy, score=score)


def _leg_scale_px(xy: Arr, names: tuple[str, ...]) -> float:
    vals = []
    for s in ("left", "right"):
        if all(f"{s}_{p}" in names for p in ("hip", "knee", "ankle")):
            h, k, a = (xy[:, names.index(f"{s}_{p}")] for p in ("hip", "knee", "ankle"))
            seg = np.hypot(*(h - k).T) + np.hypot(*(k - a).T)
            vals.append(seg[np.isfinite(seg)])
    allv = np.concatenate(vals) if vals else np.zeros(0)
    return float(np.median(allv)) if allv.size else float("nan")


def clean_series(series: PoseSeries, *, min_score: float = 0.3, max_gap_s: float = 0.1,
                 cutoff_hz: float | None = None, filter_order: int = 2, interp: str = "pchip",
                 fix_swaps: bool = True, lowpass_on: bool = True) -> tuple[PoseSeries, CleanReport]:
    """Mask, de-swap, gap-fill and low-pass ``series`` (see module docstring).

    Args:
        series: raw pose series (pixels, y down).
        min_score: keypoints below this confidence become NaN.
        max_gap_s: longest gap (s) that is interpolated; ``round(max_gap_s * fps)`` frames.
        cutoff_hz: low-pass cut-off (Hz); None = :func:`default_cutoff_hz`.
        filter_order: Butterworth order of each pass.
        interp: gap interpolation, ``"pchip"`` or ``"linear"``.
        fix_swaps: detect and repair left/right leg swaps.
        lowpass_on: apply the low-pass filter.
    Returns: (cleaned series, :class:`CleanReport`).
    """
    if not 0.0 <= min_score <= 1.0:
        raise ValueError(f"expected min_score in [0, 1], got {min_score}")
    if max_gap_s < 0:
        raise ValueError(f"expected max_gap_s >= 0, got {max_gap_s}")
    fps = float(series.fps)
    xy, n_masked = mask_low_scores(series.xy, series.score, min_score=min_score)
    score = series.score.copy()
    swapped = np.zeros(series.n_frames, dtype=bool)
    if fix_swaps:
        xy, score, swapped = fix_leg_swaps(xy, score, series.keypoints, fps=fps,
                                           scale_px=_leg_scale_px(xy, series.keypoints))
    xy, n_filled = fill_gaps(xy, series.t_s, max_gap_frames=round(max_gap_s * fps), method=interp)
    cut: float | None = None
    if lowpass_on:
        cut = default_cutoff_hz(fps) if cutoff_hz is None else float(cutoff_hz)
        xy = lowpass(xy, fps=fps, cutoff_hz=cut, order=filter_order)
    runs = _runs(swapped)
    if runs:
        log.info("fixed %d left/right leg swap(s) over %d frames", len(runs), int(swapped.sum()))
    report = CleanReport(n_masked=n_masked, n_filled=n_filled,
                         n_missing=int((~np.isfinite(xy).all(axis=-1)).sum()), n_swaps_fixed=len(runs),
                         swapped_frames=tuple(int(i) for i in np.flatnonzero(swapped)), cutoff_hz=cut,
                         min_score=float(min_score), max_gap_s=float(max_gap_s))
    return replace(series, xy=xy, score=score), report
