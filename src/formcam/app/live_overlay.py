"""The Live tab's overlay on one frame: the skeleton, the near side's knee flexion and trunk lean,
and a contact marker on the foot that is on the ground (:class:`ContactMarker`).

Angles follow the report's conventions: knee flexion is 180° minus the hip-knee-ankle angle
(0° = straight leg); trunk lean is the mid-hip to mid-shoulder line's angle from vertical
(unsigned here: which way the runner faces is not decided on one frame).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.live.display import BONES

SIDES = {"left": (23, 25, 27), "right": (24, 26, 28)}
"""BlazePose hip, knee and ankle of each side."""
SKELETON_RGB = (255, 200, 0)
NEAR_RGB = (0, 230, 120)


Pt = NDArray[np.float64]
FEET = {"left": (29, 31), "right": (30, 32)}
"""BlazePose heel and foot index of each side."""
CONTACT_RGB = (60, 220, 60)


class ContactMarker:
    """Which foot is on the ground in a live stream, frame by frame (for the overlay only).

    A foot's lowest point (heel or toe, image y down) is on the ground when it lies within
    ``tol_leg`` leg lengths of that foot's floor: the 90th percentile of its lowest point's
    y over the last ``memory_s`` seconds (each foot stands on the floor for ~40 % of a
    stride; each has its own floor because the far foot lands higher in the image).
    Events and contact times come from the rolling analysis and the recording, not from
    this marker. Agreement with the true stance phases of the side phantom, frame by
    frame: 85 % per foot on its true keypoints, 82 / 86 % through MediaPipe full.
    """

    def __init__(self, *, memory_s: float = 1.5, tol_leg: float = 0.03) -> None:
        self._lows: dict[str, deque[tuple[float, float]]] = {s: deque() for s in FEET}
        self.memory_s, self.tol_leg = memory_s, tol_leg

    def on_ground(self, xy: Pt, t_s: float) -> dict[str, Pt]:
        """``{side: point}`` of the feet on the ground at time ``t_s`` (s) for keypoints ``xy (33, 2)``."""
        if xy.shape[0] < 33:
            return {}
        legs = [float(np.hypot(*(xy[h] - xy[a]))) for h, a in ((23, 27), (24, 28))]
        legs = [v for v in legs if np.isfinite(v)]
        leg = float(np.mean(legs)) if legs else float("nan")
        out: dict[str, Pt] = {}
        for side, idx in FEET.items():
            low, history = _lowest(xy, idx), self._lows[side]
            if low is None:
                continue
            history.append((t_s, float(low[1])))
            while history and history[0][0] < t_s - self.memory_s:
                history.popleft()
            floor = float(np.percentile([y for _, y in history], 90))
            if len(history) >= 5 and np.isfinite(leg) and floor - float(low[1]) <= self.tol_leg * leg:
                out[side] = low
        return out


def _lowest(xy: Pt, idx: tuple[int, ...]) -> Pt | None:
    pts = [xy[i] for i in idx if i < xy.shape[0] and np.isfinite(xy[i]).all()]
    return max(pts, key=lambda p: float(p[1])) if pts else None


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


def draw_overlay(rgb: NDArray[np.uint8], xy: Pt, score: Pt,
                 contacts: dict[str, Pt] | None = None) -> NDArray[np.uint8]:
    """A copy of ``rgb (H, W, 3)`` with the skeleton of ``xy (33, 2)`` pixels (NaN = missing),
    the near side's knee flexion and trunk lean written beside the joints, and a ring on each
    foot in ``contacts`` (from :meth:`ContactMarker.on_ground`)."""
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
    for foot_side, point in (contacts or {}).items():
        cv2.circle(img, _pt(point), 9 * u, CONTACT_RGB, 2 * u, cv2.LINE_AA)
        _label(cv2, img, f"contact {foot_side[0].upper()}", point + np.array([0.0, 14.0 * u]), u)
    return img


def _pt(p: NDArray[np.float64]) -> tuple[int, int]:
    return round(float(p[0])), round(float(p[1]))


def _label(cv2: Any, img: NDArray[np.uint8], text: str, at: NDArray[np.float64], u: int) -> None:
    x, y = _pt(at)
    org = (x + 8 * u, y)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.5 * u, (0, 0, 0), 3 * u, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.5 * u, (255, 255, 255), u, cv2.LINE_AA)
