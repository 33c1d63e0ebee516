"""Initial contact and toe-off from how the shoe moves against the ground (image motion).

The keypoint-based events (:mod:`formcam.analysis.events`) inherit the pose model's foot
biases. The pose pass also measures each foot's image velocity at points along the sole
and of the ground below it (:class:`formcam.series.FootMotion`, from
:mod:`formcam.pose.footflow`). In stance the sole's contact point moves with the ground
(still overground, at belt speed on a treadmill); in swing it does not. This module times
the change, per keypoint-based contact, and keeps the keypoint time where the motion does
not show it clearly.

Method, per contact (frames are fractional indices, interval ``i`` = frames ``i-1 .. i``):

1. *Stance foot*: the foot label whose sole is lower in the image at mid-stance (the
   swinging foot is well above it), so the model's left/right labels do not matter.
2. *Ground velocity* ``g(t)`` (px/frame), per foot: the stance sole's own velocity at the
   middle of each of that foot's contacts (median over the middle half of the stance and the
   sole points), interpolated in time between them (the near and the far foot stand on
   ground at different depths, whose image speeds differ in perspective). A static camera
   gives a constant (zero overground, the belt's speed on a treadmill, whose black belt may
   have no texture to measure); a smoothly panning camera a slowly changing one.
3. *Contact speed* ``s(i)`` (leg lengths per second): the slowest point of the sole relative
   to ``g``: the smallest of the measured sole points (heel to toe, just inside the shoe) and
   of the sole line under the shoe's rigid motion (translation and rotation fitted to those
   points), from 0.3 foot lengths behind the heel keypoint to 0.3 beyond the toe keypoint
   (the pose model puts them inside the shoe's outline): the pivot of a heel strike or of the
   push-off. A running median of three frames removes one-frame spikes and leaves monotonic
   changes as they are. The feet' motion follows the label repairs of the cleaning
   (:meth:`formcam.series.FootMotion.swapped`).
4. *Fits*: IC is the end of a decline, ``s = c + [t < T] (a + b (T - t)) + [t >= T] a
   exp(-(t - T) / tau)``, with the settling time ``tau`` tried from ``ic_settle_s`` (0 = a
   step, and 15 ms, the mocap shoes' decay time), the better fit wins: a real shoe does not
   stop dead at contact. Its markers (mocap, force plate) still move at ~0.4 of the belt
   speed over the belt at IC and come to rest over ~30 ms (midsole, shoe on the foot), so
   the end of the decline alone came 20-21 ms after the force plate's IC at 60-240 fps; the
   kink before the tail is +3 ms. TO is the start of a rise, ``s = c + [t > T] (a + b (t -
   T))`` (``a, b >= 0``); both averaged exactly over the intervals, least squares over ``T``
   on a 0.05-frame grid. The data run from the swing's sustained peak speed (the smallest
   of three frames: a spike is no peak) through the change to mid-stance, only from the
   frame before the speed last held half that peak (IC; to the frame after it first holds
   it, TO); values of half the peak or more on the
   stance side are spikes (a keypoint on the other foot) and are left out. ``T`` is searched
   within ``search_s`` of the keypoint event, not past mid-stance, and not before the
   previous contact's toe-off (IC) or after the next contact's IC (TO): running has a
   flight between them.
5. *Acceptance*: the foot measured on two frames or more on each side of ``T`` and on
   ``min_measured`` of the frames within 50 ms of it; the model's speed change ``jump_s``
   from ``T`` at least ``min_jump_leg_per_s`` leg lengths per second and more than twice
   the floor ``c`` (a hidden, blurred or too small foot gives a flat or noisy profile); the
   fit explains at least ``min_r2`` of the variance; the contact time stays within
   ``contact_ms_range``. Otherwise the keypoint event is kept, and the contact's source
   (``ic_source`` / ``to_source``) says so. A contact whose IC and TO are both timed here
   gets ``method="flow"`` (it is no longer a rough keypoint contact, e.g. ``"fore-aft"``).

Steps 1-3 are in :mod:`formcam.analysis.events_flow_speed`, the fits of step 4 in
:mod:`formcam.analysis.events_flow_fit`.

Measured (``formcam verify`` through the pose model, and the synthetic block on a belt in
tests/test_footflow.py): see the README's Accuracy section.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from formcam.analysis.events import Contact, Events
from formcam.analysis.events_flow_fit import FlowFit, change_window, despike, fit_change
from formcam.analysis.events_flow_speed import contact_speed, follow_foot, ground_velocity, stance_foot
from formcam.series import FootMotion, PoseSeries

log = logging.getLogger(__name__)
Arr = NDArray[np.float64]
FLOW = "flow"
KEYPOINTS = "keypoints"


@dataclass(frozen=True)
class FlowSettings:
    """Tuning of :func:`flow_events` (see the module docstring)."""

    search_s: float = 0.15
    data_s: float = 0.25
    jump_s: float = 0.03
    min_jump_leg_per_s: float = 0.5
    min_r2: float = 0.6
    min_measured: float = 0.7
    contact_ms_range: tuple[float, float] = (80.0, 500.0)
    ic_settle_s: tuple[float, ...] = (0.0, 0.015)
    to_settle_s: tuple[float, ...] = (0.0,)  # a tail before TO made mocap TO 7-21 ms late


SHORT_HALF_STANCE = 4.5
"""Frames from a keypoint event to its mid-stance below which the flow fit may use a wider
window (:func:`_fit_event`): half a 250 ms stance is 3.75 frames at 30 fps, 7.5 at 60."""


def _fit_event(speed: Arr, kp: float, far: float, fps: float, cfg: FlowSettings, *, before: bool,
               bound: float | None = None) -> FlowFit | None:
    """IC (``before``) or TO from one foot's contact speed, around the keypoint frame ``kp``;
    ``far``: the contact's other keypoint event (its TO for an IC); ``bound``: the other foot's
    toe-off before this IC, or its contact after this TO (running has a flight between them).

    The stance-side data run to the keypoint mid-stance. Where that is under
    :data:`SHORT_HALF_STANCE` frames away (30 fps) and gives no fit, once more with data to the
    frame before the other keypoint event and the change searched up to three quarters of the
    keypoint stance: at 30 fps through the pose model both keypoint events come ~2 frames early
    (phantom), so a window that ended at their mid-stance held 2-4 frames, too few for a fit,
    and at times ended before the true IC. Not at higher rates: there a wider window only adds
    chances to take another edge (an occluder's, the other foot passing) for the event."""
    mid = (kp + far) / 2.0
    fit = _fit_in(speed, kp, mid, mid, fps, cfg, before=before, bound=bound)
    if fit is None and abs(mid - kp) < SHORT_HALF_STANCE:
        edge = far - 1.0 if before else far + 1.0
        fit = _fit_in(speed, kp, edge, (kp + 3.0 * far) / 4.0, fps, cfg, before=before, bound=bound)
    return fit


def _fit_in(speed: Arr, kp: float, data_edge: float, reach: float, fps: float, cfg: FlowSettings, *,
            before: bool, bound: float | None) -> FlowFit | None:
    """:func:`_fit_event` with the stance-side data up to ``data_edge`` and the change searched
    no further into the stance than ``reach`` less a frame (frames)."""
    n = speed.size
    w, d = cfg.search_s * fps, cfg.data_s * fps
    if before:
        i0, i1 = int(np.floor(kp - d)), int(np.floor(data_edge))
        lo, hi = max(kp - w, -np.inf if bound is None else bound), min(kp + w, reach - 1.0)
    else:
        i0, i1 = int(np.ceil(data_edge)) + 1, int(np.ceil(kp + d))
        lo, hi = max(kp - w, reach + 1.0), min(kp + w, np.inf if bound is None else bound)
    i0, i1 = max(i0, 1), min(i1, n - 1)
    if i1 - i0 < 5:
        return None
    seg = speed[i0:i1 + 1]
    if not np.isfinite(seg).any():  # foot not measured
        return None
    lo, hi, i0, seg = change_window(seg, kp - i0, i0, lo, hi, before=before, span=w)
    if seg.size < 5:
        return None
    seg = np.where(np.isfinite(seg), seg, np.nan)
    t_end = np.arange(i0, i0 + seg.size, dtype=np.float64)
    taus = tuple(fps * x for x in (cfg.ic_settle_s if before else cfg.to_settle_s))
    fit = fit_change(seg, t_end, lo, hi, before=before, jump_frames=cfg.jump_s * fps, taus=taus)
    if fit is None:
        return None
    seen = np.isfinite(seg)
    near = np.abs(t_end - 0.5 - fit.frame) <= 0.05 * fps + 0.5  # the 50 ms either side of T
    if (seen[near & (t_end - 0.5 < fit.frame)].sum() < 2 or seen[near & (t_end - 0.5 > fit.frame)].sum() < 2
            or seen[near].mean() < cfg.min_measured):
        return None  # the foot was not measured around the change
    ok = fit.jump >= cfg.min_jump_leg_per_s and fit.jump > 2.0 * max(fit.floor, 0.0) and fit.r2 >= cfg.min_r2
    return fit if ok else None


def flow_events(events: Events, series: PoseSeries, motion: FootMotion, *, leg_px: float,
                settings: FlowSettings | None = None) -> Events:
    """``events`` with each contact's IC and TO timed from the foot's image motion where it
    shows them (source ``"flow"``), else kept (source ``"keypoints"``). Frames of ``events``,
    ``series`` and ``motion`` are the same (whole clip)."""
    cfg = settings or FlowSettings()
    if motion.n_frames != series.n_frames or not events.contacts or not np.isfinite(leg_px) or leg_px <= 0:
        return events
    fps = float(series.fps)
    feet = [(c, stance_foot(series, c)) for c in events.contacts]
    speed = np.full((series.n_frames, 2), np.nan)
    grounds = []
    for j in (0, 1):  # each foot's own ground: the near and far foot's ground move apart in perspective
        own = [(c, f) for c, f in feet if f == j]
        grounds.append(ground_velocity(motion.sole_v(), own or [(c, f) for c, f in feet if f is not None],
                                       series.n_frames))
        speed[:, j] = contact_speed(motion, grounds[j], series.t_s, leg_px)[:, j]
    frames = np.arange(series.n_frames, dtype=np.float64)
    out: list[Contact] = []
    for k, (c, foot) in enumerate(feet):
        new = c
        if foot is not None:
            mid = (c.ic_frame + c.to_frame) / 2
            prev_to = events.contacts[k - 1].to_frame if k else None
            next_ic = events.contacts[k + 1].ic_frame if k + 1 < len(feet) else None
            labels = follow_foot(series, foot, round(mid), grounds[foot])
            mine = despike(speed[np.arange(series.n_frames), labels])
            ic = _fit_event(mine, c.ic_frame, c.to_frame, fps, cfg, before=True, bound=prev_to)
            to = _fit_event(mine, c.to_frame, c.ic_frame, fps, cfg, before=False, bound=next_ic)
            ic_f, to_f = (ic.frame if ic else c.ic_frame), (to.frame if to else c.to_frame)
            ic_s, to_s = (float(np.interp(f, frames, series.t_s)) for f in (ic_f, to_f))
            if cfg.contact_ms_range[0] <= 1000 * (to_s - ic_s) <= cfg.contact_ms_range[1]:
                new = replace(c, ic_frame=ic_f, to_frame=to_f, ic_s=ic_s, to_s=to_s,
                              ic_source=FLOW if ic else KEYPOINTS, to_source=FLOW if to else KEYPOINTS,
                              method=FLOW if ic and to else c.method)
        out.append(new)
    out = _restep(out, events.contacts)
    n_ic, n_to = sum(c.ic_source == FLOW for c in out), sum(c.to_source == FLOW for c in out)
    log.info("image motion timed %d of %d contacts and %d toe-offs", n_ic, len(out), n_to)
    return replace(events, contacts=tuple(out))


def _restep(new: list[Contact], old: tuple[Contact, ...]) -> list[Contact]:
    """Step times recomputed from the new IC times where the old contact had one."""
    out = []
    for k, (c, o) in enumerate(zip(new, old, strict=True)):
        step = c.ic_s - new[k - 1].ic_s if k and o.step_time_s is not None else o.step_time_s
        out.append(replace(c, step_time_s=step))
    return out


def event_sources(events: Events) -> dict[str, dict[str, int]]:
    """How many initial contacts and toe-offs each source timed: ``{"initial_contact":
    {"flow": n, "keypoints": m}, "toe_off": {...}}``."""
    out: dict[str, dict[str, int]] = {}
    for key, attr in (("initial_contact", "ic_source"), ("toe_off", "to_source")):
        got = [getattr(c, attr) for c in events.contacts]
        out[key] = {FLOW: got.count(FLOW), KEYPOINTS: got.count(KEYPOINTS)}
    return out


def flow_warnings(events: Events, *, measured: bool) -> list[str]:
    """The warning naming the events that the feet' image motion could not time (``measured``:
    the motion was measured at all; a keypoints file without it gets no warning)."""
    if not measured or not events.contacts:
        return []
    n = len(events.contacts)
    src = event_sources(events)
    n_ic, n_to = src["initial_contact"][KEYPOINTS], src["toe_off"][KEYPOINTS]
    if not n_ic and not n_to:
        return []
    return [f"{n_ic} of {n} initial contacts and {n_to} of {n} toe-offs timed from the keypoints only: the "
            "shoe's motion against the ground did not show them (foot hidden, blurred or too small)"]
