"""Corrective cues from report metrics, driven by rules kept as data (``rules.toml``).

A rule (see the comments in ``rules.toml``) names a metric, the views it applies to,
the direction of concern (``high``, ``low``, ``abs`` = ``|value|`` high, ``both``)
and two thresholds in the metric's unit (``watch``, ``concern``; for ``both`` each
is ``[low, high]``). Levels, applied to the summary value and to each side's value:

* a level is reached only when the value passes its threshold by at least the
  metric's smallest detectable difference (SDD): ``value - threshold >= sdd``
  (mirrored for ``low``). So with pelvic drop watch 5°, SDD 2.8°, a drop of 7.0°
  is *not* a problem: it is an ``info`` cue that says the excess is within
  measurement error; ``watch`` starts at 7.8°;
* ``info`` also caps the severity when fewer than ``min_steps`` (default 7) steps
  back the value;
* unavailable metrics, values outside the rule's ``plausible`` range and frame
  rates below ``min_fps`` give no cue.

A side's value (``left``/``right``) replaces the summary value when it reaches a
higher level with at least ``min_steps`` steps of its own (one-sided faults), unless
the rule sets ``sides = false`` (cadence: a property of both feet).
Each cue is ``{id, severity, metric, value, threshold, message, advice, frames,
basis}``: ``value`` is in the metric's unit (for ``asymmetry_pct`` rules, percent),
``threshold`` the crossed (or nearest) one, and ``frames`` the contact frames of
the (up to three) steps with the worst values, worst first.

The rules files are loaded and checked in :mod:`formcam.report.cue_rules`
(:class:`Rule`, :class:`RuleSet` and :func:`load_rules` are re-exported here).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from formcam.report.cue_rules import DIRECTIONS, MEASURES, VIEWS, Rule, RuleSet, load_rules

__all__ = ["DIRECTIONS", "DISCLAIMER", "MEASURES", "RED_FLAGS", "SEVERITIES", "VIEWS", "Rule", "RuleSet",
           "disclaimer", "evaluate", "load_rules"]

SEVERITIES: tuple[str, ...] = ("info", "watch", "concern")
_UNITS: Mapping[str, str] = MappingProxyType({"deg": "°", "fraction of leg length": " leg lengths"})
DISCLAIMER = (
    "formcam gives feedback on running form from video. It is not a diagnosis and does not replace "
    "an examination. Form changes are one part of managing back pain, next to strength, mobility, "
    "a gradual return to running and rest.")
RED_FLAGS: tuple[str, ...] = (
    "pain that persists, gets worse, or is there at night or at rest",
    "pain that radiates down one or both legs",
    "numbness or tingling in the legs, buttocks or groin",
    "weakness in the legs or feet",
    "fever or feeling unwell with back pain",
    "changes in bladder or bowel control")


def disclaimer() -> str:
    """What formcam's feedback is and is not, and the red flags for seeing a professional."""
    flags = "; ".join(RED_FLAGS)
    return (f"{DISCLAIMER} See a doctor or physiotherapist before changing your running if you have "
            f"any of: {flags}.")


def _level(rule: Rule, x: float) -> tuple[int, float, float]:
    """``(level, threshold, signed margin)``: level -1 none, 0 info, 1 watch, 2 concern."""
    if rule.direction == "abs":
        x = abs(x)
    best = (-1, math.inf, -math.inf)
    for k, sign in ((1, 1.0), (0, -1.0)):  # high bound (index 1) then low bound (index 0)
        w, c = rule.watch[k], rule.concern[k]
        if w is None or c is None:
            continue
        mw, mc = sign * (x - w), sign * (x - c)
        if mc >= rule.sdd:
            cand = (2, c, mc)
        elif mw >= rule.sdd:
            cand = (1, w, mw)
        elif mw > 0:
            cand = (0, w, mw)
        else:
            cand = (-1, w, mw)
        if cand[0] > best[0] or (cand[0] == best[0] and cand[2] > best[2]):
            best = cand
    return best


def _fmt(v: float, unit: str) -> str:
    if unit == "fraction of leg length":
        return f"{v:.2f} leg lengths"
    digits = 0 if unit in ("ms", "steps/min") else 1
    return f"{v:.{digits}f}{_UNITS.get(unit, ' ' + unit)}"


def _evidence(rule: Rule, steps: list[dict[str, Any]], side: str | None, high: bool, n: int = 3) -> list[int]:
    vals = [(s[rule.metric], int(s["contact_frame"])) for s in steps
            if s.get(rule.metric) is not None and s.get("contact_frame") is not None
            and (side is None or s.get("side") == side)]
    key = (lambda p: abs(p[0])) if rule.direction == "abs" else (lambda p: p[0])
    vals.sort(key=key, reverse=high)
    return [f for _, f in vals[:n]]


