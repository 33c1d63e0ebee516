"""Per-frame signals and gait events of an analysis, as tables for the plots.

The signals are recomputed from the runner's pose series with the *same*
decisions the report made (view, setting, direction and height are passed to
:func:`formcam.analysis.core.analyze_series`, so nothing is decided twice), which
works whether or not ``frames.csv`` was written. Which signals are shown
follows the view: sagittal ones for a side view, frontal ones for rear/front.

Tables are long-form ``pandas`` frames:

* signals: ``t_s, frame, signal, side, value`` (``side`` = left / right / both);
* events: ``t_s, frame, side, event`` (``event`` = contact / toe-off), from ``report["steps"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from formcam.analysis import Kinematics, analyze_series
from formcam.errors import FormcamError
from formcam.series import PoseSeries

log = logging.getLogger(__name__)
Arr = NDArray[np.float64]


@dataclass(frozen=True)
class Signal:
    """A plotted per-frame quantity: label (with unit), views it is valid in, and its extractor.

    ``extract(kinematics, px_per_cm)`` returns ``(T,)`` (both) or ``(T, 2)`` (left, right).
    """

    label: str
    views: tuple[str, ...]
    extract: Callable[[Kinematics, float], Arr]
    help: str


def _centered(x: Arr) -> Arr:
    return np.asarray(x - np.nanmedian(x)) if np.isfinite(x).any() else x


SIGNALS: tuple[Signal, ...] = (
    Signal("Knee flexion (°)", ("side",), lambda k, s: k.knee_flexion_deg,
           "hip-knee-ankle angle, 0 = straight"),
    Signal("Thigh angle (°)", ("side",), lambda k, s: k.thigh_angle_deg,
           "hip-to-knee line against vertical, + knee ahead of the hip; hip extension is its negative peak"),
    Signal("Trunk lean (°)", ("side",), lambda k, s: k.trunk_lean_deg, "+ leaning forward"),
    Signal("Ankle ahead of hips (cm)", ("side",), lambda k, s: k.ankle_ahead_px / s,
           "overstride at contact; + ahead of the hip midpoint"),
    Signal("Hip height (cm, around its median)", ("side", "rear", "front"),
           lambda k, s: _centered(k.hip_mid_uv_px[:, 1] / s), "vertical oscillation of the hip midpoint"),
    Signal("Foot angle (°)", ("side",), lambda k, s: k.foot_angle_deg, "heel-to-toe line, + toes up"),
    Signal("Pelvic obliquity (°)", ("rear", "front"), lambda k, s: k.pelvis_obliquity_deg,
           "hip line against horizontal, + left hip higher"),
    Signal("Lateral trunk lean (°)", ("rear", "front"), lambda k, s: k.lateral_trunk_lean_deg,
           "frontal-plane trunk angle, + toward the runner's left"),
    Signal("Pelvis side-to-side (cm, around its median)", ("rear", "front"),
           lambda k, s: _centered(k.hip_mid_w_px / s), "+ toward the runner's left"),
)


def _forced(report: dict[str, Any], key: str) -> str | None:
    value = report.get(key)
    return value if isinstance(value, str) else None


def signal_table(series: PoseSeries, report: dict[str, Any]) -> pd.DataFrame:
    """Long table of the view's signals (empty when the report has no analysis)."""
    columns = ["t_s", "frame", "signal", "side", "value"]
    view = _forced(report, "view")
    if view is None:
        return pd.DataFrame(columns=columns)
    settings = report.get("settings") or {}
    height = settings.get("height_cm")
    try:
        analysis = analyze_series(series, view=view, setting=_forced(report, "setting"),
                                  direction=_forced(report, "direction"),
                                  height_cm=float(height) if isinstance(height, int | float) else None)
    except FormcamError as exc:
        log.warning("no plot data: %s", exc)
        return pd.DataFrame(columns=columns)
    kin = analysis.kinematics
    px_per_cm = float(analysis.scale.px_per_cm)
    frames = np.arange(kin.t_s.size)
    parts: list[pd.DataFrame] = []
    for sig in SIGNALS:
        if view not in sig.views:
            continue
        values = np.asarray(sig.extract(kin, px_per_cm), dtype=np.float64)
        sides = [("both", values)] if values.ndim == 1 else [("left", values[:, 0]), ("right", values[:, 1])]
        for side, col in sides:
            parts.append(pd.DataFrame({"t_s": kin.t_s, "frame": frames, "signal": sig.label,
                                       "side": side, "value": col}))
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)
    return table[np.isfinite(table["value"].to_numpy(dtype=np.float64))].reset_index(drop=True)


def event_table(report: dict[str, Any]) -> pd.DataFrame:
    """Contacts and toe-offs of the accepted steps: ``t_s, frame, side, event``."""
    rows: list[dict[str, Any]] = []
    for step in report.get("steps") or []:
        for event, t_key, f_key in (("contact", "contact_s", "contact_frame"),
                                    ("toe-off", "toe_off_s", "toe_off_frame")):
            t = step.get(t_key)
            if isinstance(t, int | float):
                rows.append({"t_s": float(t), "frame": step.get(f_key), "side": step.get("side", ""),
                             "event": event})
    return pd.DataFrame(rows, columns=["t_s", "frame", "side", "event"])


def signal_help() -> dict[str, str]:
    """Help text of each signal by label."""
    return {s.label: s.help for s in SIGNALS}
