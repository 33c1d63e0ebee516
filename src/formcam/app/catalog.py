"""How the app names, formats and frames each metric of ``report.json``.

Typical ranges come from ``REFERENCES.md`` (the shared research notes); those
marked *unverified* there are labelled so here. They are display aids, not
thresholds: the cues (and their thresholds) come from the report itself.
Metrics with no published range (overstride, shank angle, hip extension,
lateral trunk lean, pelvic sway) have none here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

UNIT_SYMBOLS: Mapping[str, str] = MappingProxyType({
    "deg": "°", "steps/min": "steps/min", "ms": "ms", "cm": "cm", "fraction of leg length": "× leg length"})
LONG_UNITS: frozenset[str] = frozenset({"steps/min", "× leg length"})


@dataclass(frozen=True)
class MetricInfo:
    """Display facts of one metric.

    Attributes:
        label: short human name.
        help: definition, sign convention and view (shown as a tooltip).
        decimals: decimals shown.
        typical: typical range ``(low, high)`` in the report's unit, or None when none is published.
        source: where ``typical`` comes from (with "unverified" where REFERENCES.md says so).
    """

    label: str
    help: str
    decimals: int = 1
    typical: tuple[float, float] | None = None
    source: str = ""


METRIC_INFO: Mapping[str, MetricInfo] = MappingProxyType({
    "cadence_spm": MetricInfo(
        "Cadence", "Steps per minute, both feet. Any view.", 0, (160.0, 180.0),
        "recreational runners (REFERENCES.md)"),
    "contact_time_ms": MetricInfo(
        "Contact time", "Initial contact to toe-off, per step. Side view, 60 fps or more.", 0,
        (160.0, 300.0), "REFERENCES.md"),
    "trunk_lean_deg": MetricInfo(
        "Trunk lean", "Hip-to-shoulder line against vertical during stance; + leaning forward. Side view.",
        1, (3.0, 11.0), "7 ± 4° self-selected (Teng & Powers 2014)"),
    "overstride_cm": MetricInfo(
        "Overstride", "Ankle ahead of the hip midpoint at initial contact; + ahead. Side view. "
        "No hard cut-off: less is better.", 1),
    "overstride_ratio": MetricInfo(
        "Overstride", "Overstride as a fraction of leg length (hip-knee-ankle). Side view.", 2),
    "shank_angle_ic_deg": MetricInfo(
        "Shank angle at contact", "Knee-to-ankle line against vertical at initial contact; + ankle ahead "
        "of the knee. Near vertical is the aim (Souza 2016). Side view.", 1),
    "knee_flexion_ic_deg": MetricInfo(
        "Knee flexion at contact", "Hip-knee-ankle angle at initial contact; 0 = straight. Side view.", 1,
        (10.0, 25.0), "unverified (REFERENCES.md)"),
    "hip_extension_deg": MetricInfo(
        "Hip extension", "Peak thigh angle behind vertical around toe-off; about 10° in a compact runner "
        "(Souza 2016). Side view.", 1),
    "vertical_oscillation_cm": MetricInfo(
        "Vertical oscillation", "Peak-to-peak vertical travel of the hip midpoint per step. Side view.", 1,
        (6.0, 10.0), "Garmin bands, unverified"),
    "foot_strike_angle_deg": MetricInfo(
        "Foot strike angle", "Heel-to-toe line against the ground at contact, minus flat-foot offset; "
        "+ heel first. Rearfoot > 8°, midfoot −1.6…8°, forefoot < −1.6° (unverified). Side view.", 1),
    "pelvic_drop_deg": MetricInfo(
        "Pelvic drop", "Hip line against horizontal at midstance; + swing-side hip lower. Rear or front "
        "view. Changes under about 3° are within measurement noise.", 1, (4.0, 6.0),
        "unverified (REFERENCES.md)"),
    "lateral_trunk_lean_deg": MetricInfo(
        "Lateral trunk lean", "Hip-to-shoulder line against vertical at midstance, frontal plane; "
        "+ toward the stance side. Rear or front view.", 1),
    "pelvic_sway_cm": MetricInfo(
        "Pelvic sway", "Side-to-side travel of the hip midpoint per stride. Rear or front view.", 1),
})


def info_for(name: str) -> MetricInfo:
    """Display facts of ``name``; an unknown metric gets its name as label."""
    return METRIC_INFO.get(name, MetricInfo(name.replace("_", " ").capitalize(), name))


def unit_symbol(unit: str | None) -> str:
    """Short unit for display (``deg`` → ``°``)."""
    return UNIT_SYMBOLS.get(unit or "", unit or "")


def format_number(name: str, value: Any, *, signed: bool = False) -> str:
    """``value`` with the metric's decimals (and a sign if ``signed``), or ``–`` when missing."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return "–"
    return f"{value:{'+' if signed else ''}.{info_for(name).decimals}f}"


def format_value(name: str, value: Any, unit: str | None, *, signed: bool = False) -> str:
    """``value`` with decimals and unit, e.g. ``187 steps/min``, ``5.2°`` (``+5.2°`` if ``signed``)."""
    text = format_number(name, value, signed=signed)
    sym = unit_symbol(unit)
    if text == "–" or not sym:
        return text
    return f"{text}{sym}" if sym == "°" else f"{text} {sym}"


def card_label(name: str, unit: str | None) -> str:
    """A metric card's label: the long units (steps/min, × leg length) go here, not in the value."""
    sym = unit_symbol(unit)
    return f"{info_for(name).label} ({sym})" if sym in LONG_UNITS else info_for(name).label


def card_value(name: str, value: Any, unit: str | None) -> str:
    """A metric card's value: the number with a short unit only (``5.2°``, ``7.2 cm``, ``187``)."""
    return format_number(name, value) if unit_symbol(unit) in LONG_UNITS else format_value(name, value, unit)


def range_status(name: str, value: Any) -> tuple[str, str] | None:
    """``(status, text)`` of ``value`` against the typical range, or None without a range.

    ``status`` is ``"within"``, ``"below"`` or ``"above"``; ``text`` names the range,
    e.g. ``"typical 160–180"``.
    """
    info = info_for(name)
    if info.typical is None or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    low, high = info.typical
    text = f"typical {low:g}–{high:g}"
    if value < low:
        return "below", text
    if value > high:
        return "above", text
    return "within", text


def metric_rows(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(name, entry)`` of each metric in the report, in report order (an empty list if none)."""
    metrics = report.get("metrics") or {}
    return [(name, entry) for name, entry in metrics.items() if isinstance(entry, dict)]
