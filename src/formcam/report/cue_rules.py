"""Loading and checking the cue rules: the shipped ``rules.toml`` with an optional override file merged in.

Holds :class:`Rule`, :class:`RuleSet` and :func:`load_rules` (re-exported by
:mod:`formcam.report.cues`, which evaluates the rules), the rule file's key and type
tables, and the checks that turn a bad file into one :class:`formcam.errors.ConfigError` line.
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
