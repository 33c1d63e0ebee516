"""Per-step running-form values, gated by camera view (their summary: :mod:`formcam.analysis.summary`).

Every metric in DESIGN.md is computed per accepted contact ("step") and then
summarised as ``{value, unit, left, right, n_steps, available, reason, spread}``:

* ``value`` = median over all steps (both feet); ``left`` / ``right`` = median
  over that foot's steps; ``spread`` = inter-quartile range (IQR, p75 - p25) over
  all steps, in the metric's unit. Exception: ``cadence_spm`` ``value`` comes from
  a least-squares fit of all IC and TO times against step number (60 / step
  time), which is the total-steps-over-total-time cadence and is far less
  sensitive to per-event timing noise than a median of single step times;
  ``left``/``right`` are 60 / median step time of the steps ending on that foot.
  The cadence entry also carries ``method`` (``events`` | ``spectral``),
  ``events_spm``, ``spectral_spm`` (120 / stride period from the whole clip's
  periodicity), ``spectral_confidence`` and ``note``: the two are cross-checked
  and, if they differ by > 15 %, the better-supported one is reported and a
  warning says so (see :func:`formcam.analysis.cadence.cadence_check`).
* Per-step definitions (``t_ic``, ``t_to`` sub-frame times; midstance
  ``t_mid = (t_ic + t_to) / 2``; angles from :mod:`formcam.analysis.kinematics`):

  ==========================  ==========================================================
  contact_time_ms             ``t_to - t_ic``
  cadence_spm                 60 / (IC - previous IC of the other foot)
  trunk_lean_deg              mean trunk lean over [t_ic, t_to], + forward
  overstride_cm / _ratio      heel ahead of the hip midpoint at IC (+ ahead); cm and
                              fraction of leg length (hip-knee-ankle, px / px)
  shank_angle_ic_deg          shank vs vertical at IC, + ankle ahead of knee
  knee_flexion_ic_deg         at IC, 0 = straight
  hip_extension_deg           peak thigh angle behind vertical, IC to next same-foot IC
  vertical_oscillation_cm     hip-mid vertical peak-to-peak, IC to next (other foot) IC
  foot_strike_angle_deg       foot angle at IC minus foot angle at midstance (the flat
                              foot stands in for the standing offset), + heel first; with
                              the feet's image motion, the shoe's measured rotation from
                              IC to midstance (:mod:`formcam.analysis.foot_rotation`)
  pelvic_drop_deg             hip line vs the horizon at midstance, + swing-side hip lower;
                              the entry also gives its stance ``peak`` (``peak_left`` /
                              ``peak_right``; per step ``pelvic_drop_peak_deg``), see
                              :mod:`formcam.analysis.frontal` (camera roll removed)
  lateral_trunk_lean_deg      trunk vs vertical in the frontal plane at midstance,
                              + toward the stance side
  pelvic_sway_cm              hip-mid lateral peak-to-peak, IC to next same-foot IC, linear
                              trend removed; withheld above 8 cm (camera motion)
  ==========================  ==========================================================

* Values *at* IC are read by :func:`formcam.analysis.step_reading.contact_reader`: a fit to
  the samples before a keypoint-timed contact; at a contact timed from the shoe's image
  motion, interpolation (positions) or two lines meeting at contact (joint angles, which
  kink at the impact: :func:`formcam.analysis.step_reading.at_kink`).
* View gating: sagittal metrics need a side view, frontal ones a rear or front
  view; ``cadence_spm`` and ``contact_time_ms`` are available in every view (rear /
  front contacts: :mod:`formcam.analysis.events_frontal`; contact time is withheld,
  with the reason, when contacts were only placed around mid-stance or timed below
  45 fps, :data:`UNTIMED_METHODS`). Side-signed
  frontal angles (:data:`BALANCED_METRICS`) take as ``value`` the mean of the left
  and right medians, so a camera roll cancels. Unavailable metrics carry
  ``available: false`` and a ``reason``; they are never numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.analysis.events import Contact, Events
from formcam.analysis.foot_rotation import enough_rotations, strike_angle_deg, uses_rotation
from formcam.analysis.frontal import frontal_step, roll_deg
from formcam.analysis.kinematics import Kinematics
from formcam.analysis.scale import Scale
from formcam.analysis.step_reading import (
    at_contact,
    contact_reader,
    interp_at,
    next_ic,
    p2p,
    peak_fit,
    window,
)
from formcam.series import FootMotion

log = logging.getLogger(__name__)
Arr = NDArray[np.float64]

SIDE_METRICS: tuple[str, ...] = (
    "trunk_lean_deg", "overstride_cm", "overstride_ratio", "shank_angle_ic_deg",
    "knee_flexion_ic_deg", "hip_extension_deg", "vertical_oscillation_cm", "foot_strike_angle_deg")
FRONTAL_METRICS: tuple[str, ...] = ("pelvic_drop_deg", "lateral_trunk_lean_deg", "pelvic_sway_cm")
METRICS: tuple[str, ...] = ("cadence_spm", "contact_time_ms", *SIDE_METRICS, *FRONTAL_METRICS)
UNTIMED_METHODS: frozenset[str] = frozenset({"midstance", "flight-coarse"})
"""Contact methods whose IC-to-TO duration is not reported (see _withheld_reason)."""
ROUGH_IC_METHODS: frozenset[str] = frozenset({"fore-aft"})
"""Contact methods whose initial contact is an estimate (the foot's most-forward point plus a
fixed 50 ms, where the foot-height fit failed), not a timed touch-down: where a clip has at
least :data:`MIN_TIMED_CONTACTS` timed ones, the values read *at* contact
(:data:`AT_CONTACT`) are not taken from the estimated ones. Through contact the knee flexes at
~250 deg/s (real mocap, 240 fps) and the foot rotates to the floor, so a contact time tens of
ms off reads those values degrees off (on the phantom's true keypoints at 120 fps, three such
contacts in nine read knee flexion 28-33 deg for a true 10 deg). A clip with fewer timed
contacts keeps them (the report warns that its contacts were timed roughly)."""
MIN_TIMED_CONTACTS = 3
"""Timed contacts a clip needs before its estimated ones stop giving values at contact."""
OVERSTRIDE_MIN_FPS = 45.0
"""Frame rate below which a video's overstride is withheld. Before contact the foot moves back
relative to the hip at about the belt's or the ground's speed (~3 m/s), so a contact timed a
third of a frame off at 30 fps moves the overstride by ~3.5 cm, more than its smallest
detectable difference (0.03 leg lengths, 2.6 cm). Through the pose model on the phantom at
30 fps the contacts came 0.5 frames early (those timed from the shoe; 2.3 from the keypoints)
and overstride read +4.9 cm for a true 10, with knee flexion at contact within 1 deg. Exact
keypoints (mocap, no video) at 30 fps keep it: their contacts are within 13 ms."""
AT_CONTACT: tuple[str, ...] = ("overstride_cm", "overstride_ratio", "shank_angle_ic_deg",
                               "knee_flexion_ic_deg", "foot_strike_angle_deg")
"""Per-step values read at the initial contact."""
MIN_LEAD_LEG = 0.25
"""At initial contact the landing foot is ahead of the other one: its ankle leads the other
ankle by 0.60-0.83 leg lengths in real running (mocap, every force-plate contact of the five
side views, 2.5 and 3.5 m/s) and 0.54-0.81 on the phantom. A side-view contact whose landing
ankle leads by less than this (in leg lengths) shows the pose model's legs drawn on one another
or their labels swapped there (real clip side_treadmill_01: leads of -0.5 to 0.2 where both legs
were drawn on the rear leg, with overstride -0.54 leg lengths and knee flexion 48-56 deg read);
its values at contact are not read (``legs_unclear_at_contact``)."""
BALANCED_METRICS: frozenset[str] = frozenset({"pelvic_drop_deg", "lateral_trunk_lean_deg"})
"""Side-signed frontal angles whose clip value is the mean of the two feet's medians
(:func:`formcam.analysis.frontal.balanced_value`)."""
TRUNK_METRICS: tuple[str, ...] = ("trunk_lean_deg", "lateral_trunk_lean_deg")
"""Metrics that need the shoulders: unavailable in a clip framed from the waist down."""
UNITS: dict[str, str] = {
    "cadence_spm": "steps/min", "contact_time_ms": "ms", "overstride_cm": "cm",
    "overstride_ratio": "fraction of leg length", "vertical_oscillation_cm": "cm", "pelvic_sway_cm": "cm"}
SPREAD_KIND = "iqr"


def unit_of(name: str) -> str:
    return UNITS.get(name, "deg")


def available_in(name: str, view: str, *, trunk: bool = True) -> tuple[bool, str | None]:
    """(available, reason) of metric ``name`` in camera ``view``; ``trunk=False`` for a clip
    framed from the waist down (no shoulders)."""
    if name in SIDE_METRICS and view != "side":
        return False, f"needs a side view (this clip is a {view} view)"
    if name in FRONTAL_METRICS and view == "side":
        return False, "needs a rear or front view (this clip is a side view)"
    if name in TRUNK_METRICS and not trunk:
        return False, "needs the shoulders in view (this clip shows the runner from the waist down)"
    return True, None



def _step(kin: Kinematics, raw: Kinematics, contacts: tuple[Contact, ...], k: int, scale: Scale,
          stride_s: float) -> dict[str, float | None]:
    c = contacts[k]
    j = 0 if c.side == "left" else 1
    sgn = 1.0 if c.side == "left" else -1.0
    t = kin.t_s
    mid = (c.ic_s + c.to_s) / 2
    at: Callable[[Arr, float], float] = lambda y, when: interp_at(t, y, when)  # noqa: E731
    stride_end = next_ic(contacts, k, same=True, max_s=1.5 * stride_s)
    step_end = next_ic(contacts, k, same=False, max_s=0.75 * stride_s)
    trunk = window(t, kin.trunk_lean_deg, c.ic_s, c.to_s)
    read, read_angle = contact_reader(c), contact_reader(c, kinked=True)
    ahead = read(t, (raw.ankle_ahead_px if raw.heel_ahead_px is None else raw.heel_ahead_px)[:, j], c.ic_s)
    out: dict[str, float | None] = {
        "contact_time_ms": c.contact_time_ms,
        "cadence_spm": 60.0 / c.step_time_s if c.step_time_s else None,
        "trunk_lean_deg": float(np.mean(trunk)) if trunk.size else at(kin.trunk_lean_deg, mid),
        "overstride_cm": ahead / scale.px_per_cm,
        "overstride_ratio": ahead / kin.leg_length_px,
        "shank_angle_ic_deg": read_angle(t, raw.shank_angle_deg[:, j], c.ic_s),
        "knee_flexion_ic_deg": read_angle(t, raw.knee_flexion_deg[:, j], c.ic_s),
        "hip_extension_deg": (peak_fit(t, -raw.thigh_angle_deg[:, j], c.ic_s, stride_end)
                              if stride_end else None),
        "vertical_oscillation_cm": (p2p(window(t, kin.hip_mid_uv_px[:, 1], c.ic_s, step_end))
                                    / scale.px_per_cm if step_end else None),
        "foot_strike_angle_deg": (at_contact(t, raw.foot_angle_deg[:, j], c.ic_s)
                                  - at(raw.foot_angle_deg[:, j], mid)),
        "pelvic_drop_deg": sgn * at(kin.pelvis_obliquity_deg, mid),
        "lateral_trunk_lean_deg": sgn * at(kin.lateral_trunk_lean_deg, mid),
        "pelvic_sway_cm": (p2p(window(t, kin.hip_mid_w_px, c.ic_s, stride_end)) / scale.px_per_cm
                           if stride_end else None),
    }
    return {k2: (None if v is None or not np.isfinite(v) else float(v)) for k2, v in out.items()}


def step_values(kin: Kinematics, raw: Kinematics, events: Events, scale: Scale, *,
                view: str, motion: FootMotion | None = None) -> list[dict[str, Any]]:
    """One dict per accepted contact: timing plus every metric (None where not available).

    ``kin`` comes from the low-passed series, ``raw`` from the same series before
    the low-pass: values *at* contact (knee, shank, foot angle, overstride) and the
    hip-extension peak are read from ``raw``, because a low-pass smears the impact
    discontinuity and flattens the peak into biases of degrees; their noise is
    averaged by the median over steps.

    Keys: ``side, contact_frame, contact_s, toe_off_frame, toe_off_s`` (frames are the
    nearest whole frames of the sub-frame events), ``contact_source, toe_off_source`` (what
    timed them: ``"flow"``, the shoe's image motion, or ``"keypoints"``) and the names in
    :data:`METRICS`.

    ``motion``: the feet's image motion, frames and labels as ``raw`` (after every label
    repair); in a side view whose contacts were mostly timed from it, the foot strike angle
    is the shoe's measured rotation from contact to mid-stance
    (:mod:`formcam.analysis.foot_rotation`), None for a step whose motion is not clean.
    """
    steps = []
    roll = roll_deg(kin, events.stride_period_s) if view != "side" else 0.0
    timed = sum(c.method not in ROUGH_IC_METHODS for c in events.contacts) >= MIN_TIMED_CONTACTS
    rotated = motion is not None and motion.n_frames == kin.t_s.size and uses_rotation(events.contacts)
    fps = 1.0 / float(np.median(np.diff(kin.t_s))) if kin.t_s.size > 1 else 0.0
    for k, c in enumerate(events.contacts):
        vals: dict[str, Any] = dict(_step(kin, raw, events.contacts, k, scale, events.stride_period_s))
        if view != "side":  # rear / front: pelvis against the horizon (formcam.analysis.frontal)
            end = next_ic(events.contacts, k, same=True, max_s=1.5 * events.stride_period_s)
            vals.update(frontal_step(kin, events.contacts, k, px_per_cm=scale.px_per_cm,
                                     stride_end_s=end, roll=roll))
        if c.method in UNTIMED_METHODS:  # IC / TO not timed well enough for a duration
            vals["contact_time_ms"] = None
        if timed and c.method in ROUGH_IC_METHODS:  # no value read at an estimated contact
            vals.update(dict.fromkeys(AT_CONTACT))
        unclear = view == "side" and _lead_leg(raw, c) < MIN_LEAD_LEG
        if unclear:
            vals.update(dict.fromkeys(AT_CONTACT))
        for name in METRICS:
            if not available_in(name, view)[0]:
                vals[name] = None
        steps.append({"side": c.side, "contact_frame": round(c.ic_frame), "contact_s": c.ic_s,
                      "toe_off_frame": round(c.to_frame), "toe_off_s": c.to_s, "event_method": c.method,
                      "contact_source": c.ic_source, "toe_off_source": c.to_source, **vals,
                      **({"legs_unclear_at_contact": True} if unclear else {})})
    if rotated and motion is not None and view == "side":
        _rotation_strikes(steps, events.contacts, motion, kin, fps)
    if motion is not None and view == "side" and 0 < fps < OVERSTRIDE_MIN_FPS:
        for s in steps:
            s.update(overstride_cm=None, overstride_ratio=None, overstride_withheld=True)
    return steps


def _lead_leg(raw: Kinematics, c: Contact) -> float:
    """How far the landing ankle leads the other at contact ``c``, in leg lengths (+ ahead);
    +inf where either ankle is missing (nothing to judge)."""
    j = 0 if c.side == "left" else 1
    lead = [interp_at(raw.t_s, raw.ankle_ahead_px[:, k], c.ic_s) for k in (j, 1 - j)]
    if not all(np.isfinite(lead)) or raw.leg_length_px <= 0:
        return float("inf")
    return (lead[0] - lead[1]) / raw.leg_length_px


def _rotation_strikes(steps: list[dict[str, Any]], contacts: tuple[Contact, ...], motion: FootMotion,
                      kin: Kinematics, fps: float) -> None:
    """Replace each step's foot strike angle by the shoe's measured rotation (in place); all None,
    each step flagged ``foot_strike_withheld``, when too few steps give a clean one."""
    rot = [strike_angle_deg(motion, c, 0 if c.side == "left" else 1, forward_sign=kin.forward_sign,
                            fps=fps, leg_px=kin.leg_length_px) for c in contacts]
    enough = enough_rotations(rot)
    for s, v in zip(steps, rot, strict=True):
        s["foot_strike_angle_deg"] = v if enough and not s.get("legs_unclear_at_contact") else None
        if not enough:
            s["foot_strike_withheld"] = True
