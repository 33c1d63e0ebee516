"""The live command's output lines: rolling numbers with the pose rate and latency."""

from __future__ import annotations

from typing import TYPE_CHECKING

from formcam.live.rolling import RollingNumbers

if TYPE_CHECKING:
    from formcam.live.session import LiveStats

LABELS: dict[str, tuple[str, str, str]] = {
    "cadence_spm": ("cadence", "{:.1f}", " spm"),
    "trunk_lean_deg": ("trunk lean", "{:.1f}", "°"),
    "overstride_cm": ("overstride", "{:.1f}", " cm"),
    "knee_flexion_ic_deg": ("knee at contact", "{:.0f}", "°"),
    "pelvic_drop_deg": ("pelvic drop", "{:.1f}", "°"),
    "pelvic_sway_cm": ("sway", "{:.1f}", " cm"),
}
"""Label, value format and unit of each live number."""


def numbers_line(t_s: float, numbers: RollingNumbers, stats: LiveStats) -> str:
    """One line: source time, view, the numbers (``-`` not measured), the first cue, pose rate, latency."""
    parts = [f"t {t_s:6.1f} s"]
    if numbers.reason is not None:
        parts.append(f"waiting: {numbers.reason}")
    else:
        parts.append(f"{numbers.view} ({numbers.n_steps} steps)")
        for name, value in numbers.values.items():
            label, fmt, unit = LABELS[name]
            parts.append(f"{label} {fmt.format(value)}{unit}" if value is not None else f"{label} -")
        if numbers.cues:
            parts.append(f"cue: {numbers.cues[0]['id']}")
    parts.append(rate_text(stats))
    return " | ".join(parts)


def rate_text(stats: LiveStats) -> str:
    """``pose 24.1 of 60.0 frames/s, latency p95 48 ms``."""
    p95 = stats.latency_ms(95)
    latency = f"latency p95 {p95:.0f} ms" if p95 is not None else "latency -"
    return f"pose {stats.pose_fps:.1f} of {stats.offered_fps:.1f} frames/s, {latency}"


def final_text(stats: LiveStats) -> str:
    """The session's closing line: frames offered, taken and dropped, latency median and p95."""
    p50, p95 = stats.latency_ms(50), stats.latency_ms(95)
    latency = f"latency median {p50:.0f} ms, p95 {p95:.0f} ms" if p50 is not None and p95 is not None else ""
    return (f"live: {stats.offered} frames offered over {stats.source_s:.1f} s, pose on {stats.taken} "
            f"({stats.pose_fps:.1f} of {stats.offered_fps:.1f} frames/s, {stats.offered - stats.taken} "
            f"dropped); {latency}")
