"""The analysis core in one call: pose series -> cleaned series, view, events, steps, metrics.

``analyze_series`` composes :mod:`formcam.clean`, :mod:`formcam.view`,
:mod:`formcam.events`, :mod:`formcam.kinematics`, :mod:`formcam.scale` and
:mod:`formcam.metrics`. Events are detected on the cleaned series *before*
the low-pass (swap-fixed and gap-filled only): their hinge fit is its own
noise filter and a low-pass would round the contact kink. Angles and positions
come from the low-passed series.

``Analysis.to_report_fields()`` returns the report.json keys ``view``,
``setting``, ``direction``, ``steps`` and ``metrics`` plus ``quality`` (a dict
to merge into the report's ``quality``), all JSON-serialisable (no numpy
scalars, no NaN: missing numbers are None).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from formcam.clean import CleanReport, clean_series, default_cutoff_hz, lowpass
from formcam.errors import NoRunnerError
from formcam.events import Events, detect_events
from formcam.kinematics import Kinematics, compute_kinematics, leg_length_px
from formcam.metrics import step_values, summarize, warnings_for
from formcam.scale import Scale, estimate_scale
from formcam.series import PoseSeries
from formcam.view import ViewDecision, decide_view

log = logging.getLogger(__name__)

MIN_FRAMES = 10


@dataclass(frozen=True)
class Analysis:
    """Result of :func:`analyze_series`.

    Attributes:
        series: cleaned, low-passed pose series (pixels, y down).
        view: view / direction / setting decisions with evidence.
        events: accepted and rejected contacts.
        kinematics: per-frame angles and positions.
        scale: pixels per cm and the height used.
        steps: one report-shaped dict per accepted contact.
        metrics: summary entry per metric name.
        warnings: quality warnings (str).
        clean: what cleaning changed.
    """

    series: PoseSeries
    view: ViewDecision
    events: Events
    kinematics: Kinematics
    scale: Scale
    steps: tuple[dict[str, Any], ...]
    metrics: dict[str, dict[str, Any]]
    warnings: tuple[str, ...]
    clean: CleanReport

    def to_report_fields(self) -> dict[str, Any]:
        """``{view, setting, direction, steps, metrics, quality}``, JSON-serialisable."""
        quality = {
            "warnings": list(self.warnings),
            "repairs": self.clean.to_dict(),
            "scale": self.scale.to_dict(),
            "decisions": self.view.to_dict(),
            "rejected_contacts": [{"side": r.side, "contact_s": r.ic_s, "toe_off_s": r.to_s,
                                   "reason": r.reason} for r in self.events.rejected],
        }
        fields = {"view": self.view.view.value, "setting": self.view.setting.value,
                  "direction": self.view.direction.value, "steps": [dict(s) for s in self.steps],
                  "metrics": self.metrics, "quality": quality}
        return dict(_jsonable(fields))


def _jsonable(obj: Any) -> Any:
    """Recursively convert numpy scalars to Python, non-finite floats to None, round floats."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return round(f, 4) if math.isfinite(f) else None
    return obj


def analyze_series(series: PoseSeries, *, view: str | None = None, setting: str | None = None,
                   direction: str | None = None, height_cm: float | None = None,
                   min_score: float = 0.3, max_gap_s: float = 0.1, cutoff_hz: float | None = None,
                   fix_swaps: bool = True) -> Analysis:
    """Analyse one runner's pose series.

    Args:
        series: raw pose series of the runner (pixels, y down).
        view: force ``"side"``, ``"rear"`` or ``"front"`` (else automatic).
        setting: force ``"treadmill"`` or ``"overground"``.
        direction: force ``"right"``/``"left"`` (side view) or ``"away"``/``"toward"``.
        height_cm: runner's stature for centimetres (default 170 cm, reported).
        min_score: keypoint confidence below which a keypoint is treated as missing.
        max_gap_s: longest gap (s) that is interpolated.
        cutoff_hz: low-pass cut-off (Hz); None = :func:`formcam.clean.default_cutoff_hz`.
        fix_swaps: repair left/right leg swaps.

    Raises:
        NoRunnerError: fewer than 10 frames show the runner's hips and shoulders.
        ConfigError: an override or ``height_cm`` is invalid.
    """
    n_seen = int(series.present(min_score=min_score).sum())
    if n_seen < MIN_FRAMES:
        raise NoRunnerError(f"the runner's hips and shoulders were found in only {n_seen} of "
                            f"{series.n_frames} frames (score >= {min_score}); need at least {MIN_FRAMES}")
    raw_clean, report = clean_series(series, min_score=min_score, max_gap_s=max_gap_s,
                                     fix_swaps=fix_swaps, lowpass_on=False)
    cut = default_cutoff_hz(series.fps) if cutoff_hz is None else float(cutoff_hz)
    smooth = replace(raw_clean, xy=lowpass(raw_clean.xy, fps=series.fps, cutoff_hz=cut))
    report = replace(report, cutoff_hz=cut)
    decision = decide_view(smooth, view=view, direction=direction, setting=setting)
    side = decision.view.value == "side"
    events = detect_events(raw_clean, forward_sign=decision.forward_sign, side_view=side,
                           leg_length_px=leg_length_px(smooth))
    kin = compute_kinematics(smooth, forward_sign=decision.forward_sign)
    raw_kin = compute_kinematics(raw_clean, forward_sign=decision.forward_sign)
    raw_kin = replace(raw_kin, leg_length_px=kin.leg_length_px)
    scale = estimate_scale(smooth, height_cm=height_cm)
    steps = step_values(kin, raw_kin, events, scale, view=decision.view.value)
    metrics = summarize(steps, events, view=decision.view.value)
    warnings = warnings_for(metrics, steps, fps=float(series.fps))
    if not steps:
        warnings.append("no valid steps were detected: no metric could be computed")
    if report.n_swaps_fixed:
        warnings.append(f"repaired {report.n_swaps_fixed} left/right leg swap(s) "
                        f"({len(report.swapped_frames)} frames)")
    for w in warnings:
        log.info(w)
    return Analysis(series=smooth, view=decision, events=events, kinematics=kin, scale=scale,
                    steps=tuple(steps), metrics=metrics, warnings=tuple(warnings), clean=report)
