"""Initial contact (IC) and toe-off (TO) per foot, for running, from 2D keypoints.

Rear and front views are timed from the hips' free-fall flight phases in
:mod:`formcam.analysis.events_frontal` (mid-stance fallback:
:mod:`formcam.analysis.events_midstance`); this module times side views.

Method (treadmill *and* overground, static *and* panning camera)
-----------------------------------------------------------------
1. *Stride period first* (:mod:`formcam.analysis.events_period`): autocorrelation of a
   clip-level periodic signal (foot fore-aft envelopes and shoulder height). It sets
   the expected spacing of events and is the spectral cadence that
   :mod:`formcam.analysis.metrics` cross-checks.
2. *Anchors*. Side view: each foot's most-forward and next most-backward position
   relative to the hip midpoint (body-relative, so belt, panning camera and a
   runner crossing the frame do not matter), picked with ``find_peaks`` at a
   spacing of >= 0.6 stride periods and a prominence of >= 0.25 leg lengths. IC is
   then searched from 30 ms before to 150 ms after the most-forward point, TO from
   150 ms before to 30 ms after the most-backward point. A foot with fewer than
   two anchors: rough stances where the foot height is near its running floor
   (:func:`formcam.analysis.events_fit.rough_stances`).
3. *Sub-frame refinement* (:func:`formcam.analysis.events_fit.ic_to`): change-point fits of
   the vertical position of the foot point on the ground (the foot stops
   descending at IC, starts rising at TO), inside those windows. Side view: each
   contact also gets the alternatives of :mod:`formcam.analysis.events_lock`: the
   instant the heel's image ``x`` comes within 0.0125 leg of its stance line (the foot
   starts moving with the ground; not for a heel-first landing, whose foot-height IC
   is sharp) and the instant the last foot point rises 0.02 leg above its stance
   level (clean foot points only). Which rules time the clip is decided once, by the
   hips' free fall (:mod:`formcam.analysis.events_choice`): an alternative is used
   (IC method ``"ground-lock"``) only when it is clearly closer to the flight edges.
   ``Events.timing`` says which.
4. *Validation and reconciliation* (report less rather than wrong numbers):
   contact time within ``contact_ms_range`` (80-500 ms); the foot tracked around
   the contact; in a side view the ankle moves backward relative to the hip
   during contact (>= 5 % of leg length). Contacts are then sorted by IC: one
   closer than ``max(step_s_range[0], 0.6 step)`` to the previous one is dropped
   (duplicate, or both legs' labels on one foot). The feet are then assigned so that
   steps alternate (:mod:`formcam.analysis.sides`): a gap of about two steps is a
   missed contact, counted in ``n_missed_contacts`` (the contacts around it are the
   same foot), and the pose model's labels are one vote among several; a stance
   given to the other foot than the label it was timed on is listed in
   ``swap_frames`` (the analysis swaps the leg keypoints there, so the metrics read
   the leg that landed). A step time (IC minus the previous IC) is attached to
   consecutive steps only, when the gap is within ``step_s_range`` and, with a
   trusted stride period, at most 1.5 steps.
   A rejected contact is kept in :attr:`Events.rejected` with the reason.

Measured on the synthetic runner (tests/synthetic.py, 170 cm runner ~510 px tall):
noise-free max IC / TO error 0.7 / 0.4 frames at 30 fps, <= 0.4 / 0.6 frames at
60-240 fps; with 1.5 px white noise RMS IC error 23 / 18 / 14 / 11 ms and TO error
11 / 4 / 4 / 3 ms at 30 / 60 / 120 / 240 fps. On real BlazePose clips the timing of
single events is not validated (literature: 10-14 ms, Young 2023); step counts
and cadence are checked against hand counts in tests/test_real_clips.py.

Measured against force plates (50 N) on real running motion capture of a forefoot
striker (../shared/mocap, exact keypoints; median |error|, signed median), where the
free fall picks the alternatives: IC 2.1 ms (-0.0) at 60 fps, 2.2 ms (-1.9) at 240 fps,
6.7 ms (+6.7) at 120 fps (3.5 m/s, tilted camera), 12.5 ms (-7.7) at 30 fps with 2 px
noise; TO 10.9 (+10.9), 2.6 (-2.6), 3.0 (+1.2), 24.9 ms (-23.9; noisy points keep the
foot-height TO). The foot-height rules alone were 26-44 ms late (IC) and 33-47 ms early
(TO) there; on the drawn runners (phantom, synthetic) they are right and the
alternatives 15-27 ms early / 10-15 ms late, and the free fall keeps them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from formcam.analysis.contacts import Contact, Events, Rejected
from formcam.analysis.events_fit import fill_nan, foot_height_px, ic_to, pt, rough_stances
from formcam.analysis.events_floor import stance_noise
from formcam.analysis.events_period import (
    DEFAULT_STRIDE_S,
    Periodicity,
    fore_aft_anchors,
    fore_aft_px,
    stride_periodicity,
)
from formcam.analysis.sides import feet_of_stances
from formcam.series import PoseSeries

log = logging.getLogger(__name__)
Arr = NDArray[np.float64]
SIDES: tuple[str, str] = ("left", "right")
__all__ = ["Contact", "Events", "Periodicity", "Rejected", "detect_events", "foot_height_px"]



def _check(series: PoseSeries, side: str, ic: float, to: float, h_raw: Arr, *, ank_u: Arr | None,
           leg_px: float, contact_ms_range: tuple[float, float]) -> Contact | Rejected:
    frames = np.arange(h_raw.size, dtype=np.float64)
    ic_s, to_s = (float(np.interp(f, frames, series.t_s)) for f in (ic, to))
    pad = round(0.06 * series.fps) + 1
    lo, hi = max(int(ic) - pad, 0), min(int(np.ceil(to)) + pad + 1, h_raw.size)
    reason = None
    if not np.isfinite(h_raw[lo:hi]).all():
        reason = "foot not tracked around the contact"
    elif not contact_ms_range[0] <= 1000 * (to_s - ic_s) <= contact_ms_range[1]:
        reason = (f"contact time {1000 * (to_s - ic_s):.0f} ms outside "
                  f"{contact_ms_range[0]:.0f}-{contact_ms_range[1]:.0f} ms")
    elif ank_u is not None:
        du = np.interp(to, frames, ank_u) - np.interp(ic, frames, ank_u)
        if not du < -0.05 * leg_px:
            reason = "ankle did not move backward relative to the hip during contact"
    return Rejected(side, ic_s, to_s, reason) if reason else Contact(side, ic, to, ic_s, to_s)


Window = tuple[float, float]


Stance = tuple[int, int, Window | None, Window | None]


def _windows(series: PoseSeries, per: Periodicity, *, forward_sign: int, leg_px: float,
             anchored: bool) -> list[tuple[str, list[Stance]]]:
    """Per contact, its side label and the rough stances ``(a, b, ic_window, to_window)``
    (frames) to try in turn.

    Anchored (side view, at least two fore-aft anchors): ``a`` / ``b`` = 50 ms after the
    most-forward / 40 ms before the most-backward point (the synthetic offsets, used
    as the estimate when the vertical fit fails) with the IC / TO search windows
    around the extremes. When a foot-height rough stance of that foot starts inside
    the IC window and lasts 0.5-1.5 times the anchors' spacing, that rough stance
    with the vertical method's own default windows is tried first (clean foot
    points: tighter windows). Otherwise: the foot-height rough stances of each foot.
    """
    fps = float(series.fps)
    rough = {s: rough_stances(fill_nan(foot_height_px(series, s)), fps, per.stride_s) for s in SIDES}
    anchors = (fore_aft_anchors(fore_aft_px(series, "left", forward_sign),
                                fore_aft_px(series, "right", forward_sign), fps, per.stride_s, leg_px)
               if anchored else [])
    if len(anchors) < 2:
        return [(s, [(a, b, None, None)]) for s in SIDES for a, b in rough[s]]
    out: list[tuple[str, list[Stance]]] = []
    for m, n, k in anchors:
        mid = (m + n) / 2
        icw = (m - 0.03 * fps, min(m + 0.15 * fps, mid))
        tries: list[Stance] = [(ra, rb, None, None) for ra, rb in rough[SIDES[k]]
                               if icw[0] <= ra <= icw[1] and 0.5 <= (rb - ra) / (n - m) <= 1.5]
        a, b = min(round(m + 0.05 * fps), round(mid)), max(round(n - 0.04 * fps), round(mid) + 1)
        out.append((SIDES[k], [*tries[:1], (a, b, icw, (max(n - 0.15 * fps, mid), n + 0.03 * fps))]))
    return out


def _contacts(series: PoseSeries, per: Periodicity, *, forward_sign: int, side_view: bool,
              leg_px: float, contact_ms_range: tuple[float, float]) -> tuple[list[Contact], list[Rejected]]:
    fps = float(series.fps)
    out: list[Contact] = []
    rej: list[Rejected] = []
    windows = _windows(series, per, forward_sign=forward_sign, leg_px=leg_px, anchored=side_view)
    points_of = {s: {p: -pt(series, f"{s}_{p}")[:, 1] for p in ("heel", "foot_index", "ankle")}
                 for s in SIDES}
    # pixel noise of the foot points: heels and toes of both feet, all rough stances together
    sigma = stance_noise([(points_of[s][p], t[-1][:2]) for s, t in windows if t
                          for p in ("heel", "foot_index")])
    noise = {"heel": sigma, "foot_index": sigma}
    from formcam.analysis.events_choice import foot_signals, with_alternatives  # (imports this module)
    feet = {s: foot_signals(series, s, points_of[s]) for s in SIDES} if side_view else {}
    for side, tries in windows:
        points = points_of[side]
        h_raw = foot_height_px(series, side)
        if not np.isfinite(h_raw).any():
            continue
        h = fill_nan(h_raw)
        found = None
        for a, b, icw, tow in tries:
            found = ic_to(points, h, a, b, fps, ic_win=icw, to_win=tow, leg_px=leg_px, noise=noise)
            if found is not None:
                break
        # anchored contacts run from a most-forward to a most-backward point by construction
        ank_u = fore_aft_px(series, side, forward_sign) if side_view and len(tries) and \
            tries[-1][2] is None else None
        res: Contact | Rejected
        if found is not None:
            res = _check(series, side, found[0], found[1], h_raw, ank_u=ank_u, leg_px=leg_px,
                         contact_ms_range=contact_ms_range)
            if isinstance(res, Contact) and side_view:
                res = with_alternatives(res, feet[side], fps, leg_px=leg_px, sigma=sigma)
        elif icw is not None and 0.2 * fps <= a < b < h.size - 0.2 * fps:  # fit failed: fore-aft estimate
            res = _check(series, side, float(a), float(b), h_raw, ank_u=ank_u, leg_px=leg_px,
                         contact_ms_range=contact_ms_range)
            res = replace(res, method="fore-aft") if isinstance(res, Contact) else res
        else:
            continue
        if isinstance(res, Contact):
            out.append(res)
        else:
            rej.append(res)
    return out, rej


def _sequence(contacts: list[Contact], step_s_range: tuple[float, float], per: Periodicity
              ) -> tuple[list[Contact], list[Rejected]]:
    """Sort by IC and drop contacts too close to the previous one (see module docstring)."""
    step = per.stride_s / 2 if per.trusted else None
    min_gap = max(step_s_range[0], 0.6 * step) if step else step_s_range[0]
    max_gap = min(step_s_range[1], 1.5 * step) if step else step_s_range[1]
    out: list[Contact] = []
    rej: list[Rejected] = []
    for c in sorted(contacts, key=lambda c: c.ic_s):
        gap = c.ic_s - out[-1].ic_s if out else np.inf
        if gap < min_gap:
            what = "same foot" if out[-1].side == c.side else "step time"
            rej.append(Rejected(c.side, c.ic_s, c.to_s, f"{what} {1000 * gap:.0f} ms after the previous "
                                f"contact, outside {1000 * min_gap:.0f}-{1000 * max_gap:.0f} ms"))
            continue
        out.append(c)
    return out, rej


@dataclass(frozen=True)
class _Feet:
    contacts: list[Contact]
    swaps: tuple[tuple[int, int], ...]
    n_missed: int
    confidence: float


def _alternate(series: PoseSeries, seq: list[Contact], per: Periodicity, *, step_s_range: tuple[float, float],
               forward_sign: int, side_view: bool, leg_px: float) -> _Feet:
    """Feet of the time-ordered contacts ``seq`` so that steps alternate
    (:func:`formcam.analysis.sides.assign_sides`), step times (consecutive steps only), and the
    frame ranges whose leg labels must be swapped so that each stance foot carries its foot's labels."""
    if not seq:
        return _Feet([], (), 0, 1.0)
    ic_s = np.array([c.ic_s for c in seq])
    step_s = per.stride_s / 2 if per.trusted or len(seq) < 3 else float(np.median(np.diff(ic_s)))
    max_gap = min(step_s_range[1], 1.5 * step_s) if per.trusted else step_s_range[1]
    det = np.array([c.side == "left" for c in seq])
    ic, to = np.array([c.ic_frame for c in seq]), np.array([c.to_frame for c in seq])
    got, swaps = feet_of_stances(series, ic, to, ic_s, det, step_s, side_view=side_view,
                                 forward_sign=forward_sign, leg_px=leg_px)
    out: list[Contact] = []
    for k, c in enumerate(seq):
        gap = c.ic_s - seq[k - 1].ic_s if k else np.inf
        one = k > 0 and got.step_number[k] - got.step_number[k - 1] == 1 and gap <= max_gap
        out.append(replace(c, side="left" if got.left[k] else "right", step_time_s=gap if one else None))
    return _Feet(out, swaps, got.n_missed, got.confidence)


