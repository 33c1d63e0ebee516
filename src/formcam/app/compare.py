"""Compare two analyses (before / after): each metric's change, and whether it is a real change.

A change counts as **real** only when its size exceeds the metric's smallest
detectable difference (SDD): the between-session measurement noise of 2D video
for that metric. Smaller changes are reported as *within measurement noise*.
The SDDs are from Dingenen et al. 2018 (2D running video, between sessions),
as collected in the project's ``REFERENCES.md``; where the paper gives a range
the upper bound is used, so that a change called real is real for every rater:

==========================  ========  ===========================================
metric                      SDD       source
==========================  ========  ===========================================
pelvic_drop_deg             2.8°      contralateral pelvic drop
lateral_trunk_lean_deg      2.3°      lateral trunk position, 1.3–2.3°
foot_strike_angle_deg       2.3°      foot inclination, 1.3–2.3°
knee_flexion_ic_deg         3.8°      knee flexion, 2.3–3.8°
==========================  ========  ===========================================

Other metrics have no published SDD: their change is shown, with the verdict
"no SDD on file", never "real change".
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from formcam.errors import InputError

MIN_STEPS = 7
"""Fewer steps than this in either analysis make a metric's comparison less reliable."""


@dataclass(frozen=True)
class Sdd:
    """Smallest detectable difference of one metric, in the report's unit, and its source."""

    value: float
    source: str


SDD: Mapping[str, Sdd] = MappingProxyType({
    "pelvic_drop_deg": Sdd(2.8, "Dingenen 2018: contralateral pelvic drop, SDD about 2.8°"),
    "lateral_trunk_lean_deg": Sdd(2.3, "Dingenen 2018: lateral trunk position, SDD 1.3–2.3° (upper bound)"),
    "foot_strike_angle_deg": Sdd(2.3, "Dingenen 2018: foot inclination, SDD 1.3–2.3° (upper bound)"),
    "knee_flexion_ic_deg": Sdd(3.8, "Dingenen 2018: knee flexion, SDD 2.3–3.8° (upper bound)"),
})

REAL = "real change"
NOISE = "within measurement noise"
NO_SDD = "no SDD on file"
NOT_COMPARABLE = "not comparable"


@dataclass(frozen=True)
class Change:
    """One number before and after, its change ``after - before``, and the verdict."""

    before: float | None
    after: float | None
    delta: float | None
    verdict: str

    @property
    def real(self) -> bool:
        """True when the change exceeds the SDD."""
        return self.verdict == REAL


@dataclass(frozen=True)
class MetricChange:
    """The comparison of one metric: both-sides value and each side."""

    name: str
    unit: str
    sdd: float | None
    value: Change
    left: Change
    right: Change
    few_steps: bool
    reason: str | None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def classify(before: Any, after: Any, sdd: float | None) -> Change:
    """The change from ``before`` to ``after`` and its verdict against ``sdd``.

    ``real change`` when ``|after - before| > sdd``; ``within measurement noise``
    when not; ``no SDD on file`` when ``sdd`` is None; ``not comparable`` when a
    number is missing.
    """
    b, a = _num(before), _num(after)
    if b is None or a is None:
        return Change(b, a, None, NOT_COMPARABLE)
    delta = a - b
    if sdd is None:
        return Change(b, a, delta, NO_SDD)
    return Change(b, a, delta, REAL if abs(delta) > sdd else NOISE)


def compare_reports(before: dict[str, Any], after: dict[str, Any]) -> list[MetricChange]:
    """Compare every metric present in either report (order: ``before``'s, then new ones)."""
    mb: dict[str, Any] = before.get("metrics") or {}
    ma: dict[str, Any] = after.get("metrics") or {}
    out: list[MetricChange] = []
    for name in [*mb, *(n for n in ma if n not in mb)]:
        eb, ea = mb.get(name) or {}, ma.get(name) or {}
        sdd = SDD[name].value if name in SDD else None
        usable = bool(eb.get("available", True)) and bool(ea.get("available", True))
        reason = None if usable else (ea.get("reason") or eb.get("reason") or "not available in one analysis")

        def change(key: str, eb: dict[str, Any] = eb, ea: dict[str, Any] = ea,
                   sdd: float | None = sdd, usable: bool = usable) -> Change:
            return classify(eb.get(key) if usable else None, ea.get(key) if usable else None, sdd)

        steps = [eb.get("n_steps"), ea.get("n_steps")]
        few = usable and any(isinstance(n, int) and n < MIN_STEPS for n in steps)
        out.append(MetricChange(name=name, unit=str(ea.get("unit") or eb.get("unit") or ""), sdd=sdd,
                                value=change("value"), left=change("left"), right=change("right"),
                                few_steps=few, reason=reason))
    return out


def context_warnings(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Reasons the two analyses may not be comparable (view, setting, model, same clip)."""
    notes: list[str] = []
    for key, what in (("view", "camera views"), ("setting", "settings (treadmill/overground)")):
        if before.get(key) and after.get(key) and before[key] != after[key]:
            notes.append(f"The {what} differ ({before[key]} before, {after[key]} after): "
                         f"the metrics measured differ too.")
    mb, ma = (before.get("backend") or {}).get("model"), (after.get("backend") or {}).get("model")
    if mb and ma and mb != ma:
        notes.append(f"Different pose models ({mb} before, {ma} after) add their own differences.")
    sb, sa = (before.get("input") or {}).get("sha256"), (after.get("input") or {}).get("sha256")
    if sb and sb == sa:
        notes.append("Both reports come from the same video file.")
    return notes


def load_report(data: bytes, name: str) -> dict[str, Any]:
    """Parse an uploaded ``report.json``.

    Raises:
        InputError: not JSON, or not a formcam report (no ``metrics`` object).
    """
    try:
        report = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{name}: not a JSON file ({exc.__class__.__name__}); "
                         f"choose the report.json that formcam wrote") from None
    if not isinstance(report, dict) or not isinstance(report.get("metrics"), dict):
        raise InputError(f"{name}: not a formcam report (it has no 'metrics'); "
                         f"choose the report.json that formcam wrote")
    return report


def table_rows(changes: list[MetricChange], labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Rows for a table: metric, unit, before, after, change, SDD, verdict, left/right change."""
    labels = labels or {}

    def rnd(x: float | None) -> float | None:
        return None if x is None else round(x, 2)

    def side(c: Change) -> str:
        if c.delta is None:
            return "–"
        return f"{c.delta:+.1f}" + (" (real)" if c.real else "")

    rows: list[dict[str, Any]] = []
    for c in changes:
        verdict = c.reason if c.reason else c.value.verdict
        if c.few_steps and c.value.verdict in (REAL, NOISE, NO_SDD):
            verdict += f" · fewer than {MIN_STEPS} steps"
        rows.append({"Metric": labels.get(c.name, c.name), "Unit": c.unit, "Before": rnd(c.value.before),
                     "After": rnd(c.value.after), "Change": rnd(c.value.delta), "SDD": c.sdd,
                     "Verdict": verdict, "Left change": side(c.left), "Right change": side(c.right)})
    return rows
