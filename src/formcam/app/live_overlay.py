"""The Live tab's overlay on one frame: the skeleton and the near side's knee flexion and trunk lean.

Angles follow the report's conventions: knee flexion is 180° minus the hip-knee-ankle angle
(0° = straight leg); trunk lean is the mid-hip to mid-shoulder line's angle from vertical
(unsigned here: which way the runner faces is not decided on one frame).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.live.display import BONES

SIDES = {"left": (23, 25, 27), "right": (24, 26, 28)}
"""BlazePose hip, knee and ankle of each side."""
SKELETON_RGB = (255, 200, 0)
NEAR_RGB = (0, 230, 120)


Pt = NDArray[np.float64]


def knee_flexion_deg(hip: Pt, knee: Pt, ankle: Pt) -> float:
    """180° minus the angle at ``knee`` between hip and ankle (pixels ``(2,)``); NaN if degenerate."""
    a, b = hip - knee, ankle - knee
    na, nb = float(np.hypot(*a)), float(np.hypot(*b))
    if na == 0 or nb == 0 or not np.isfinite(na * nb):
        return float("nan")
    cos = float(np.clip(np.dot(a, b) / (na * nb), -1.0, 1.0))
    return 180.0 - float(np.degrees(np.arccos(cos)))


def trunk_lean_deg(xy: NDArray[np.float64]) -> float:
    """Unsigned angle of mid-hip to mid-shoulder from image vertical (degrees); NaN if missing."""
    shoulder, hip = xy[[11, 12]].mean(axis=0), xy[[23, 24]].mean(axis=0)
    d = shoulder - hip
    return float(np.degrees(np.arctan2(abs(d[0]), -d[1]))) if np.isfinite(d).all() else float("nan")


def near_side(score: NDArray[np.float64]) -> str:
    """The side whose hip, knee and ankle the model is surer of (the one facing the camera)."""
    return max(SIDES, key=lambda s: float(np.nansum(score[list(SIDES[s])])))


def draw_overlay(rgb: NDArray[np.uint8], xy: Pt, score: Pt) -> NDArray[np.uint8]:
    """A copy of ``rgb (H, W, 3)`` with the skeleton of ``xy (33, 2)`` pixels (NaN = missing) and
    the near side's knee flexion and trunk lean written beside the joints."""
    import cv2

    img = np.ascontiguousarray(rgb).copy()
    if xy.shape[0] < 33 or not np.isfinite(xy[[23, 24]]).all():
        return img
    u = max(1, round(img.shape[0] / 360))
    for a, b in BONES:
        if np.isfinite(xy[[a, b]]).all():
            cv2.line(img, _pt(xy[a]), _pt(xy[b]), SKELETON_RGB, 2 * u, cv2.LINE_AA)
    side = near_side(score)
    hip, knee, ankle = (xy[i] for i in SIDES[side])
    if np.isfinite(np.stack([hip, knee, ankle])).all():
        cv2.line(img, _pt(hip), _pt(knee), NEAR_RGB, 3 * u, cv2.LINE_AA)
        cv2.line(img, _pt(knee), _pt(ankle), NEAR_RGB, 3 * u, cv2.LINE_AA)
        _label(cv2, img, f"knee {knee_flexion_deg(hip, knee, ankle):.0f}", knee, u)
    lean = trunk_lean_deg(xy)
    if np.isfinite(lean):
        _label(cv2, img, f"trunk {lean:.0f}", xy[[11, 12]].mean(axis=0), u)
    return img


def _pt(p: NDArray[np.float64]) -> tuple[int, int]:
    return round(float(p[0])), round(float(p[1]))


def _label(cv2: Any, img: NDArray[np.uint8], text: str, at: NDArray[np.float64], u: int) -> None:
    x, y = _pt(at)
    org = (x + 8 * u, y)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.5 * u, (0, 0, 0), 3 * u, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.5 * u, (255, 255, 255), u, cv2.LINE_AA)