def detect_events(series: PoseSeries, *, forward_sign: int = 1, side_view: bool = True,
                  leg_length_px: float | None = None,
                  contact_ms_range: tuple[float, float] = (80.0, 500.0),
                  step_s_range: tuple[float, float] = (0.2, 0.75)) -> Events:
    """IC and TO of both feet in a cleaned ``series`` (see module docstring).

    Args:
        series: cleaned (swap-fixed, gap-filled, *not* low-passed) pose series, pixels y down.
        forward_sign: +1 runner faces image-right, -1 image-left (side view).
        side_view: use the fore-aft anchors and require the ankle to move backward
            relative to the hip in contact.
        leg_length_px: body scale (px); estimated from the series if None.
        contact_ms_range: plausible contact times (ms).
        step_s_range: plausible step times (s).
    """
    if forward_sign not in (1, -1):
        raise ValueError(f"expected forward_sign +1 or -1, got {forward_sign}")
    if series.n_frames < 4:
        return Events((), (), DEFAULT_STRIDE_S)
    if leg_length_px is None:
        from formcam.analysis.kinematics import leg_length_px as _leg
        leg_length_px = _leg(series)
    if not side_view:  # rear / front view: flight phases of the hips (own module)
        from formcam.analysis.events_frontal import detect_frontal_events
        return detect_frontal_events(series, contact_ms_range=contact_ms_range, leg_length_px=leg_length_px)
    per = stride_periodicity(series, side_view=side_view, forward_sign=forward_sign)
    contacts, rejected = _contacts(series, per, forward_sign=forward_sign, side_view=side_view,
                                   leg_px=leg_length_px, contact_ms_range=contact_ms_range)
    from formcam.analysis.events_choice import choose_timing
    contacts, timing = choose_timing(series, contacts, step_s=per.stride_s / 2, leg_px=leg_length_px)
    seq, rej2 = _sequence(contacts, step_s_range, per)
    feet = _alternate(series, seq, per, step_s_range=step_s_range, forward_sign=forward_sign,
                      side_view=side_view, leg_px=leg_length_px)
    rejected += rej2
    for rej in rejected:
        log.debug("rejected %s contact at %.3f s: %s", rej.side, rej.ic_s, rej.reason)
    return Events(tuple(feet.contacts), tuple(sorted(rejected, key=lambda r: r.ic_s)), per.stride_s,
                  periodicity=per, n_missed_contacts=feet.n_missed, swap_frames=feet.swaps,
                  side_confidence=feet.confidence, timing=timing)
