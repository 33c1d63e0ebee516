"""Side view: which foot-point rule times this runner's contacts, decided by free fall.

The foot-height rule (:func:`formcam.analysis.events_fit.ic_to`) finds the instant the foot
point on the ground stops descending and starts rising. On a real foot (force plates,
``../shared/mocap``, a forefoot striker) its IC is 26-44 ms late: the shoe settles onto
the ground over some 30 ms; its TO 33-47 ms early. The alternative rules of
:mod:`formcam.analysis.events_lock` (IC when the heel starts moving with the ground, TO when
the last foot point leaves its stance level) are right there: real shoes settle onto the
ground over ~30 ms after the force plate's contact. The drawn foot does not tell the rules
apart (the phantom's shoe settles too, :mod:`formcam.phantom.gait`, but its heel and toe
points are the sole's, which stays on the ground: at 30 fps the foot height reads +11 ms
and the ground lock +22 ms from the flight edges, at 60-120 fps the lock is mostly not
timed). So IC defaults to the rule that is right on real shoes, the ground lock, and TO to
the foot height (within a frame where the toe tip leaves the ground at once), each replaced
by the other rule only when the hips' free
fall (:mod:`formcam.analysis.events_flight`, which ends at IC and begins at TO), over the
clip's contacts, agrees with the other rule's median offset better by more than the flight
edges' own uncertainty (:data:`~formcam.analysis.events_flight.AGREE_MARGIN_IC_S`,
``_TO_S``). Without a free fall (no flight phase, hips too noisy) the defaults stay. A
contact whose ground lock cannot be timed keeps its foot-height IC.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from formcam.analysis.events import Contact
from formcam.analysis.events_fit import fill_nan, pt
from formcam.analysis.events_flight import (
    AGREE_MARGIN_IC_S,
    AGREE_MARGIN_TO_S,
    flight_reference,
    prefer_alternative,
)
from formcam.analysis.events_lock import alternatives
from formcam.series import PoseSeries

log = logging.getLogger(__name__)
Arr = NDArray[np.float64]


FootSignals = tuple[Arr, Arr | None, Arr]
"""One foot's heel height, toe height (None when never tracked) and heel image x: px over the
whole clip, heights y up, NaN gaps filled (:func:`foot_signals`)."""


def foot_signals(series: PoseSeries, side: str, points: dict[str, Arr]) -> FootSignals | None:
    """The signals :func:`with_alternatives` times a contact of ``side`` from, made once per foot;
    None without a heel. ``points``: the foot's ``heel`` / ``foot_index`` heights (px, y up,
    may hold NaN)."""
    heel = fill_nan(points["heel"])
    if not np.isfinite(heel).all():
        return None
    toe = fill_nan(points["foot_index"]) if np.isfinite(points["foot_index"]).any() else None
    return heel, toe, pt(series, f"{side}_heel")[:, 0]


def with_alternatives(c: Contact, foot: FootSignals | None, fps: float, *, leg_px: float,
                      sigma: float) -> Contact:
    """``c`` with its ground-lock IC and last-off TO (frames) attached where they can be timed
    from its foot's signals (:func:`foot_signals`)."""
    if foot is None:
        return c
    lock, last = alternatives(*foot, c.ic_frame, c.to_frame, fps, leg_px=leg_px, sigma=sigma)
    return replace(c, ic_alt_frame=lock, to_alt_frame=last)


def choose_timing(series: PoseSeries, contacts: list[Contact], *, step_s: float, leg_px: float
                  ) -> tuple[list[Contact], str]:
    """The contacts with IC and / or TO moved to the alternative rule where the free fall says
    so (see the module docstring), and a one-line description of the timing used."""
    fps = float(series.fps)
    ref = flight_reference(series, step_s, leg_px) if contacts else None
    # IC: the ground lock unless the free fall prefers the foot height; TO: the foot height
    # unless it prefers the last-off rule (see the module docstring)
    use_ic, use_to, why = True, False, "no free fall to arbitrate"
    if ref is not None:
        nan = float("nan")
        ic = np.array([c.ic_frame for c in contacts])
        to = np.array([c.to_frame for c in contacts])
        ic_alt = np.array([nan if c.ic_alt_frame is None else c.ic_alt_frame for c in contacts])
        to_alt = np.array([nan if c.to_alt_frame is None else c.to_alt_frame for c in contacts])
        height_ic, a_ic, d_ic = prefer_alternative(ic_alt, ic, ref[0], fps, margin_s=AGREE_MARGIN_IC_S)
        use_to, d_to, a_to = prefer_alternative(to, to_alt, ref[1], fps, margin_s=AGREE_MARGIN_TO_S)
        use_ic, why = not height_ic, "chosen by the hips' free fall"
        log.info("side-view timing vs free fall (median ms): IC foot height %+.1f, ground lock %+.1f -> %s; "
                 "TO foot height %+.1f, last off %+.1f -> %s", d_ic, a_ic, "lock" if use_ic else "height",
                 d_to, a_to, "last off" if use_to else "height")
    frames = np.arange(series.n_frames, dtype=np.float64)
    out = []
    for c in contacts:
        new_ic = c.ic_alt_frame if use_ic and c.ic_alt_frame is not None else c.ic_frame
        new_to = c.to_alt_frame if use_to and c.to_alt_frame is not None else c.to_frame
        if new_ic >= new_to:
            new_ic, new_to = c.ic_frame, c.to_frame
        out.append(replace(c, ic_frame=new_ic, to_frame=new_to,
                           ic_s=float(np.interp(new_ic, frames, series.t_s)),
                           to_s=float(np.interp(new_to, frames, series.t_s)),
                           method="ground-lock" if new_ic != c.ic_frame else c.method))
    what = f"IC {'ground lock' if use_ic else 'foot height'}, TO {'last off' if use_to else 'foot height'}"
    return out, f"{what} ({why})"
