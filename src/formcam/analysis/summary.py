"""The summary of the per-step values (:mod:`formcam.analysis.metrics` defines them) and the
analysis' quality warnings.

Every metric is summarised as ``{value, unit, left, right, n_steps, available, reason,
spread}``; see the definitions, the cadence fit and the side-balanced frontal values in
:mod:`formcam.analysis.metrics`. Implausible or weakly supported summaries are withheld
afterwards (:mod:`formcam.analysis.plausibility`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from formcam.analysis.cadence import cadence_check, cadence_fit_spm, cadence_of_steps
from formcam.analysis.events import Events
from formcam.analysis.frontal import balanced_value
from formcam.analysis.metrics import (
    AT_CONTACT,
    BALANCED_METRICS,
    METRICS,
    UNTIMED_METHODS,
    available_in,
    unit_of,
)
from formcam.analysis.sides import SIDE_CONFIDENCE_MIN

NEAR_FAR_METRICS: tuple[str, ...] = ("cadence_spm", "overstride_cm", "overstride_ratio", "shank_angle_ic_deg",
                                     "knee_flexion_ic_deg", "hip_extension_deg", "foot_strike_angle_deg")
"""Leg metrics whose left and right values a single side view does not compare: one leg is
near the camera and the other behind it, seen differently by the pose model. On the phantom
(a symmetric runner) through the model, in all 8 side cases the near leg read hip extension
1-6 deg higher than the far leg (the far leg within 1.5 deg of the truth) and overstride
1.5-6 cm further ahead. On real mocap keypoints (exact, no model) the legs' hip extension
agrees within 1.7 deg and knee flexion at contact differs by 5-6 deg in both side views (that
runner's true asymmetry), which one side view through a pose model cannot tell from the near/far
bias. The two feet's cadences (each foot's step times) compare the near foot's contacts with
the far foot's, which the pose model and the shoe's image motion time differently: on the
phantom with the settling shoe the two feet's median contact errors differed by up to 1.2
frames (the far foot's earlier in the sample clip, by 0.8 in the low-cadence case), so the
symmetric sample clip read 159 / 171 steps/min (7 %) and the low-cadence case 148 / 156.
Clinics film each side for a left/right comparison; so does formcam (``formcam compare-sides``,
:mod:`formcam.app.two_sides`: each leg from the clip where it is near; the clip value stays:
see :data:`AT_CONTACT_MIN_STEPS`)."""
NEAR_FAR_NOTE = ("left/right not compared from one side view: the near leg and the one behind it are "
                 "seen differently by the pose model (on a symmetric test runner the near leg read hip "
                 "extension up to 6 deg higher, and the feet's cadences up to 7 % apart); film the runner "
                 "from each side and compare the legs with `formcam compare-sides LEFT RIGHT`")


AT_CONTACT_MIN_STEPS = 3
"""Steps each foot needs before a side view's value at contact weighs the two feet equally:
the mean of their medians, not the median of all steps. Values at contact inherit each foot's
contact-timing bias, and through the pose model those are opposite (the near heel settles
early, the far foot late: phantom excessive-lean case, the feet read knee flexion at contact
15 and 23 deg for a true 20); the mean of the two feet cancels them, while a median pooled
over two such clusters lands at the edge of whichever foot has one step more (16.6 deg there).
Hip extension, a peak rather than a value at an instant, keeps the median of all steps."""


def _median(vals: list[float]) -> float | None:
    return float(np.median(vals)) if vals else None


def summarize(steps: list[dict[str, Any]], events: Events, *, view: str,
              trunk: bool = True) -> dict[str, dict[str, Any]]:
    """Summary entry of every metric in :data:`METRICS` (see module docstring); ``trunk=False``
    (no shoulders in view) makes the trunk metrics unavailable with the reason."""
    out: dict[str, dict[str, Any]] = {}
    for name in METRICS:
        ok, reason = available_in(name, view, trunk=trunk)
        vals = [s[name] for s in steps if s.get(name) is not None] if ok else []
        side_vals = {sd: [s[name] for s in steps if s["side"] == sd and s.get(name) is not None]
                     for sd in ("left", "right")}
        if ok and not vals:
            ok, reason = False, "no valid steps were detected" if not steps else "not measurable in any step"
        entry: dict[str, Any] = {"value": None, "unit": unit_of(name), "left": None, "right": None,
                                 "n_steps": 0, "available": ok, "reason": reason, "spread": None}
        if ok:
            q75, q25 = np.percentile(vals, [75, 25])
            entry.update(value=_median(vals), left=_median(side_vals["left"]),
                         right=_median(side_vals["right"]), n_steps=len(vals), spread=float(q75 - q25))
            if name in BALANCED_METRICS or (view == "side" and name in AT_CONTACT and min(
                    len(v) for v in side_vals.values()) >= AT_CONTACT_MIN_STEPS):
                entry["value"] = balanced_value(entry["left"], entry["right"], entry["value"])
            if name == "pelvic_drop_deg":
                entry.update(_peak_entry(steps))
            if name == "cadence_spm":
                fit = cadence_fit_spm(events)
                entry["value"] = fit if fit is not None else entry["value"]
                entry.update(left=cadence_of_steps(side_vals["left"]),
                             right=cadence_of_steps(side_vals["right"]))
        if name == "cadence_spm":
            entry.update(cadence_check(entry, events))
        if ok and events.contacts and events.side_confidence < SIDE_CONFIDENCE_MIN:
            entry.update(left=None, right=None, side_note="left and right feet could not be told apart")
        elif ok and view == "side" and name in NEAR_FAR_METRICS:
            entry.update(left=None, right=None, side_note=NEAR_FAR_NOTE)
        if not ok and steps and available_in(name, view)[0]:
            entry["reason"] = _withheld_reason(name, steps, events) or entry["reason"]
        out[name] = entry
    return out


def _peak_entry(steps: list[dict[str, Any]]) -> dict[str, float | None]:
    """``peak``, ``peak_left``, ``peak_right``: the stance peak of pelvic drop (deg), same rules."""
    side = {sd: [s["pelvic_drop_peak_deg"] for s in steps if s["side"] == sd
                 and s.get("pelvic_drop_peak_deg") is not None] for sd in ("left", "right")}
    left, right = _median(side["left"]), _median(side["right"])
    return {"peak": balanced_value(left, right, _median(side["left"] + side["right"])),
            "peak_left": left, "peak_right": right}


def _withheld_reason(name: str, steps: list[dict[str, Any]], events: Events) -> str | None:
    """Why a metric measurable in this view has no value in any step, when it was withheld."""
    methods = {c.method for c in events.contacts}
    if name == "contact_time_ms" and methods == {"midstance"}:
        return ("not measurable: the hip motion shows no clear free-fall (flight) phase, so contacts "
                "were placed around mid-stance (hip-height minima) and their duration is unknown")
    if name == "contact_time_ms" and methods and methods <= UNTIMED_METHODS:
        return ("withheld: below 45 fps contacts are timed from the hips' flight phases too coarsely "
                "for a duration (real running at 30 fps: +40 ms); film at 60 fps or more")
    if name == "foot_strike_angle_deg" and any(s.get("foot_strike_withheld") for s in steps):
        return ("withheld: the shoe's rotation from contact to mid-stance was measured cleanly in fewer "
                "than half of the steps (foot hidden or blurred, or the pose model's foot labels on the "
                "other foot), and the pose model's foot points do not give the angle (see README)")
    if name in ("overstride_cm", "overstride_ratio") and any(s.get("overstride_withheld") for s in steps):
        return ("withheld: below 45 fps a contact timed a third of a frame off moves the foot about 3.5 cm "
                "relative to the hips (on formcam's test runner at 30 fps: +4.9 cm for a true 10); "
                "film at 60 fps or more")
    if name == "pelvic_sway_cm" and any(s.get("pelvic_sway_withheld") for s in steps):
        return ("withheld: sideways hip travel over a stride exceeded 8 cm, which is camera motion or "
                "tracking, not a runner's sway")
    return None


PELVIC_DROP_CAVEAT = (
    "pelvic drop is read from the pose model's hip keypoints, which follow the pelvis tilt poorly "
    "from behind: on formcam's phantom runner (formcam verify) MediaPipe's hips showed 0.3 deg of "
    "drop for a true 9 deg, so a low value does not rule out pelvic drop; check the video too")
"""Rear/front-view caveat (issue #4 measurements; see README, Accuracy)."""


def warnings_for(metrics: dict[str, dict[str, Any]], steps: list[dict[str, Any]], *,
                 fps: float, min_steps_per_side: int = 7) -> list[str]:
    """Quality warnings: low frame rate, few steps, implausible cadence, the pelvic-drop caveat."""
    out = []
    if fps < 60:
        out.append(f"frame rate {fps:.3g} fps is below 60 fps: contact time and angles at contact are "
                   f"less accurate (one frame = {1000 / fps:.0f} ms)")
    n_l = sum(1 for s in steps if s["side"] == "left")
    n_r = len(steps) - n_l
    if min(n_l, n_r) < min_steps_per_side:
        out.append(f"summary based on {len(steps)} steps ({n_l} left, {n_r} right); at least "
                   f"{min_steps_per_side} per side recommended")
    n_unclear = sum(1 for s in steps if s.get("legs_unclear_at_contact"))
    if n_unclear:
        out.append(f"{n_unclear} contact(s) with the landing foot drawn level with or behind the other "
                   "foot (the pose model drew the legs on one another or swapped their labels there): "
                   "overstride, shank angle, knee flexion and foot strike angle are not read at them")
    note = metrics.get("cadence_spm", {}).get("note")
    if note:
        out.append(str(note))
    if metrics.get("pelvic_drop_deg", {}).get("available"):
        out.append(PELVIC_DROP_CAVEAT)
    cad = metrics.get("cadence_spm", {}).get("value")
    if cad is not None and cad < 130:
        out.append(f"cadence {cad:.0f} steps/min is implausibly low for running: if this is slow-motion "
                   "footage, give the true capture frame rate")
    elif cad is not None and cad > 230:
        out.append(f"cadence {cad:.0f} steps/min is implausibly high: check the frame rate")
    return out
