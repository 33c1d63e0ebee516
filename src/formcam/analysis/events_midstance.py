"""Rear / front view fallback: contacts placed around the hip's mid-stance low points.

Used by :mod:`formcam.analysis.events_frontal` when the hips do not show free-fall flight
phases (real pose models' hips from behind); timing is approximate (method
``"midstance"``), so contact time is withheld for these contacts.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from formcam.analysis.events import Contact
from formcam.analysis.events_fit import fill_nan, pt
from formcam.analysis.events_period import Periodicity, autocorr_period
from formcam.series import PoseSeries

MIDSTANCE_DUTY = 0.35
"""Contact time / stride time assumed for the mid-stance fallback (running, ~0.3-0.4)."""


def placed_timing(contacts: tuple[Contact, ...] | list[Contact]) -> dict[str, str]:
    """``{"event_timing": ...}`` saying that contact and toe-off were placed, not timed, when
    every contact is a mid-stance placement (for the report's ``quality``); else ``{}``."""
    if not contacts or any(c.method != "midstance" for c in contacts):
        return {}
    return {"event_timing": (
        "not timed: contact and toe-off are placed around each mid-stance (the hips' lowest point) "
        f"with an assumed contact share of {MIDSTANCE_DUTY:g} of the stride; only their mid-stance "
        "and the step times are measured")}


def midstance_contacts(series: PoseSeries, contact_ms_range: tuple[float, float]
                        ) -> tuple[list[Contact], Periodicity] | None:
    """Rear / front view fallback when the foot heights are too noisy for the vertical
    fit (real pose models: foot points jitter by tens of px and follow the body bounce).

    The hip midpoint is lowest at mid-stance, once per step, and the hips are the
    best-tracked points: the step period is the autocorrelation lag of the hip (and
    shoulder) height, and each hip-height minimum (``find_peaks``, spacing >= 0.6
    steps) is one mid-stance. The stance foot is the lower one in the image (label-
    free: ``d = y_left - y_right`` of ankle, heel, toe and knee averaged over
    +-0.15 steps); as sides alternate, the sides are assigned from the labels by a
    majority (|d|-weighted) vote over the whole sequence, not per step. IC / TO are
    placed symmetrically around mid-stance with an assumed duty factor
    (:data:`MIDSTANCE_DUTY`; method ``"midstance"``): timing is approximate, contact
    time is not reported in these views anyway. None if no clear period is found.
    """
    fps = float(series.fps)
    hip_h = -(pt(series, "left_hip")[:, 1] + pt(series, "right_hip")[:, 1]) / 2
    sho_h = -(pt(series, "left_shoulder")[:, 1] + pt(series, "right_shoulder")[:, 1]) / 2
    found = autocorr_period([hip_h, sho_h], fps, lo_s=0.2, hi_s=0.75)
    if found is None or found[1] < 0.3 or not np.isfinite(hip_h).any():
        return None
    step_s, conf, half = found
    per = Periodicity(2 * step_s, conf, "hip_shoulder_height", half_step_acf=half)
    sm = gaussian_filter1d(fill_nan(hip_h), max(0.03 * fps, 0.5))
    mids, _ = find_peaks(-sm, distance=max(1, int(0.6 * step_s * fps)))
    if mids.size < 2:
        return None
    diffs = [pt(series, f"left_{p}")[:, 1] - pt(series, f"right_{p}")[:, 1]
             for p in ("ankle", "heel", "foot_index", "knee")]
    with warnings.catch_warnings():  # frames where every foot point is missing: NaN, filled below
        warnings.simplefilter("ignore", RuntimeWarning)
        d = np.nanmean(np.stack(diffs), axis=0)
    d = fill_nan(np.where(np.isfinite(d), d, np.nan))
    if not np.isfinite(d).all():
        return None
    half_w = max(1, round(0.15 * step_s * fps))
    lean = np.array([np.mean(d[max(m - half_w, 0):m + half_w + 1]) for m in mids])
    n = np.concatenate([[0], np.cumsum(np.maximum(1, np.round(np.diff(mids) / (step_s * fps)))).astype(int)])
    parity = np.where(n % 2 == 0, 1.0, -1.0)
    even_left = float(np.sum(parity * lean)) >= 0  # + : left foot lower at even steps
    frames = np.arange(series.n_frames, dtype=np.float64)
    dur = MIDSTANCE_DUTY * 2 * step_s * fps
    out: list[Contact] = []
    for m, k in zip(mids.tolist(), n.tolist(), strict=True):
        side = "left" if (k % 2 == 0) == even_left else "right"
        ic, to = m - dur / 2, m + dur / 2
        if ic < 0 or to > series.n_frames - 1:
            continue
        ic_s, to_s = (float(np.interp(f, frames, series.t_s)) for f in (ic, to))
        if contact_ms_range[0] <= 1000 * (to_s - ic_s) <= contact_ms_range[1]:
            out.append(Contact(side, ic, to, ic_s, to_s, method="midstance"))
    return out, per
