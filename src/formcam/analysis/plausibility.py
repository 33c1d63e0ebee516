"""Rather no result than a bad result: withhold summaries that running bodies cannot show.

The ranges and evidence rules are data (``ranges.toml`` beside this module, each range
with its source). :func:`check_summary` withholds, in place, every summary entry that

* lies outside its plausible range for running (a sprint widens cadence and contact time),
* rests on fewer than ``min_steps`` steps,
* is a contact time timed by the fore-aft fallback in most contacts,

and withholds per-side cadences that disagree (the left/right assignment is then in
doubt). A withheld entry has ``available: false``, a ``reason`` that says what to do,
and its value under ``withheld_value``; the per-step values stay in the steps.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from formcam.analysis.cadence import side_cadence_note
from formcam.analysis.events import Events
from formcam.analysis.metrics import FRONTAL_METRICS

Metrics = dict[str, dict[str, Any]]
FALLBACK_METHODS = frozenset({"fore-aft"})
"""Contact timing methods that only approximate contact time (:class:`formcam.analysis.events.Contact`)."""


@dataclass(frozen=True)
class Range:
    """Plausible ``[low, high]`` of one metric (its unit), wider bounds for a sprint, and the source."""

    low: float
    high: float
    sprint_low: float
    sprint_high: float
    source: str
    hint_low: str | None = None
    hint_high: str | None = None
    sdd: float | None = None


@dataclass(frozen=True)
class Plausibility:
    """The ranges (by metric name) and the evidence rules of ``ranges.toml``."""

    ranges: dict[str, Range]
    min_steps: int
    max_fallback_share: float
    max_side_cadence_diff: float


def load_plausibility() -> Plausibility:
    """Read ``formcam/analysis/ranges.toml`` (shipped with the package)."""
    text = resources.files("formcam.analysis").joinpath("ranges.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    ranges = {name: Range(float(r["min"]), float(r["max"]), float(r.get("sprint_min", r["min"])),
                          float(r.get("sprint_max", r["max"])), str(r["source"]), r.get("hint_low"),
                          r.get("hint_high"), float(r["sdd"]) if "sdd" in r else None)
              for name, r in data["ranges"].items()}
    ev = data["evidence"]
    return Plausibility(ranges, int(ev["min_steps"]), float(ev["max_fallback_share"]),
                        float(ev["max_side_cadence_diff"]))


def withhold(metrics: Metrics, names: tuple[str, ...], reason: str) -> None:
    """Mark the summary entries ``names`` unavailable with ``reason`` (in place); the value is
    kept under ``withheld_value``."""
    for name in names:
        entry = metrics.get(name)
        if entry is None or not entry.get("available"):
            continue
        entry.update(available=False, reason=reason, withheld_value=entry.get("value"), value=None,
                     left=None, right=None)


def looks_like_sprint(metrics: Metrics, *, setting: str) -> bool:
    """Overground with a cadence above 200 steps/min."""
    cad = metrics.get("cadence_spm", {}).get("value")
    return setting == "overground" and cad is not None and cad > 200


def _out_of_range(name: str, entry: dict[str, Any], r: Range, sprint: bool) -> str | None:
    low, high = (r.sprint_low, r.sprint_high) if sprint else (r.low, r.high)
    value = entry.get("value")
    if value is None or low <= value <= high:
        return None
    unit = entry.get("unit", "")
    where = "from behind" if name in FRONTAL_METRICS else "from the side"
    hint = (r.hint_low if value < low else r.hint_high) or (
        "most likely a measurement problem (a joint lost or misplaced by the pose model, or a camera not "
        f"square to the runner); check the key frames, or film again {where}, square to the runner, "
        "at 60 fps")
    return f"{value:.1f} {unit} is outside what running shows ({low:g} to {high:g}): {hint}"


def check_summary(metrics: Metrics, events: Events, *, setting: str,
                  rules: Plausibility | None = None, steps: list[dict[str, Any]] | None = None) -> list[str]:
    """Withhold implausible or weakly supported summaries in ``metrics`` (in place); return
    plain-words notes of what was withheld (one per cause). With the per-step values
    ``steps``, per-side values too imprecise for a left/right comparison are withheld too
    (:func:`side_precision_note`)."""
    rules = rules or load_plausibility()
    sprint = looks_like_sprint(metrics, setting=setting)
    notes: list[str] = []
    _check_side_cadence(metrics, rules, notes)
    if steps is not None:
        _check_precision(metrics, steps, rules, notes)
        _check_side_precision(metrics, steps, rules, notes)
        _check_side_cadence_precision(metrics, steps, events, notes)
    _check_fallback(metrics, events, rules, notes)
    few = [n for n, e in metrics.items() if e.get("available") and e.get("n_steps", 0) < rules.min_steps]
    withhold(metrics, tuple(few), f"measured in fewer than {rules.min_steps} steps: film at least 10 "
                                  "seconds of steady running")
    if few:
        notes.append(f"{len(few)} value(s) withheld: measured in fewer than {rules.min_steps} steps")
    for name, r in rules.ranges.items():
        entry = metrics.get(name)
        reason = _out_of_range(name, entry, r, sprint) if entry and entry.get("available") else None
        if reason:
            withhold(metrics, (name,), reason)
            notes.append(f"{name} withheld: {reason}")
        elif entry and entry.get("available"):
            _check_side_range(name, entry, r, sprint, notes)
    return notes


def _check_side_range(name: str, entry: dict[str, Any], r: Range, sprint: bool, notes: list[str]) -> None:
    """A per-side value outside the plausible range withholds both per-side values (in place):
    a left/right comparison with one side mismeasured says nothing."""
    low, high = (r.sprint_low, r.sprint_high) if sprint else (r.low, r.high)
    bad = {sd: v for sd in ("left", "right") if (v := entry.get(sd)) is not None and not low <= v <= high}
    if not bad:
        return
    shown = ", ".join(f"{sd} {v:.1f}" for sd, v in bad.items())
    note = (f"left/right values withheld: {shown} {entry.get('unit', '')} is outside what running shows "
            f"({low:g} to {high:g}), most likely a mismeasured leg")
    entry.update(left=None, right=None, side_note=note)
    notes.append(f"{name}: {note}")


EVENT_TIMED: tuple[str, ...] = ("contact_time_ms", "overstride_cm", "overstride_ratio", "shank_angle_ic_deg",
                                 "knee_flexion_ic_deg", "foot_strike_angle_deg")
"""Metrics read at a contact or between its events: their per-side values inherit any
per-side bias in the event timing."""


def _check_side_cadence(metrics: Metrics, rules: Plausibility, notes: list[str]) -> None:
    """Per-side cadences further apart than ``max_side_cadence_diff`` mean one foot's events
    are timed with a bias (a runner's step times differ by a few % at most): withhold the
    per-side cadences and the per-side values of every event-timed metric."""
    cad = metrics.get("cadence_spm")
    if not cad or not cad.get("available") or cad.get("left") is None or cad.get("right") is None:
        return
    left, right = float(cad["left"]), float(cad["right"])
    if abs(left - right) <= rules.max_side_cadence_diff * (left + right) / 2:
        return
    note = (f"per-side cadences {left:.0f} / {right:.0f} withheld, with the left/right values of the "
            "metrics timed at contact: one foot's contacts were timed with a bias")
    for entry in [cad, *(metrics[n] for n in EVENT_TIMED if n in metrics)]:
        if entry.get("left") is not None or entry.get("right") is not None:
            entry.update(left=None, right=None, side_note=note)
    notes.append(note)


def _check_side_cadence_precision(metrics: Metrics, steps: list[dict[str, Any]], events: Events,
                                  notes: list[str]) -> None:
    """Withhold the per-side cadences (in place) that cannot show a left/right difference
    (:func:`formcam.analysis.cadence.side_cadence_note`)."""
    cad = metrics.get("cadence_spm")
    if not cad or cad.get("left") is None or cad.get("right") is None:
        return
    note = side_cadence_note(steps, {c.method for c in events.contacts})
    if note:
        cad.update(left=None, right=None, side_note=note)
        notes.append(note)


def _check_fallback(metrics: Metrics, events: Events, rules: Plausibility, notes: list[str]) -> None:
    contacts = events.contacts
    n_fallback = sum(1 for c in contacts if c.method in FALLBACK_METHODS)
    if contacts and n_fallback > rules.max_fallback_share * len(contacts):
        reason = (f"{n_fallback} of {len(contacts)} contacts could only be timed roughly (the foot was hard "
                  "to follow): film at 60 fps or more, with the feet in view and not hidden by the treadmill")
        withhold(metrics, ("contact_time_ms",), reason)
        notes.append(f"contact time withheld: {reason}")


def median_standard_error(values: list[float]) -> float | None:
    """Standard error of the median of ``values`` (1.2533 SD / sqrt(n), sample SD); None
    with fewer than 3 values."""
    if len(values) < 3:
        return None
    return float(1.2533 * np.std(values, ddof=1) / np.sqrt(len(values)))


def _precision_reason(values: list[float], sdd: float, unit: str) -> str | None:
    """Why the median of a metric's per-step ``values`` is too uncertain to show (None if it is not)."""
    err = median_standard_error(values)
    if err is None or err <= sdd:
        return None
    return (f"the {len(values)} steps scatter so much (from {min(values):.3g} to {max(values):.3g} "
            f"{unit}) that their median is uncertain by about {err:.2g} {unit}, more than the smallest "
            f"difference that matters ({sdd:g}): most likely the pose model misplaced a joint at some "
            "steps; film closer, square to the runner, at 60 fps, for longer")


def _check_precision(metrics: Metrics, steps: list[dict[str, Any]], rules: Plausibility,
                     notes: list[str]) -> None:
    """Withhold a clip value (in place) whose median over the steps is uncertain by more than the
    metric's smallest detectable difference (``sdd`` in ``ranges.toml``; standard error of the
    median, :func:`median_standard_error`, over all steps with a value): a re-filmed clip of the
    same running could then differ by more than a change that matters, from step sampling alone.
    Real runners repeat these values from step to step within a few units, so a wider scatter is
    the measurement's (e.g. a far leg drawn on the near one at some contacts).
    ``overstride_cm`` follows ``overstride_ratio`` (the SDD is for the ratio)."""
    withheld = []
    for name, r in rules.ranges.items():
        entry = metrics.get(name)
        if r.sdd is None or not entry or not entry.get("available"):
            continue
        values = [float(s[name]) for s in steps if s.get(name) is not None]
        reason = _precision_reason(values, r.sdd, str(entry.get("unit", "")))
        if reason is None:
            continue
        withhold(metrics, (name, "overstride_cm") if name == "overstride_ratio" else (name,), reason)
        withheld.append(name)
    if withheld:
        notes.append(f"{', '.join(withheld)} withheld: the steps scatter more than a difference that matters "
                     "(see each metric's reason)")


def _check_side_precision(metrics: Metrics, steps: list[dict[str, Any]], rules: Plausibility,
                          notes: list[str]) -> None:
    """Withhold the left/right values of a metric when either side's median is uncertain by
    more than the metric's smallest detectable difference (``sdd`` in ``ranges.toml``): the
    steps scatter too much for a left/right difference that matters to show (e.g. knee
    flexion at contact read through a pose model, where the knee moves ~8 deg per half frame
    around contact). ``overstride_cm`` follows ``overstride_ratio``."""
    names = []
    for name, r in rules.ranges.items():
        entry = metrics.get(name)
        if r.sdd is None or not entry or entry.get("left") is None or entry.get("right") is None:
            continue
        per_side = [[s[name] for s in steps if s.get("side") == sd and s.get(name) is not None]
                    for sd in ("left", "right")]
        errs = [median_standard_error(v) for v in per_side]
        worst = max((e for e in errs if e is not None), default=None)
        if worst is None or worst <= r.sdd:
            continue
        note = (f"left/right values withheld: the steps scatter so much that each side's median is "
                f"uncertain by about {worst:.2g} {entry.get('unit', '')}, more than the smallest difference "
                f"that matters ({r.sdd:g}); film longer or at a higher frame rate")
        entry.update(left=None, right=None, side_note=note)
        names.append(name)
        if name == "overstride_ratio" and metrics.get("overstride_cm"):
            metrics["overstride_cm"].update(left=None, right=None, side_note=note)
    if names:
        notes.append(f"left/right values of {', '.join(names)} withheld: the steps scatter more than a "
                     "left/right difference that matters (see each metric's side note)")
