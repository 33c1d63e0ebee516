"""Per-frame joint angles and positions from 2D keypoints (pure numpy, time on axis 0).

Frames of reference
-------------------
Image pixels have y pointing down. Every quantity here is computed in a
*body frame* so that a mirrored video gives the same numbers:

* ``u`` (forward, px) = ``forward_sign * x``, where ``forward_sign`` is +1 when
  the runner faces/travels toward image-right and -1 toward image-left
  (side view; see :mod:`formcam.analysis.view`);
* ``v`` (up, px) = ``-y`` (y-up, so angles against vertical are upright);
* ``w`` (lateral, px) = ``left_sign * x``: + toward the runner's *left*.
  ``left_sign`` is taken from the clip itself (median sign of left-hip x minus
  right-hip x), so it is -1 in a rear view and +1 in a front view.

Angles (degrees, wrapped to (-180, 180])
----------------------------------------
=========================  ===============================================  ====================
name                       definition                                       sign
=========================  ===============================================  ====================
trunk_lean_deg             hip-mid -> shoulder-mid vs vertical (u, v)       + forward
lateral_trunk_lean_deg     hip-mid -> shoulder-mid vs vertical (w, v)       + toward runner's left
pelvis_obliquity_deg       left hip -> right hip line vs horizontal         + left hip higher
thigh_angle_deg (T, 2)     hip -> knee vs downward vertical                 + knee ahead of hip
shank_angle_deg (T, 2)     knee -> ankle vs downward vertical               + ankle ahead of knee
knee_flexion_deg (T, 2)    thigh angle - shank angle                        0 straight, + flexed
foot_angle_deg (T, 2)      heel -> foot_index vs horizontal                 + toes up (heel first)
=========================  ===============================================  ====================

Bilateral arrays are ``(T, 2)`` with column 0 = left, 1 = right. Sagittal
angles only make sense in a side view and frontal ones in a rear/front view;
:mod:`formcam.analysis.metrics` gates them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from formcam.series import PoseSeries

Arr = NDArray[np.float64]
SIDES: tuple[str, str] = ("left", "right")


def wrap_deg(angle_deg: Arr) -> Arr:
    """Wrap angles (degrees) to (-180, 180]."""
    return np.asarray(180.0 - np.mod(180.0 - np.asarray(angle_deg, dtype=np.float64), 360.0))


def angle_from_vertical_deg(du: Arr, dv: Arr) -> Arr:
    """Angle (deg) of vector (du, dv) (y up) from *upward* vertical; + toward +u."""
    return wrap_deg(np.degrees(np.arctan2(du, dv)))


@dataclass(frozen=True)
class Kinematics:
    """Per-frame kinematics of one clip; see the module docstring for signs.

    Attributes:
        t_s: ``(T,)`` frame times, s.
        forward_sign: +1 runner faces image-right, -1 image-left.
        left_sign: +1 runner's left is image-right (front view), -1 (rear view).
        hip_mid_uv_px: ``(T, 2)`` hip midpoint (forward u, up v), px.
        hip_mid_w_px: ``(T,)`` hip midpoint lateral position, + toward runner's left, px.
        ankle_ahead_px: ``(T, 2)`` ankle u minus hip-mid u (+ ahead), px.
        heel_ahead_px: ``(T, 2)`` heel u minus hip-mid u (+ ahead), px: the overstride
            distance at initial contact (the heel is the point that lands in a heel or
            midfoot strike; the ankle centre sits ~5 cm further forward then).
        leg_length_px: straight hip-knee-ankle length (robust, see :func:`segment_length_px`).
    """

    t_s: Arr
    forward_sign: int
    left_sign: int
    trunk_lean_deg: Arr
    lateral_trunk_lean_deg: Arr
    pelvis_obliquity_deg: Arr
    thigh_angle_deg: Arr
    shank_angle_deg: Arr
    knee_flexion_deg: Arr
    foot_angle_deg: Arr
    hip_mid_uv_px: Arr
    hip_mid_w_px: Arr
    ankle_ahead_px: Arr
    leg_length_px: float
    heel_ahead_px: Arr | None = None


def _pt(series: PoseSeries, name: str) -> Arr:
    return np.asarray(series.point(name), dtype=np.float64)


def _mid(series: PoseSeries, a: str, b: str) -> Arr:
    return np.asarray((_pt(series, a) + _pt(series, b)) / 2.0)


def lateral_sign(series: PoseSeries) -> int:
    """+1 if the runner's left hip is on image-right (front view), else -1 (rear)."""
    dx = _pt(series, "left_hip")[:, 0] - _pt(series, "right_hip")[:, 0]
    med = np.nanmedian(dx) if np.isfinite(dx).any() else -1.0
    return 1 if med > 0 else -1


