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
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from formcam.analysis import METRICS
from formcam.errors import ConfigError

SEVERITIES: tuple[str, ...] = ("info", "watch", "concern")
VIEWS: tuple[str, ...] = ("side", "rear", "front")
DIRECTIONS: tuple[str, ...] = ("high", "low", "abs", "both")
MEASURES: tuple[str, ...] = ("value", "asymmetry_pct")
_REQUIRED = ("label", "metric", "views", "direction", "watch", "concern", "sdd", "cue", "advice", "basis")
_KEYS: Mapping[str, str] = MappingProxyType({
    "label": "str", "metric": "str", "views": "strs", "direction": "str", "watch": "threshold",
    "concern": "threshold", "sdd": "num", "cue": "str", "advice": "str", "basis": "str",
    "heuristic": "bool", "measure": "str", "plausible": "pair", "show_with": "str", "min_fps": "num",
    "sides": "bool", "enabled": "bool"})
_EXPECT: Mapping[str, str] = MappingProxyType({
    "str": "a string", "strs": "a list of strings", "num": "a number", "bool": "true or false",
    "pair": "a list of two numbers", "threshold": "a number or a list of two numbers"})
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


@dataclass(frozen=True)
class Rule:
    """One cue rule; ``watch``/``concern`` are ``(low, high)`` bounds, ``None`` where unused."""

    id: str
    label: str
    metric: str
    views: tuple[str, ...]
    direction: str
    watch: tuple[float | None, float | None]
    concern: tuple[float | None, float | None]
    sdd: float
    cue: str
    advice: str
    basis: str
    heuristic: bool = True
    measure: str = "value"
    plausible: tuple[float, float] | None = None
    show_with: str | None = None
    min_fps: float | None = None
    sides: bool = True


@dataclass(frozen=True)
class RuleSet:
    """Enabled rules, typical ranges (``metric -> (low, high, basis)``), general advice, source files."""

    rules: tuple[Rule, ...]
    typical: dict[str, tuple[float, float, str]]
    general_advice: tuple[str, ...]
    sources: tuple[str, ...]


def disclaimer() -> str:
    """What formcam's feedback is and is not, and the red flags for seeing a professional."""
    flags = "; ".join(RED_FLAGS)
    return (f"{DISCLAIMER} See a doctor or physiotherapist before changing your running if you have "
            f"any of: {flags}.")


def _type_ok(kind: str, v: Any) -> bool:
    num = isinstance(v, int | float) and not isinstance(v, bool)
    if kind == "num":
        return num and math.isfinite(v)
    if kind == "pair":
        return isinstance(v, list) and len(v) == 2 and all(_type_ok("num", x) for x in v)
    if kind == "threshold":
        return _type_ok("num", v) or _type_ok("pair", v)
    if kind == "strs":
        return isinstance(v, list) and bool(v) and all(isinstance(x, str) for x in v)
    return isinstance(v, bool) if kind == "bool" else isinstance(v, str)


def _got(v: Any) -> str:
    text = repr(v)
    return f"{type(v).__name__} {text if len(text) < 40 else text[:37] + '...'}"


def _check_keys(src: str, rid: str, entry: Any) -> None:
    if not isinstance(entry, dict):
        raise ConfigError(f"{src}: rule '{rid}': expected a table, got {_got(entry)}")
    for key, v in entry.items():
        if key not in _KEYS:
            raise ConfigError(f"{src}: rule '{rid}': expected keys among {sorted(_KEYS)}, "
                              f"got unknown key '{key}'")
        if not _type_ok(_KEYS[key], v):
            raise ConfigError(f"{src}: rule '{rid}': expected {key} to be {_EXPECT[_KEYS[key]]}, "
                              f"got {_got(v)}")


def _bounds(direction: str, v: float | list[float]) -> tuple[float | None, float | None]:
    if direction == "both":
        assert isinstance(v, list)
        return float(v[0]), float(v[1])
    assert not isinstance(v, list)
    return (float(v), None) if direction == "low" else (None, float(v))