def _cue(rule: Rule, metrics: dict[str, Any], steps: list[dict[str, Any]], *,
         min_steps: int) -> dict[str, Any] | None:
    m = metrics.get(rule.metric) or {}
    if not m.get("available") or m.get("value") is None:
        return None
    unit = str(m.get("unit", ""))
    n_side = {sd: sum(1 for s in steps if s.get("side") == sd and s.get(rule.metric) is not None)
              for sd in ("left", "right")}
    if rule.measure == "asymmetry_pct":
        lv, rv = m.get("left"), m.get("right")
        if lv is None or rv is None or lv + rv <= 0:
            return None
        cands: list[tuple[str | None, float, int]] = [
            (None, 200.0 * abs(lv - rv) / (lv + rv), min(n_side.values()))]
        unit, worse = "%", ("left" if lv > rv else "right")
    else:
        cands = [(None, float(m["value"]), int(m.get("n_steps") or 0))]
        cands += [(sd, float(m[sd]), n_side[sd]) for sd in ("left", "right")
                  if rule.sides and m.get(sd) is not None]
    if rule.plausible and not rule.plausible[0] <= cands[0][1] <= rule.plausible[1]:
        return None
    side, value, n = cands[0]
    lvl, thr, margin = _level(rule, value)
    for sd, v, nn in cands[1:]:
        lv2, t2, m2 = _level(rule, v)
        if lv2 > max(lvl, 0) and nn >= min_steps:
            side, value, n, (lvl, thr, margin) = sd, v, nn, (lv2, t2, m2)
    if lvl < 0:
        return None
    few = n < min_steps
    severity = SEVERITIES[0 if few else lvl]
    high = value >= thr if rule.direction != "abs" else True
    what = ("left/right difference" if rule.measure == "asymmetry_pct"
            else f"{side} side" if side else f"{n} steps")
    shown = _fmt(value, unit)
    extra = metrics.get(rule.show_with or "", {}) or {}
    if extra.get("available") and extra.get(side or "value") is not None:
        shown += f", {_fmt(float(extra[side or 'value']), str(extra.get('unit', '')))}"
    level_word = "concern" if lvl == 2 else "watch"
    limit = f"±{_fmt(thr, unit)}" if rule.direction == "abs" else _fmt(thr, unit)
    where = "beyond" if rule.direction == "abs" else "above" if high else "below"
    relation = f"{where} the {level_word} level of {limit}"
    if lvl == 0:
        relation = (f"past the watch level of {limit} by only {_fmt(abs(margin), unit)}, less "
                    f"than the smallest detectable difference ({_fmt(rule.sdd, unit)}): not a clear "
                    f"finding; check again in a later video")
    elif few:
        relation += f", but with only {n} steps that is not enough to call it a problem"
    message = f"{rule.cue} {rule.label} {shown} ({what}) is {relation}."
    basis = rule.basis + (" Thresholds are heuristics, not validated cut-offs." if rule.heuristic else "")
    ev_side = worse if rule.measure == "asymmetry_pct" else side
    return {"id": rule.id, "severity": severity, "metric": rule.metric, "value": round(value, 4),
            "threshold": thr, "message": message, "advice": rule.advice,
            "frames": _evidence(rule, steps, ev_side, high), "basis": basis}


def evaluate(report_metrics: dict[str, Any], steps: list[dict[str, Any]], view: str | None,
             rules: RuleSet | None = None, *, fps: float | None = None,
             min_steps: int = 7) -> list[dict[str, Any]]:
    """Cues for a report's ``metrics`` and ``steps`` in camera ``view``, most severe first.

    Args:
        report_metrics: report.json ``metrics`` (``{name: {value, unit, left, right, ...}}``).
        steps: report.json ``steps`` (each with ``side``, ``contact_frame`` and metric values).
        view: ``"side"``, ``"rear"`` or ``"front"`` (None: no cues).
        rules: rule set (default: the shipped rules).
        fps: the clip's frame rate, for rules with ``min_fps`` (None: not checked).
        min_steps: fewest steps a value needs to be called a problem (else ``info``): the
            summary value counts all steps, a side's value that side's steps, an asymmetry
            the fewer side's steps. 7 follows the 2D-video reliability work (Dingenen 2018).
    """
    rules = rules or load_rules()
    out = []
    for rule in rules.rules:
        if view not in rule.views or (rule.min_fps and fps is not None and fps < rule.min_fps):
            continue
        cue = _cue(rule, report_metrics, steps, min_steps=min_steps)
        if cue is not None:
            out.append(cue)
    return sorted(out, key=lambda c: -SEVERITIES.index(c["severity"]))
