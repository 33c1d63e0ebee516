"""Left/right comparison from two side views: each leg measured where it is the near leg.

From one side view a pose model sees the near leg and the one behind it differently, so a
single side view's report withholds the two legs' values of :data:`LEG_METRICS` (see
``formcam.analysis.summary.NEAR_FAR_METRICS``). Clinics film each side instead; this module
takes the two reports (``report.json`` of a clip filmed from the runner's left and one filmed
from the right, same running condition) and compares the **left leg from the left-side clip**
with the **right leg from the right-side clip**: each value comes from the near leg, so the
near/far bias is the same on both sides and cancels in their difference. A foot's cadence is
60 over its mean step time (the time from the other foot's contact to its own), which pairs a
far contact with a near one in both clips alike.

Which leg is near: the side the runner faces (the report's ``direction``): filmed from the
runner's right, a runner moving forward faces image-right (a phone's rear camera does not
mirror). A difference counts as **a difference** only above the metric's smallest detectable
difference (:data:`formcam.app.compare.SDD`), cadence above 3 % (the issue's bar for an even
runner), by more than twice its standard error from the steps' scatter (:data:`UNCLEAR` when over
the limit by less; :data:`SCATTERED` when that error is itself over the limit); each leg needs
:data:`MIN_STEPS` steps. The value
quoted for both legs is the mean of the two clips' own values: the near leg's readings share a bias
that only their difference cancels.

Measured on the symmetric sample runner rendered from each side (8 s), through the pose model:
right minus left cadence +3.7 steps/min (2.2 %; one side view read 7 %) +- 9.6 (2 SE), knee
flexion at contact -2.6 +- 5.0 deg (SDD 3.8), hip extension +1.7, foot strike angle +0.5 +- 0.7,
overstride -0.8 cm, contact time +5 ms; the near legs read knee flexion 10.2 and 7.6 deg for a
true 16, the clips' values 12.5 and 13.6. The bias is gone, the steps' scatter stays: each
contact is timed to about +-0.8 frame, so cadence needs ~30 steps a leg to resolve 3 %.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from formcam.analysis import kept_step_times_s
from formcam.app.compare import SDD
from formcam.errors import InputError

LEG_METRICS: tuple[str, ...] = ("cadence_spm", "contact_time_ms", "overstride_cm", "overstride_ratio",
                                "shank_angle_ic_deg", "knee_flexion_ic_deg", "hip_extension_deg",
                                "foot_strike_angle_deg", "vertical_oscillation_cm")
"""Per-step side-view metrics compared leg by leg."""
MIN_STEPS = 3
CADENCE_SDD_FRACTION = 0.03
"""Cadence difference (share of the mean) below which the legs count as even."""
SAME_RUN_FRACTION = 0.03
"""The two clips' cadences may differ by this share before the comparison warns that the running
condition (speed, fatigue) probably changed between them."""
LIMITS: Mapping[str, float] = MappingProxyType({k: v.value for k, v in SDD.items()})

DIFFERS = "differs"
EVEN = "within measurement noise"
NO_SDD = "no SDD on file"
TOO_FEW = f"fewer than {MIN_STEPS} steps on a leg"
UNCLEAR = "not clear: over the limit by less than its scatter"
"""Verdict when the difference is over the limit but not by twice its standard error (as a cue
past its level by less than the SDD is no clear finding)."""
SCATTERED = "steps too scattered to tell"
"""Verdict when twice the difference's standard error exceeds the limit: neither "differs" nor
"within measurement noise" can be said (film longer). On the symmetric sample runner's 6 s clips the
near legs' knee flexion at contact scattered 3-4 deg step to step (7 and 6 steps): R - L read
+0.8 in one run and over the 3.8 deg SDD in another of the same clips."""


@dataclass(frozen=True)
class LegRow:
    """One metric: the left leg's reading (from the left-side clip, where it is near), the right
    leg's (right-side clip), and ``value``: the mean of the two clips' own values for both legs.

    The near leg's readings carry the pose model's near-leg bias (on the symmetric phantom the
    near leg read knee flexion at contact 8-10 deg for a true 16), the same in both clips, so
    their difference is the measurement here; the absolute value to quote is ``value``.
    """

    name: str
    left: float | None
    right: float | None
    n_left: int
    n_right: int
    limit: float | None
    verdict: str
    value: float | None = None
    se: float | None = None
    """Standard error of ``right - left`` from the steps' scatter (robust)."""

    @property
    def difference(self) -> float | None:
        """``right - left`` in the metric's unit (None when a leg has no value)."""
        return None if self.left is None or self.right is None else self.right - self.left


def load(path: str | Path) -> dict[str, Any]:
    """A ``report.json`` (or the folder holding one) as a dict.

    Raises:
        InputError: missing, not JSON, or not a formcam report.
    """
    p = Path(path)
    p = p / "report.json" if p.is_dir() else p
    try:
        report = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such report (expected a report.json or the folder formcam "
                         f"wrote)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a formcam report ({exc.__class__.__name__})") from None
    if not isinstance(report, dict) or not isinstance(report.get("steps"), list):
        raise InputError(f"{path}: not a formcam report (expected 'steps' and 'metrics')")
    return report


def near_leg(report: dict[str, Any], name: str) -> str:
    """The leg nearer the camera in a side-view report: the side the runner faces.

    Raises:
        InputError: not a side view, or no direction.
    """
    if report.get("view") != "side":
        raise InputError(f"{name}: expected a side view, got {report.get('view')!r}")
    direction = report.get("direction")
    if direction not in ("left", "right"):
        raise InputError(f"{name}: expected the runner's direction (left or right), got {direction!r}")
    return str(direction)


