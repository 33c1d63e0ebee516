"""Initial contact (IC) and toe-off (TO) seen from behind or in front of the runner.

Why not the foot: in a rear or front view the foot's image height mixes its height
above the floor with its distance from the camera (``y = cy + f (H - z) / d``). On a
treadmill the stance foot slides with the belt toward a rear camera (down the image,
~120 px over one stance for a 1 m high camera 4 m behind at f = 2500 px) and away
from a front one, and before IC the swing foot moves in depth too (forward swing,
then retraction), so its image path bends smoothly into stance: on real running
(Fukuchi 2017 mocap, forefoot striker) no foot-point rule found IC within a frame in
both views (kinks, floor-line crossings: 20-60 ms off, of opposite sign in rear and
front).

What works in every view: **the body is in free fall between toe-off and the next
initial contact.** With no ground force the pelvis accelerates at exactly -g; the
ground reaction force, once the foot lands, pushes it up (Newton: a = F/m - g, the
force plate's own principle). So the hip midpoint's vertical image acceleration
(local quadratic, ~50 ms, at least 5 samples; px/s^2, y up) sits on a low flat
*plateau* (-g x px/m) in each flight and rises steeply from it after IC:

1. flights = minima of the acceleration at least 0.6 steps apart (step period from
   the autocorrelation of hip and shoulder height);
2. TO before a flight = where the falling acceleration reaches the plateau, IC after
   it = where it leaves (:func:`plateau_edge`: constant-then-ramp fits on a
   0.05-frame grid within ``reach_s`` = 80 ms of the minimum): sub-frame, and the
   symmetric smoothing of the fit window does not move the kink;
3. one contact runs from the IC after flight j to the TO before flight j+1; its foot
   is the *lower* one in the image in mid-stance (the swing foot is lifted behind
   the body), and as feet alternate the two labellings of the whole sequence are
   compared by that evidence, never decided step by step (:func:`stance_side_votes`).

Measured on the mocap set (exact keypoints, force-plate events): median |error| IC
6 / 6 ms, TO 2 / 3 ms (rear / front, 60 fps); 30 fps with 1.5 px noise and a 6 deg
camera tilt: IC -22 ms, TO +18 ms (one frame = 33 ms; the 5-sample fit spans 133 ms).
Runners without a flight phase (grounded running, walking) have no plateau: then
the few contacts found fail the checks and :func:`detect_frontal_events` falls back to
the hip-height mid-stance estimate, whose contact time is withheld.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from formcam.analysis.events import Contact, Events, Rejected
from formcam.analysis.events_fit import fill_nan, pt
from formcam.analysis.events_flight import (
    G_RANGE,
    MIN_TIMING_FPS,
    flight_edges,
    flight_g_ratio,
    hip_acceleration,
)
from formcam.analysis.events_midstance import midstance_contacts
from formcam.analysis.events_period import DEFAULT_STRIDE_S, Periodicity, autocorr_period
from formcam.analysis.kinematics import leg_length_px as leg_length
from formcam.series import PoseSeries

log = logging.getLogger(__name__)
Arr = NDArray[np.float64]


def stance_side_votes(series: PoseSeries, stances: list[tuple[float, float]]) -> Arr:
    """Per stance ``[ic, to]`` (frames), + when the left foot is lower in the image than the
    right (mean over the middle half of the stance of ankle, heel and toe), - otherwise.
    The stance foot is the lower one in a rear and in a front view: the swing foot is
    lifted behind the body (tens of cm) while depth moves the image height less."""
    diffs = [pt(series, f"left_{p}")[:, 1] - pt(series, f"right_{p}")[:, 1]
             for p in ("ankle", "heel", "foot_index")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        d = fill_nan(np.nanmean(np.stack(diffs), axis=0))
    out = []
    for ic, to in stances:
        lo, hi = round(ic + 0.25 * (to - ic)), round(ic + 0.75 * (to - ic)) + 1
        seg = d[max(lo, 0):min(hi, d.size)]
        out.append(float(np.mean(seg)) if seg.size and np.isfinite(seg).all() else 0.0)
    return np.asarray(out)


def frontal_contacts(series: PoseSeries, step_s: float, *, contact_ms_range: tuple[float, float],
                     acc: Arr) -> tuple[list[Contact], list[Rejected]]:
    """Contacts between consecutive flights (see the module docstring), sides by the
    whole-sequence vote, step times by :func:`_with_steps`. ``acc``: the series'
    :func:`~formcam.analysis.events_flight.hip_acceleration`."""
    fps = float(series.fps)
    fl = flight_edges(acc, fps, step_s)
    spans = [(fl[j][2], fl[j + 1][0]) for j in range(len(fl) - 1)]
    stances = [(float(ic), float(to)) for ic, to in spans if ic is not None and to is not None and ic < to]
    if not stances:
        return [], []
    lean = stance_side_votes(series, stances)
    even_left = float(np.sum(lean[0::2]) - np.sum(lean[1::2])) >= 0  # + : left lower at even stances
    frames = np.arange(series.n_frames, dtype=np.float64)
    out: list[Contact] = []
    rej: list[Rejected] = []
    for k, (ic, to) in enumerate(stances):
        side = "left" if (k % 2 == 0) == even_left else "right"
        ic_s, to_s = (float(np.interp(f, frames, series.t_s)) for f in (ic, to))
        ms = 1000 * (to_s - ic_s)
        if not contact_ms_range[0] <= ms <= contact_ms_range[1]:
            rej.append(Rejected(side, ic_s, to_s, f"contact time {ms:.0f} ms outside "
                                f"{contact_ms_range[0]:.0f}-{contact_ms_range[1]:.0f} ms"))
            continue
        method = "flight" if fps >= MIN_TIMING_FPS else "flight-coarse"
        out.append(Contact(side, ic, to, ic_s, to_s, method=method))
    return _with_steps(out, step_s), rej


def detect_frontal_events(series: PoseSeries, *, contact_ms_range: tuple[float, float] = (80.0, 500.0),
                          leg_length_px: float | None = None) -> Events:
    """IC and TO of both feet in a rear / front view ``series`` (cleaned, not low-passed).

    Contacts from the flight phases (method ``"flight"``, contact time measured), kept
    only when the hips really fall freely there: the median acceleration at the flight
    minima, in g with the body scale (``leg_length_px`` = hip-knee-ankle, taken as
    0.49 x a 1.75 m stature), must be within :data:`G_RANGE` (a bounce with no flight,
    or noisy hips, reads far from 1 g; the flatness of the plateau did not separate a
    sinusoidal bounce from the mocap's real flights, 0.12 vs 0.11 g, so it is only
    reported). When fewer than 60 % of the steps the clip's length implies are found (no flight
    phase, or hips too noisy), the hip-height mid-stance fallback of
    :mod:`formcam.analysis.events_midstance` is used instead (method ``"midstance"``: IC / TO
    placed around mid-stance with an assumed duty factor; contact time withheld).
    """
    fps = float(series.fps)
    hip_h = -(pt(series, "left_hip")[:, 1] + pt(series, "right_hip")[:, 1]) / 2
    sho_h = -(pt(series, "left_shoulder")[:, 1] + pt(series, "right_shoulder")[:, 1]) / 2
    found = autocorr_period([hip_h, sho_h], fps, lo_s=0.2, hi_s=6.0) if series.n_frames >= 4 else None
    if found is None or found[1] < 0.3:
        return Events((), (), DEFAULT_STRIDE_S)
    step_s, conf, half = found
    per = Periodicity(2 * step_s, conf, "hip_shoulder_height", half_step_acf=half)
    acc = hip_acceleration(series)
    contacts, rejected = frontal_contacts(series, step_s, contact_ms_range=contact_ms_range, acc=acc)
    if leg_length_px is None:
        leg_length_px = leg_length(series)
    level, curve = flight_g_ratio(acc, fps, step_s, leg_length_px)
    if not G_RANGE[0] <= level <= G_RANGE[1]:
        log.info("rear/front view: hip acceleration in 'flight' %.2f g (rising %.2f g within 25 ms): "
                 "not free fall", level, curve)
        rejected += [Rejected(c.side, c.ic_s, c.to_s, f"no free fall between contacts (hip acceleration "
                              f"{level:.2f} g, rising {curve:.2f} g within 25 ms)") for c in contacts]
        contacts = []
    dur_s = float(series.t_s[-1] - series.t_s[0])
    if len(contacts) < 0.6 * dur_s / step_s:
        fb = midstance_contacts(series, contact_ms_range)
        if fb is not None and len(fb[0]) > len(contacts):
            log.info("rear/front view: %d flight-phase contacts, using %d mid-stance contacts",
                     len(contacts), len(fb[0]))
            rejected += [Rejected(c.side, c.ic_s, c.to_s, "replaced by the mid-stance fallback")
                         for c in contacts]
            contacts, per = _with_steps(fb[0], fb[1].stride_s / 2), fb[1]
    return Events(tuple(contacts), tuple(sorted(rejected, key=lambda r: r.ic_s)), per.stride_s,
                  periodicity=per)


def _with_steps(contacts: list[Contact], step_s: float) -> list[Contact]:
    """Step time (IC gap) attached to each contact following one of the other foot within 0.6-1.5 steps."""
    out: list[Contact] = []
    for c in contacts:
        prev = out[-1] if out else None
        gap = c.ic_s - prev.ic_s if prev is not None else 0.0
        ok = prev is not None and prev.side != c.side and 0.6 * step_s <= gap <= 1.5 * step_s
        out.append(replace(c, step_time_s=gap if ok else None))
    return out
