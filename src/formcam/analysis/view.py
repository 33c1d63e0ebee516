"""Decide, once per clip, the camera view, the runner's direction and the setting.

All three decisions are medians/totals over the whole clip (never frame by
frame) and each can be forced by the caller; :class:`ViewDecision` records the
value, whether it was ``"auto"`` or ``"user"``, and the evidence numbers.

* **view** (``side`` | ``rear`` | ``front``): width of the shoulder and hip lines
  relative to the torso length (hip-mid to shoulder-mid). Seen from the side both
  lines are nearly points (ratio ~0-0.25, trunk rotation adds a little); from
  behind or in front they are wide (shoulders ~0.8, hip joint centres ~0.4 of the
  torso length). ``width_ratio`` = mean of the two medians; >= ``frontal_min``
  (0.35) means rear/front. Rear vs front: in a rear view the runner's left hip is
  on image-left (median x(left_hip) - x(right_hip) < 0), in a front view on
  image-right. (Keypoint visibility cannot tell them apart: BlazePose reports a
  visible nose from behind.)
* **direction**: side view: ``"right"`` or ``"left"`` (image direction the runner
  faces / travels), decided once per clip. Votes, strongest first: pelvis net
  travel (3, overground), knee bend direction (2, :func:`knee_bend_sign`: robust
  to label swaps and to BlazePose's mirrored foot orientation, which on one real
  clip pointed the toes backward), nose ahead of the ear midpoint (1), toes ahead
  of heels (1); medians over all frames. Rear view: ``"away"``;
  front view: ``"toward"``.
* **setting** (``treadmill`` | ``overground``): side view: net horizontal pelvis
  travel over the clip relative to the body length (shoulder-hip-knee-ankle);
  more than ``travel_min`` (0.75 body lengths) is overground. Rear/front view:
  the body length grows/shrinks by more than 15 % over the clip (runner
  approaching/receding) is overground. A camera panning with the runner looks
  like a treadmill, and keypoints alone cannot tell the two apart (it needs the
  background's motion, i.e. the video): pass ``setting`` explicitly in that case.
  The evidence numbers are recorded with every decision.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from formcam.analysis.scale import BODY_FRACTION, LEG_FRACTION
from formcam.errors import ConfigError
from formcam.series import PoseSeries

log = logging.getLogger(__name__)
Arr = NDArray[np.float64]

VIEWS = ("side", "rear", "front")
SETTINGS = ("treadmill", "overground")
DIRECTIONS = ("right", "left", "away", "toward")


@dataclass(frozen=True)
class Decision:
    """One decision: ``value``, ``source`` (``"auto"`` or ``"user"``) and evidence numbers."""

    value: str
    source: str
    evidence: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"value": self.value, "source": self.source, "evidence": dict(self.evidence)}


@dataclass(frozen=True)
class ViewDecision:
    """View, direction and setting of a clip.

    ``forward_sign`` is +1 when the runner faces/travels toward image-right (and,
    by convention, in rear/front views), -1 toward image-left.
    """

    view: Decision
    direction: Decision
    setting: Decision

    @property
    def forward_sign(self) -> int:
        return -1 if self.direction.value == "left" else 1

    def to_dict(self) -> dict[str, object]:
        return {"view": self.view.to_dict(), "direction": self.direction.to_dict(),
                "setting": self.setting.to_dict()}


def _pt(series: PoseSeries, name: str) -> Arr:
    return np.asarray(series.point(name), dtype=np.float64)


def _nanmedian(a: Arr) -> float | None:
    a = a[np.isfinite(a)]
    return float(np.median(a)) if a.size else None


def _opt(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def body_length_px(series: PoseSeries) -> Arr:
    """``(T,)`` per-frame shoulder-hip-knee-ankle length (px), mean of the two sides. In a
    clip without shoulders, the hip-knee-ankle length scaled up to that chain (Drillis &
    Contini fractions, :mod:`formcam.analysis.scale`)."""
    shoulders = bool(np.isfinite(_pt(series, "left_shoulder")).any()
                     or np.isfinite(_pt(series, "right_shoulder")).any())
    parts = ("shoulder", "hip", "knee", "ankle") if shoulders else ("hip", "knee", "ankle")
    per_side = []
    for s in ("left", "right"):
        chain = [_pt(series, f"{s}_{p}") for p in parts]
        per_side.append(sum(np.hypot(*(a - b).T) for a, b in itertools.pairwise(chain)))
    both = np.stack(per_side)
    n = np.isfinite(both).sum(axis=0)
    total = np.nansum(both, axis=0) * (1.0 if shoulders else BODY_FRACTION / LEG_FRACTION)
    return np.asarray(np.where(n > 0, total / np.maximum(n, 1), np.nan))


def _check(value: str | None, allowed: tuple[str, ...], what: str) -> None:
    if value is not None and value not in allowed:
        raise ConfigError(f"expected {what} in {allowed}, got {value!r}")


def classify_view(series: PoseSeries, *, frontal_min: float = 0.35) -> Decision:
    """Side / rear / front from shoulder and hip widths relative to torso length.

    Without shoulders (a clip framed from the waist down) the hip width is taken
    relative to the thigh (hip-knee) length instead (:data:`LEGS_ONLY_FRONTAL_MIN`)."""
    lh, rh = _pt(series, "left_hip"), _pt(series, "right_hip")
    ls, rs = _pt(series, "left_shoulder"), _pt(series, "right_shoulder")
    torso = np.hypot(*((ls + rs) / 2 - (lh + rh) / 2).T)
    torso = np.where(torso > 0, torso, np.nan)
    sw = _nanmedian(np.abs(ls[:, 0] - rs[:, 0]) / torso)
    hw = _nanmedian(np.abs(lh[:, 0] - rh[:, 0]) / torso)
    if sw is None:
        return _classify_legs_only(series)
    side_x = _nanmedian(np.concatenate([lh[:, 0] - rh[:, 0], ls[:, 0] - rs[:, 0]]))
    if hw is None or side_x is None:
        return Decision("side", "auto", {"shoulder_width_ratio": None, "hip_width_ratio": None})
    ratio = (sw + hw) / 2
    value = "side" if ratio < frontal_min else ("rear" if side_x < 0 else "front")
    return Decision(value, "auto", {"shoulder_width_ratio": _opt(sw), "hip_width_ratio": _opt(hw),
                                    "width_ratio": _opt(ratio), "frontal_min": frontal_min,
                                    "left_minus_right_x_px": _opt(side_x)})


LEGS_ONLY_FRONTAL_MIN = 0.25
"""Hip joint-centre width / thigh length above which a legs-only clip is a rear/front view:
midway between a side view (~0) and a rear/front view (~0.4: hip joint centres ~0.1 of
stature apart, thigh 0.245 of stature)."""


def _classify_legs_only(series: PoseSeries) -> Decision:
    """:func:`classify_view` from the hips and thighs alone (no shoulders in view)."""
    lh, rh = _pt(series, "left_hip"), _pt(series, "right_hip")
    thighs = [_nanmedian(np.hypot(*(_pt(series, f"{s}_knee") - _pt(series, f"{s}_hip")).T))
              for s in ("left", "right")]
    thigh = [v for v in thighs if v]
    hw = _nanmedian(np.abs(lh[:, 0] - rh[:, 0]) / np.mean(thigh)) if thigh else None
    side_x = _nanmedian(lh[:, 0] - rh[:, 0])
    if hw is None or side_x is None:
        return Decision("side", "auto", {"hip_width_to_thigh_ratio": None})
    value = "side" if hw < LEGS_ONLY_FRONTAL_MIN else ("rear" if side_x < 0 else "front")
    return Decision(value, "auto", {"hip_width_to_thigh_ratio": _opt(hw),
                                    "frontal_min": LEGS_ONLY_FRONTAL_MIN,
                                    "left_minus_right_x_px": _opt(side_x)})


def _travel(series: PoseSeries) -> tuple[float | None, float | None]:
    """(net pelvis travel in image x over the clip, px; median body length, px)."""
    hip = (_pt(series, "left_hip") + _pt(series, "right_hip")) / 2
    ok = np.isfinite(hip[:, 0])
    body = _nanmedian(body_length_px(series))
    if ok.sum() < 2:
        return None, body
    t, x = series.t_s[ok], hip[ok, 0]
    slope = np.polyfit(t, x, 1)[0]
    return float(slope * (t[-1] - t[0])), body


def classify_direction(series: PoseSeries, view: str, *, travel_px: float | None,
                       body_px: float | None) -> Decision:
    """Image direction the runner faces/travels (side view), else away/toward."""
    if view == "rear":
        return Decision("away", "auto", {})
    if view == "front":
        return Decision("toward", "auto", {})
    nose = _pt(series, "nose")[:, 0]
    ears = (_pt(series, "left_ear")[:, 0] + _pt(series, "right_ear")[:, 0]) / 2
    toes = np.concatenate([_pt(series, f"{s}_foot_index")[:, 0] - _pt(series, f"{s}_heel")[:, 0]
                           for s in ("left", "right")])
    nose_ahead = _nanmedian(nose - ears)
    toe_ahead = _nanmedian(toes)
    knee = knee_bend_sign(series)
    travel_bl = travel_px / body_px if travel_px is not None and body_px else None
    votes = 0.0
    if travel_bl is not None and abs(travel_bl) > 0.75:
        votes += 3.0 * np.sign(travel_bl)
    if knee is not None and abs(knee) > 0.2:
        votes += 2.0 * np.sign(knee)
    for v in (nose_ahead, toe_ahead):
        if v is not None:
            votes += float(np.sign(v))
    value = "left" if votes < 0 else "right"
    return Decision(value, "auto", {"travel_body_lengths": _opt(travel_bl), "knee_bend": _opt(knee),
                                    "nose_ahead_px": _opt(nose_ahead), "toes_ahead_px": _opt(toe_ahead),
                                    "votes": votes})


def knee_bend_sign(series: PoseSeries) -> float | None:
    """Median over frames and legs of the normalised cross product thigh x shank (image axes).

    The knee only flexes one way: the shank folds *behind* the thigh, so in a side
    view ``(knee - hip) x (ankle - knee)`` (x right, y down) is > 0 for a runner
    facing image-right and < 0 facing left, whatever the left/right labels say.
    Range -1..1 (sine of the knee flexion angle); None if never measurable.
    """
    vals = []
    for s in ("left", "right"):
        hip, knee, ank = (_pt(series, f"{s}_{p}") for p in ("hip", "knee", "ankle"))
        a, b = knee - hip, ank - knee
        norm = np.hypot(*a.T) * np.hypot(*b.T)
        vals.append((a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]) / np.where(norm > 0, norm, np.nan))
    return _nanmedian(np.concatenate(vals))


def classify_setting(series: PoseSeries, view: str, *, travel_px: float | None, body_px: float | None,
                     travel_min: float = 0.75) -> Decision:
    """Treadmill vs overground from pelvis travel (side) or body-size change (rear/front)."""
    if view == "side":
        travel_bl = abs(travel_px) / body_px if travel_px is not None and body_px else None
        value = "overground" if travel_bl is not None and travel_bl > travel_min else "treadmill"
        return Decision(value, "auto", {"travel_body_lengths": _opt(travel_bl), "travel_min": travel_min})
    body = body_length_px(series)
    ok = np.flatnonzero(np.isfinite(body))
    if ok.size < 10:
        return Decision("treadmill", "auto", {"size_ratio": None})
    n = max(ok.size // 5, 1)
    ratio = float(np.median(body[ok[-n:]]) / np.median(body[ok[:n]]))
    value = "overground" if abs(np.log(ratio)) > np.log(1.15) else "treadmill"
    return Decision(value, "auto", {"size_ratio": _opt(ratio)})


def decide_view(series: PoseSeries, *, view: str | None = None, direction: str | None = None,
                setting: str | None = None) -> ViewDecision:
    """Decide view, direction and setting; any given keyword overrides the automatic value.

    Raises:
        ConfigError: an override is not one of the allowed values.
    """
    _check(view, VIEWS, "view")
    _check(direction, DIRECTIONS, "direction")
    _check(setting, SETTINGS, "setting")
    auto_view = classify_view(series)
    v = Decision(view, "user", auto_view.evidence) if view else auto_view
    travel_px, body_px = _travel(series)
    auto_dir = classify_direction(series, v.value, travel_px=travel_px, body_px=body_px)
    d = Decision(direction, "user", auto_dir.evidence) if direction else auto_dir
    auto_set = classify_setting(series, v.value, travel_px=travel_px, body_px=body_px)
    s = Decision(setting, "user", auto_set.evidence) if setting else auto_set
    log.info("view=%s (%s) direction=%s (%s) setting=%s (%s)", v.value, v.source, d.value, d.source,
             s.value, s.source)
    return ViewDecision(view=v, direction=d, setting=s)