def segment_length_px(series: PoseSeries, a: str, b: str, *, percentile: float = 90.0) -> float:
    """Robust straight length (px) of segment a-b: a high percentile over frames.

    A high percentile rather than the median: in rear/front views segments are
    foreshortened whenever they tilt in depth, and every segment passes near the
    image plane once per stride. NaN if the segment is never seen.
    """
    d = _pt(series, a) - _pt(series, b)
    n = np.hypot(d[:, 0], d[:, 1])
    n = n[np.isfinite(n)]
    return float(np.percentile(n, percentile)) if n.size else float("nan")


def leg_length_px(series: PoseSeries) -> float:
    """Hip-knee plus knee-ankle length (px), mean of both sides (NaN-aware)."""
    sides = [segment_length_px(series, f"{s}_hip", f"{s}_knee")
             + segment_length_px(series, f"{s}_knee", f"{s}_ankle") for s in SIDES]
    vals = [v for v in sides if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def compute_kinematics(series: PoseSeries, *, forward_sign: int) -> Kinematics:
    """Per-frame angles and positions of ``series`` (see module docstring).

    Args:
        series: cleaned pose series (pixels, y down).
        forward_sign: +1 if the runner faces/travels toward image-right, -1 if left.
    """
    if forward_sign not in (1, -1):
        raise ValueError(f"expected forward_sign +1 or -1, got {forward_sign}")
    lsign = lateral_sign(series)
    hip = _mid(series, "left_hip", "right_hip")
    sho = _mid(series, "left_shoulder", "right_shoulder")
    fu = float(forward_sign)
    trunk = sho - hip
    lh, rh = _pt(series, "left_hip"), _pt(series, "right_hip")
    obliq = np.degrees(np.arctan2(-(lh[:, 1] - rh[:, 1]), np.abs(lh[:, 0] - rh[:, 0])))
    thigh, shank, foot, ahead, heel_ahead = [], [], [], [], []
    for s in SIDES:
        h, k, a = _pt(series, f"{s}_hip"), _pt(series, f"{s}_knee"), _pt(series, f"{s}_ankle")
        heel, toe = _pt(series, f"{s}_heel"), _pt(series, f"{s}_foot_index")
        thigh.append(angle_from_vertical_deg(fu * (k[:, 0] - h[:, 0]), (k[:, 1] - h[:, 1])))
        shank.append(angle_from_vertical_deg(fu * (a[:, 0] - k[:, 0]), (a[:, 1] - k[:, 1])))
        dx, dy = fu * (toe[:, 0] - heel[:, 0]), -(toe[:, 1] - heel[:, 1])
        foot.append(wrap_deg(np.degrees(np.arctan2(dy, dx))))
        ahead.append(fu * (a[:, 0] - hip[:, 0]))
        heel_ahead.append(fu * (heel[:, 0] - hip[:, 0]))
    thigh_a, shank_a = np.column_stack(thigh), np.column_stack(shank)
    return Kinematics(
        t_s=np.asarray(series.t_s, dtype=np.float64), forward_sign=forward_sign, left_sign=lsign,
        trunk_lean_deg=angle_from_vertical_deg(fu * trunk[:, 0], -trunk[:, 1]),
        lateral_trunk_lean_deg=angle_from_vertical_deg(lsign * trunk[:, 0], -trunk[:, 1]),
        pelvis_obliquity_deg=wrap_deg(obliq),
        thigh_angle_deg=thigh_a, shank_angle_deg=shank_a,
        knee_flexion_deg=wrap_deg(thigh_a - shank_a), foot_angle_deg=np.column_stack(foot),
        hip_mid_uv_px=np.column_stack([fu * hip[:, 0], -hip[:, 1]]),
        hip_mid_w_px=np.asarray(lsign * hip[:, 0], dtype=np.float64),
        ankle_ahead_px=np.column_stack(ahead), leg_length_px=leg_length_px(series),
        heel_ahead_px=np.column_stack(heel_ahead),
    )
