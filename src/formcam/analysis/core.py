"""The analysis core in one call: pose series -> cleaned series, view, events, steps, metrics.

``analyze_series`` composes :mod:`formcam.analysis.clean`, :mod:`formcam.analysis.view`,
:mod:`formcam.analysis.events`, :mod:`formcam.analysis.kinematics`, :mod:`formcam.analysis.scale` and
:mod:`formcam.analysis.metrics`. Events are detected on the cleaned series *before*
the low-pass (swap-fixed and gap-filled only): their hinge fit is its own
noise filter and a low-pass would round the contact kink. Angles and positions
come from the low-passed series. Events and the view decisions use only the
:func:`formcam.analysis.segment.running_segment` (the longest stretch with the runner tracked and
moving); event frames are shifted back to whole-clip frame indices and a
warning names the segment.

``Analysis.to_report_fields()`` returns the report.json keys ``view``,
``setting``, ``direction``, ``steps`` and ``metrics`` plus ``quality`` (a dict
to merge into the report's ``quality``), all JSON-serialisable (no numpy
scalars, no NaN: missing numbers are None).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from formcam.analysis.clean import CleanReport, clean_series, default_cutoff_hz, lowpass, swap_legs
from formcam.analysis.events import Events, detect_events
from formcam.analysis.events_flow import event_sources, flow_events, flow_warnings
from formcam.analysis.events_midstance import placed_timing
from formcam.analysis.kinematics import Kinematics, compute_kinematics, leg_length_px
from formcam.analysis.metrics import step_values
from formcam.analysis.plausibility import check_summary, withhold
from formcam.analysis.scale import Scale, estimate_scale
from formcam.analysis.segment import MIN_TRUNK_FRACTION, pd_fill, running_segment, shows_trunk
from formcam.analysis.sides import SIDE_CONFIDENCE_MIN
from formcam.analysis.summary import NEAR_FAR_METRICS, NEAR_FAR_NOTE, summarize, warnings_for
from formcam.analysis.timebase import TIME_METRICS, TimeBase, retime, time_base
from formcam.analysis.view import ViewDecision, decide_view
from formcam.errors import NoRunnerError
from formcam.series import FootMotion, PoseSeries

log = logging.getLogger(__name__)

MIN_FRAMES = 10
# The segment helpers moved to formcam.analysis.segment; still importable from here.
__all__ = ["MIN_FRAMES", "MIN_TRUNK_FRACTION", "Analysis", "analyze_series", "pd_fill", "running_segment",
           "shows_trunk"]


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
        time_base: how the analysis' times relate to the video's (slowed footage).
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
    time_base: TimeBase = field(default_factory=TimeBase)

    def to_report_fields(self) -> dict[str, Any]:
        """``{view, setting, direction, steps, metrics, quality}``, JSON-serialisable."""
        quality = {
            "warnings": list(self.warnings),
            "repairs": self.clean.to_dict(),
            "scale": self.scale.to_dict(),
            "time_base": self.time_base.to_dict(),
            "decisions": self.view.to_dict(),
            "cadence": {k: self.metrics.get("cadence_spm", {}).get(k) for k in
                        ("method", "events_spm", "spectral_spm", "spectral_confidence")},
            "periodicity": {"stride_s": self.events.periodicity.stride_s,
                            "confidence": self.events.periodicity.confidence,
                            "source": self.events.periodicity.source,
                            "half_step_acf": self.events.periodicity.half_step_acf},
            "event_sources": event_sources(self.events),
            "event_rules": self.events.timing or None,
            **placed_timing(self.events.contacts),
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


def _slice(series: PoseSeries, s0: int, s1: int) -> PoseSeries:
    return replace(series, xy=series.xy[s0:s1], score=series.score[s0:s1], t_s=series.t_s[s0:s1])


@dataclass(frozen=True)
class _Prepared:
    """A series cleaned for events (``raw``: swap-fixed, gap-filled) and for angles
    (``smooth``: also low-passed), and its running segment ``[s0, s1)``."""

    raw: PoseSeries
    smooth: PoseSeries
    clean: CleanReport
    s0: int
    s1: int


def _prepare(series: PoseSeries, *, min_score: float, max_gap_s: float, cutoff_hz: float | None,
             fix_swaps: bool, trunk: bool, segment: tuple[int, int] | None = None) -> _Prepared:
    """Clean ``series``; its running segment unless ``segment`` is given (frame indices do not
    change when a series is retimed, and the segment is found on the video's time base)."""
    raw, report = clean_series(series, min_score=min_score, max_gap_s=max_gap_s, fix_swaps=fix_swaps,
                               lowpass_on=False)
    cut = default_cutoff_hz(series.fps) if cutoff_hz is None else float(cutoff_hz)
    smooth = replace(raw, xy=lowpass(raw.xy, fps=series.fps, cutoff_hz=cut))
    s0, s1 = segment or running_segment(series, min_score=min_score, trunk=trunk)
    return _Prepared(raw, smooth, replace(report, cutoff_hz=cut), s0, s1)


def _require_runner(series: PoseSeries, min_score: float) -> bool:
    """Whether the shoulders are in view; raises NoRunnerError when the runner is too rarely seen."""
    trunk = shows_trunk(series, min_score=min_score)
    n_seen = int(series.present(min_score=min_score, trunk=trunk).sum())
    if n_seen < MIN_FRAMES:
        what = "hips and shoulders" if trunk else "hips"
        raise NoRunnerError(f"the runner's {what} were found in only {n_seen} of "
                            f"{series.n_frames} frames (score >= {min_score}); need at least {MIN_FRAMES}")
    return trunk


def analyze_series(series: PoseSeries, *, view: str | None = None, setting: str | None = None,
                   direction: str | None = None, height_cm: float | None = None,
                   min_score: float = 0.3, max_gap_s: float = 0.1, cutoff_hz: float | None = None,
                   fix_swaps: bool = True, time_scale: float | None = None,
                   foot_motion: FootMotion | None = None) -> Analysis:
    """Analyse one runner's pose series.

    Args:
        series: raw pose series of the runner (pixels, y down; times as in the video).
        view: force ``"side"``, ``"rear"`` or ``"front"`` (else automatic).
        setting: force ``"treadmill"`` or ``"overground"``.
        direction: force ``"right"``/``"left"`` (side view) or ``"away"``/``"toward"``.
        height_cm: runner's stature for centimetres (default 170 cm, reported).
        min_score: keypoint confidence below which a keypoint is treated as missing.
        max_gap_s: longest gap (s) that is interpolated.
        cutoff_hz: low-pass cut-off (Hz); None = :func:`formcam.analysis.clean.default_cutoff_hz`.
        fix_swaps: repair left/right leg swaps.
        time_scale: true seconds per video second (stated fps / capture fps) when the user
            knows the clip is slowed; None detects slowed footage
            (:mod:`formcam.analysis.timebase`). The analysis' times are on the true base.
        foot_motion: each foot's image motion from the pose pass, frames as ``series``; side
            view: contacts and toe-offs are timed from it where it shows them
            (:mod:`formcam.analysis.events_flow`).

    Raises:
        NoRunnerError: fewer than 10 frames show the runner's hips (and shoulders, unless
            the clip is framed from the waist down).
        ConfigError: an override or ``height_cm`` is invalid.
    """
    trunk = _require_runner(series, min_score)
    prepare = partial(_prepare, min_score=min_score, max_gap_s=max_gap_s, cutoff_hz=cutoff_hz,
                      fix_swaps=fix_swaps, trunk=trunk)
    prep = prepare(series)
    seg = _slice(prep.smooth, prep.s0, prep.s1)
    decision = decide_view(seg, view=view, direction=direction, setting=setting)
    side = decision.view.value == "side"
    timing = time_base(seg, side_view=side, forward_sign=decision.forward_sign, user_scale=time_scale)
    if timing.scale != 1.0:
        series = retime(series, timing.scale)
        prep = prepare(series, segment=(prep.s0, prep.s1))
    leg_px = leg_length_px(_slice(prep.smooth, prep.s0, prep.s1))
    events = detect_events(_slice(prep.raw, prep.s0, prep.s1), forward_sign=decision.forward_sign,
                           side_view=side, leg_length_px=leg_px).shifted(prep.s0)
    flowed = side and foot_motion is not None and foot_motion.n_frames == series.n_frames
    motion = None
    if flowed and foot_motion is not None:  # the feet' motion follows the labels' swap repairs
        motion = foot_motion.swapped(prep.clean.swapped_frames)
        events = flow_events(events, prep.raw, motion, leg_px=leg_px)
    if events.swap_frames:  # the stance foot carries the labels of the foot it was assigned
        prep = replace(prep, raw=swap_legs(prep.raw, events.swap_frames),
                       smooth=swap_legs(prep.smooth, events.swap_frames))
        if motion is not None:
            motion = motion.swapped(sorted({f for a, b in events.swap_frames
                                            for f in range(max(a, 0), min(b, motion.n_frames))}))
    kin = compute_kinematics(prep.smooth, forward_sign=decision.forward_sign)
    raw_kin = compute_kinematics(prep.raw, forward_sign=decision.forward_sign)
    raw_kin = replace(raw_kin, leg_length_px=kin.leg_length_px)
    scale = estimate_scale(prep.smooth, height_cm=height_cm, trunk=trunk)
    steps = step_values(kin, raw_kin, events, scale, view=decision.view.value, motion=motion)
    metrics = summarize(steps, events, view=decision.view.value, trunk=trunk)
    if timing.source == "guess":
        withhold(metrics, TIME_METRICS, "the clip looks slowed down: give the frame rate it was filmed at")
    withheld = check_summary(metrics, events, setting=decision.setting.value, steps=steps)
    if any(metrics[n].get("side_note") == NEAR_FAR_NOTE for n in NEAR_FAR_METRICS if n in metrics):
        withheld.append(NEAR_FAR_NOTE)
    warnings = _warnings(series, prep, metrics, steps, events, trunk=trunk, timing=timing,
                         measured_feet=flowed) + withheld
    return Analysis(series=prep.smooth, view=decision, events=events, kinematics=kin, scale=scale,
                    steps=tuple(steps), metrics=metrics, warnings=tuple(warnings), clean=prep.clean,
                    time_base=timing)


def _warnings(series: PoseSeries, prep: _Prepared, metrics: dict[str, dict[str, Any]],
              steps: list[dict[str, Any]], events: Events, *, trunk: bool, timing: TimeBase,
              measured_feet: bool = False) -> list[str]:
    """The analysis' quality warnings, most important first (logged at INFO)."""
    s0, s1 = prep.s0, prep.s1
    warnings = [w for w in [timing.note()] if w]
    warnings += warnings_for(metrics, steps, fps=float(series.fps))
    if not trunk:
        warnings.append("the clip shows the runner from the waist down: leg metrics are measured, trunk "
                        "lean is not, and centimetres come from the leg length alone (less precise)")
    if not steps:
        warnings.append("no valid steps were detected: no metric could be computed")
    if series.n_frames - (s1 - s0) > 0.05 * series.n_frames:
        warnings.append(f"analysed frames {s0}-{s1 - 1} ({series.t_s[s0]:.2f}-{series.t_s[s1 - 1]:.2f} s), "
                        f"the longest stretch with the runner tracked and running; "
                        f"{series.n_frames - (s1 - s0)} other frames skipped")
    if events.n_missed_contacts:
        warnings.append(f"{events.n_missed_contacts} contact(s) missed between detected ones (a gap of two "
                        "steps or more): the steps around them are not counted for cadence")
    if events.swap_frames:
        warnings.append(f"{len(events.swap_frames)} contact(s) given to the other foot than the pose model "
                        "labelled, so that steps alternate (the model swapped the far leg's labels)")
    if events.contacts and events.side_confidence < SIDE_CONFIDENCE_MIN:
        warnings.append("left and right feet could not be told apart with confidence (the evidence across "
                        "the clip disagrees): per-side values are withheld")
    warnings += flow_warnings(events, measured=measured_feet)
    n_fa = sum(1 for c in events.contacts if c.method == "fore-aft")
    if n_fa:
        warnings.append(f"{n_fa} of {len(events.contacts)} contacts timed from the foot's fore-aft extremes "
                        "only (foot height too noisy for the sub-frame fit): contact time is approximate")
    if prep.clean.n_swaps_fixed:
        warnings.append(f"repaired {prep.clean.n_swaps_fixed} left/right leg swap(s) "
                        f"({len(prep.clean.swapped_frames)} frames)")
    for w in warnings:
        log.info(w)
    return warnings