def _build(src: str, rid: str, e: dict[str, Any]) -> Rule:
    def bad(what: str, got: Any) -> ConfigError:
        return ConfigError(f"{src}: rule '{rid}': expected {what}, got {_got(got)}")

    missing = [k for k in _REQUIRED if k not in e]
    if missing:
        raise ConfigError(f"{src}: rule '{rid}': expected keys {list(_REQUIRED)}, "
                          f"got no {', '.join(missing)}")
    d = e["direction"]
    if d not in DIRECTIONS:
        raise bad(f"direction one of {DIRECTIONS}", d)
    if e["metric"] not in METRICS:
        raise bad(f"metric one of {METRICS}", e["metric"])
    if not set(e["views"]) <= set(VIEWS):
        raise bad(f"views among {VIEWS}", e["views"])
    if e.get("measure", "value") not in MEASURES:
        raise bad(f"measure one of {MEASURES}", e["measure"])
    if e.get("show_with", METRICS[0]) not in METRICS:
        raise bad(f"show_with one of {METRICS}", e["show_with"])
    if "plausible" in e and not e["plausible"][0] < e["plausible"][1]:
        raise bad("plausible as [low, high] with low < high", e["plausible"])
    for key in ("watch", "concern"):
        if isinstance(e[key], list) != (d == "both"):
            shape = "[low, high]" if d == "both" else "one number"
            raise bad(f"{key} as {shape} for direction '{d}'", e[key])
    if e["sdd"] < 0:
        raise bad("sdd >= 0", e["sdd"])
    watch, concern = _bounds(d, e["watch"]), _bounds(d, e["concern"])
    lo_w, hi_w = watch
    lo_ok = lo_w is None or concern[0] is None or concern[0] <= lo_w
    hi_ok = hi_w is None or concern[1] is None or concern[1] >= hi_w
    if not (lo_ok and hi_ok) or (lo_w is not None and hi_w is not None and lo_w >= hi_w):
        raise bad(f"concern beyond watch in the direction '{d}'", [e["watch"], e["concern"]])
    plaus = e.get("plausible")
    return Rule(id=rid, label=e["label"], metric=e["metric"], views=tuple(e["views"]), direction=d,
                watch=watch, concern=concern, sdd=float(e["sdd"]), cue=e["cue"], advice=e["advice"],
                basis=e["basis"], heuristic=e.get("heuristic", True), measure=e.get("measure", "value"),
                plausible=(float(plaus[0]), float(plaus[1])) if plaus else None,
                show_with=e.get("show_with"), min_fps=e.get("min_fps"), sides=e.get("sides", True))


def _read(path: Path | None) -> tuple[str, dict[str, Any]]:
    src = str(path) if path else "formcam/report/rules.toml"
    try:
        text = (Path(path).read_text(encoding="utf-8") if path
                else resources.files("formcam.report").joinpath("rules.toml").read_text(encoding="utf-8"))
        data = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"{src}: cannot read the rules file ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{src}: expected a TOML rules file, got a syntax error ({exc})") from None
    extra = set(data) - {"format", "typical", "general", "rules"}
    if extra:
        raise ConfigError(f"{src}: expected top-level keys format, typical, general, rules; "
                          f"got unknown {', '.join(sorted(extra))}")
    for key in ("typical", "general", "rules"):
        if not isinstance(data.get(key, {}), dict):
            raise ConfigError(f"{src}: expected [{key}] to be a table, got {_got(data[key])}")
    for rid, entry in data.get("rules", {}).items():
        _check_keys(src, rid, entry)
    for metric, entry in data.get("typical", {}).items():
        ok = (isinstance(entry, dict) and _type_ok("pair", entry.get("range"))
              and set(entry) <= {"range", "basis"})
        if not ok or metric not in METRICS:
            raise ConfigError(f"{src}: typical '{metric}': expected a report metric with "
                              f"{{ range = [low, high], basis = \"...\" }}, got {_got(entry)}")
    adv = data.get("general", {}).get("advice", [])
    if set(data.get("general", {})) - {"advice"} or (not _type_ok("strs", adv) and adv != []):
        raise ConfigError(f"{src}: general: expected advice to be a list of strings, got {_got(adv)}")
    return src, data


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The shipped rules, with the rules of ``path`` (an override file) merged in by id.

    An override table with a shipped id replaces only the keys it sets; a new id
    must set every required key; ``enabled = false`` drops a rule.

    Raises:
        ConfigError: one line ``"FILE: rule 'x': expected ..., got ..."`` for a missing or
            unreadable file, bad TOML, unknown keys, wrong types or inconsistent thresholds.
    """
    base_src, base = _read(None)
    raw: dict[str, dict[str, Any]] = {rid: dict(e) for rid, e in base.get("rules", {}).items()}
    where = dict.fromkeys(raw, base_src)
    typical = {m: (float(e["range"][0]), float(e["range"][1]), str(e.get("basis", "")))
               for m, e in base.get("typical", {}).items()}
    advice = list(base.get("general", {}).get("advice", []))
    sources = [base_src]
    if path is not None:
        src, over = _read(Path(path))
        sources.append(src)
        for rid, entry in over.get("rules", {}).items():
            raw[rid] = {**raw.get(rid, {}), **entry}
            where[rid] = src
        typical.update({m: (float(e["range"][0]), float(e["range"][1]), str(e.get("basis", "")))
                        for m, e in over.get("typical", {}).items()})
        advice = list(over.get("general", {}).get("advice", advice))
    rules = tuple(_build(where[rid], rid, e) for rid, e in raw.items() if e.get("enabled", True))
    return RuleSet(rules=rules, typical=typical, general_advice=tuple(advice), sources=tuple(sources))


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