def _robust_sd(x: np.ndarray) -> float:
    """1.4826 MAD: the SD of normal data, unmoved by a stray step."""
    return 1.4826 * float(np.median(np.abs(x - np.median(x))))


def _leg_value(name: str, vals: list[float]) -> tuple[float | None, float | None]:
    """A leg's value (median; for cadence 60 over the mean step time of the steps within 15 % of
    the median, :func:`formcam.analysis.kept_step_times_s`) and its standard error from the
    steps' robust spread (x 1.25 for a median); None, None without steps."""
    if not vals:
        return None, None
    if name == "cadence_spm":
        kept = kept_step_times_s(vals)
        kept = kept if kept.size else 60.0 / np.asarray(vals, dtype=float)
        mean_t = float(kept.mean())
        return 60.0 / mean_t, 60.0 / mean_t**2 * _robust_sd(kept) / math.sqrt(kept.size)
    x = np.asarray(vals, dtype=float)
    return float(np.median(x)), 1.25 * _robust_sd(x) / math.sqrt(x.size)


def _row(name: str, left: list[float], right: list[float], value: float | None) -> LegRow:
    (lv, l_se), (rv, r_se) = _leg_value(name, left), _leg_value(name, right)
    limit = LIMITS.get(name)
    if lv is not None and rv is not None and name == "cadence_spm":
        limit = CADENCE_SDD_FRACTION * 0.5 * (lv + rv)
    se = None if l_se is None or r_se is None else math.hypot(l_se, r_se)
    if min(len(left), len(right)) < MIN_STEPS or lv is None or rv is None or se is None:
        verdict = TOO_FEW
    elif limit is None:
        verdict = NO_SDD
    elif 2.0 * se > limit:
        verdict = SCATTERED
    elif abs(rv - lv) - 2.0 * se > limit:
        verdict = DIFFERS
    elif abs(rv - lv) > limit:
        verdict = UNCLEAR
    else:
        verdict = EVEN
    return LegRow(name, lv, rv, len(left), len(right), limit, verdict, value, se)


def compare_sides(a: dict[str, Any], b: dict[str, Any], *, names: tuple[str, str] = ("A", "B")
                  ) -> tuple[list[LegRow], list[str]]:
    """Rows for :data:`LEG_METRICS` and warnings, from two side-view reports filmed from the
    runner's two sides (in either order).

    Raises:
        InputError: a report is not a side view, or both show the same side.
    """
    near = {near_leg(a, names[0]): a, near_leg(b, names[1]): b}
    if len(near) < 2:
        raise InputError(f"both reports show the runner's {near_leg(a, names[0])} side: film the other "
                         f"side too (the runner facing the other way in the picture)")
    rows = []
    for name in LEG_METRICS:
        vals = {leg: [float(s[name]) for s in near[leg]["steps"] if s.get("side") == leg
                      and isinstance(s.get(name), int | float) and math.isfinite(s[name])]
                for leg in ("left", "right")}
        clip = [((near[leg].get("metrics") or {}).get(name) or {}).get("value") for leg in ("left", "right")]
        both = [float(v) for v in clip if isinstance(v, int | float) and math.isfinite(v)]
        value = sum(both) / 2 if len(both) == 2 else None
        rows.append(_row(name, vals["left"], vals["right"], value))
    return rows, _warnings(near["left"], near["right"])


def _warnings(left: dict[str, Any], right: dict[str, Any]) -> list[str]:
    out = []
    got = [((r.get("metrics") or {}).get("cadence_spm") or {}).get("value") for r in (left, right)]
    cad = [float(c) for c in got if isinstance(c, int | float)]
    if len(cad) == 2 and abs(cad[0] - cad[1]) > SAME_RUN_FRACTION * 0.5 * (cad[0] + cad[1]):
        out.append(f"the two clips' cadences differ ({cad[0]:.1f} and {cad[1]:.1f} steps/min): the running "
                   f"speed or condition probably changed between them, so leg differences may be that change")
    sha = [(r.get("input") or {}).get("sha256") for r in (left, right)]
    if sha[0] and sha[0] == sha[1]:
        out.append("both reports come from the same video file")
    return out


def format_rows(rows: list[LegRow]) -> str:
    """A plain-text table: metric, both legs (the clips' values), right - left, limit, verdict."""
    def num(x: float | None) -> str:
        return "–" if x is None else f"{x:.1f}" if abs(x) >= 1 else f"{x:.2f}"

    lines = [f"{'metric (unit in the name)':28} {'both':>7} {'R - L':>7} {'+-2 SE':>7} {'limit':>6}  "
             f"verdict (steps L / R)"]
    for r in rows:
        two_se = None if r.se is None else 2.0 * r.se
        lines.append(f"{r.name:28} {num(r.value):>7} {num(r.difference):>7} {num(two_se):>7} "
                     f"{num(r.limit):>6}  {r.verdict} ({r.n_left} / {r.n_right})")
    return "\n".join(lines)


def to_json(rows: list[LegRow], warnings: list[str]) -> dict[str, Any]:
    """A JSON-able record of the comparison."""
    return {"format": "formcam-two-sides/1",
            "metrics": {r.name: {"value": r.value, "difference_right_minus_left": r.difference,
                                 "standard_error": r.se, "limit": r.limit, "verdict": r.verdict,
                                 "left_near_reading": r.left,
                                 "right_near_reading": r.right, "n_left": r.n_left, "n_right": r.n_right}
                        for r in rows},
            "warnings": warnings}
