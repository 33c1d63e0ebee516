"""The true metric values and gait events of a phantom clip, in formcam's report names and units."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import numpy as np

from formcam.phantom.gait import FOOT_FLAT_FRACTION
from formcam.phantom.skeleton import SIDES, PhantomRunner

METRIC_UNITS: dict[str, str] = {
    "cadence_spm": "steps/min",
    "contact_time_ms": "ms",
    "trunk_lean_deg": "deg",
    "overstride_cm": "cm",
    "knee_flexion_ic_deg": "deg",
    "hip_extension_deg": "deg",
    "vertical_oscillation_cm": "cm",
    "foot_strike_angle_deg": "deg",
    "pelvic_drop_deg": "deg",
    "lateral_trunk_lean_deg": "deg",
    "pelvic_sway_cm": "cm",
    "pelvic_tilt_deg": "deg",
    "pelvic_tilt_range_deg": "deg",
}
"""The metrics that equal a :class:`PhantomParams` field by construction, with their units."""


def metric_truth(runner: PhantomRunner) -> dict[str, float]:
    """True values of :data:`METRIC_UNITS` plus derived ones (all sagittal/frontal-plane, 3D-exact).

    Derived extras: ``overstride_ratio`` (overstride / (thigh + shank)),
    ``shank_angle_ic_deg`` (+ = ankle ahead of the knee at IC), ``step_length_m``,
    ``speed_mps``, ``flight_time_ms``, ``leg_length_m`` and ``hip_height_mean_m``.
    """
    p, leg = runner.params, runner.leg
    values = {name: float(getattr(p, name)) for name in METRIC_UNITS}
    ic = leg.evaluate(np.zeros(1))
    shank = math.degrees(
        math.atan2(float(ic["ankle_x"][0] - ic["knee_x"][0]), float(ic["knee_z"][0] - ic["ankle_z"][0]))
    )
    values.update(
        {
            "overstride_ratio": p.overstride_cm / 100.0 / runner.body.leg_m,
            "shank_angle_ic_deg": shank,
            "step_length_m": p.speed_mps * p.step_s,
            "speed_mps": p.speed_mps,
            "flight_time_ms": (p.step_s - p.contact_s) * 1000.0,
            "leg_length_m": runner.body.leg_m,
            "hip_height_mean_m": leg.z_mean,
        }
    )
    return values


FIRST_CONTACT: dict[str, str] = {"rearfoot": "heel", "midfoot": "heel and toe", "forefoot": "toe"}
"""Strike pattern -> the keypoint(s) (``*_heel``, ``*_foot_index``) that touch the ground at IC."""


def foot_truth(runner: PhantomRunner) -> dict[str, Any]:
    """How the foot meets the ground (exact, from the gait construction).

    ``strike_pattern`` and ``first_contact`` (which keypoint touches first, at IC);
    ``foot_flat_ms``: time after IC when the whole sole is down (0 for a midfoot
    strike; the forefoot lowering for a rearfoot strike, the heel lowering for a
    forefoot strike); ``heel_off_ms``: time after IC when the heel starts to rise.
    """
    p, leg = runner.params, runner.leg
    pattern = p.strike_pattern
    return {
        "strike_pattern": pattern,
        "first_contact": FIRST_CONTACT[pattern],
        "foot_flat_ms": 0.0 if pattern == "midfoot" else FOOT_FLAT_FRACTION * p.contact_time_ms,
        "heel_off_ms": leg.t_ho * 1000.0,
    }


def event_truth(runner: PhantomRunner, *, fps: float, n_frames: int) -> dict[str, dict[str, list[Any]]]:
    """True initial contacts and toe-offs per side within frames ``0 .. n_frames-1``.

    Frame ``i`` shows time ``i / fps``. ``ic_frames`` / ``to_frames`` are the first
    frames at or after the event (the first frame showing the foot down / up);
    ``ic_s`` / ``to_s`` are the exact event times in seconds. Only events whose
    first frame exists are listed.
    """
    p = runner.params
    end_s = (n_frames - 1) / fps
    events: dict[str, dict[str, list[Any]]] = {}
    for side in SIDES:
        first = runner.first_ic_s[side]
        k0 = math.ceil((0.0 - first - p.contact_s) / p.stride_s)
        rec: dict[str, list[Any]] = {"ic_s": [], "ic_frames": [], "to_s": [], "to_frames": []}
        k = k0
        while first + k * p.stride_s <= end_s:
            for key, t in (("ic", first + k * p.stride_s), ("to", first + k * p.stride_s + p.contact_s)):
                frame = math.ceil(t * fps - 1e-9)
                if t >= 0.0 and frame < n_frames:
                    rec[f"{key}_s"].append(round(t, 9))
                    rec[f"{key}_frames"].append(int(frame))
            k += 1
        events[side] = rec
    return events


def params_record(runner: PhantomRunner) -> dict[str, Any]:
    """The parameters as a JSON-able dict."""
    return asdict(runner.params)
