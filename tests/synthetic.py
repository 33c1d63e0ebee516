"""Synthetic runner with analytic joint trajectories and exact ground truth.

The runner is built in 3D (cm; X forward, Y up, Z toward the runner's left)
per frame and projected orthographically onto an image (pixels, y down):

* segment lengths from stature with Drillis & Contini fractions
  (hip 0.530 H, knee 0.285 H, ankle 0.039 H, shoulder 0.818 H, foot 0.152 H);
* pelvis: constant speed ``v`` forward, vertically free fall in flight and a
  spring arc in stance (:func:`formcam.phantom.bounce.pelvis_bounce_m`; period =
  step, lowest at each midstance, peak-to-peak = ``vertical_oscillation_cm``),
  lateral sinusoid (period = stride, toward the stance side at its midstance,
  peak-to-peak = ``pelvic_sway_cm``), obliquity ``pelvic_drop_deg * cos(.)``
  (stance-side hip higher at its midstance);
* stance foot: a rigid heel/ankle/toe triangle pinned to the ground from IC to
  TO (heel rocker from ``foot_strike_angle_deg`` to flat, flat, toe rocker);
  the knee comes from 2-link inverse kinematics in the sagittal plane, so the
  projected thigh and shank keep their lengths exactly. The pelvis height is
  chosen so the knee flexion at IC is exactly ``knee_flexion_ic_deg`` with the
  ankle ``overstride_cm`` ahead of the hip midpoint (the *truth* ``overstride_cm``
  is the heel's distance ahead at IC, formcam's definition and the phantom's,
  a few cm less); the speed is chosen so the
  thigh is ``hip_extension_deg`` behind vertical at TO;
* swing: cubic Hermite ankle path relative to the hip, landing with vertical
  speed ``landing_speed_m_s``; the lowest foot point is above the floor
  strictly between TO and IC, so IC and TO are exact by construction;
* treadmill = the same motion with ``v * t`` subtracted from X (belt).

Truth values are evaluated on the continuous model (not on frames).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import CubicHermiteSpline

from formcam.phantom.bounce import pelvis_bounce_m
from formcam.phantom.swing import SETTLE_TIME_S
from formcam.series import BLAZEPOSE_KEYPOINTS, PoseSeries

Arr = NDArray[np.float64]

HIP_F, KNEE_F, ANKLE_F, SHOULDER_F, FOOT_F = 0.530, 0.285, 0.039, 0.818, 0.152
HIP_WIDTH_F, SHOULDER_WIDTH_F = 0.11, 0.23
UPPER_ARM_F, FOREARM_F = 0.186, 0.146


@dataclass(frozen=True)
class RunnerParams:
    cadence_spm: float = 170.0
    contact_time_ms: float = 250.0
    trunk_lean_deg: float = 8.0
    overstride_cm: float = 10.0
    knee_flexion_ic_deg: float = 20.0
    hip_extension_deg: float = 15.0
    vertical_oscillation_cm: float = 8.0
    pelvic_drop_deg: float = 5.0
    pelvic_sway_cm: float = 4.0
    lateral_trunk_lean_deg: float = 3.0
    foot_strike_angle_deg: float = 12.0
    height_cm: float = 170.0
    fps: float = 120.0
    duration_s: float = 5.0
    view: str = "side"            # side | rear | front
    facing: str = "right"         # side view: right | left
    setting: str = "treadmill"    # treadmill | overground
    px_per_cm: float = 3.0
    landing_speed_m_s: float = 0.5
    lift_speed_m_s: float = 1.0
    toe_off_plantar_deg: float = 30.0
    first_ic_s: float = 0.1
    score: float = 0.9


@dataclass(frozen=True)
class _Body:
    l1: float
    l2: float
    ha: float   # ankle height above the sole
    ah: float   # heel behind the ankle
    at: float   # toe ahead of the ankle
    w: float    # hip joint-centre width
    trunk: float


def _rot(v: Arr, ang: Arr | float) -> Arr:
    """Rotate 2D vectors ``v`` (..., 2) counter-clockwise by ``ang`` radians."""
    c, s = np.cos(ang), np.sin(ang)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], axis=-1)


def _ik(hip: Arr, ankle: Arr, b: _Body) -> tuple[Arr, Arr]:
    """Knee (..., 2) in front of the hip-ankle line; returns (knee, thigh angle rad)."""
    d = ankle - hip
    dist = np.hypot(d[..., 0], d[..., 1])
    if np.any(dist > b.l1 + b.l2 + 1e-9):
        raise ValueError("leg overstretched: infeasible parameters")
    cos_g = (b.l1**2 + dist**2 - b.l2**2) / (2 * b.l1 * dist)
    thigh = np.arctan2(d[..., 0], -d[..., 1]) + np.arccos(np.clip(cos_g, -1, 1))
    knee = hip + b.l1 * np.stack([np.sin(thigh), -np.cos(thigh)], axis=-1)
    return knee, thigh


class _Model:
    """Continuous-time model of one runner (ground frame, cm, s)."""

    def __init__(self, p: RunnerParams) -> None:
        h = p.height_cm
        self.p = p
        self.b = _Body(l1=(HIP_F - KNEE_F) * h, l2=(KNEE_F - ANKLE_F) * h, ha=ANKLE_F * h,
                       ah=0.25 * FOOT_F * h, at=0.75 * FOOT_F * h, w=HIP_WIDTH_F * h,
                       trunk=(SHOULDER_F - HIP_F) * h)
        self.t_step = 60.0 / p.cadence_spm
        self.t_stride = 2 * self.t_step
        self.tc = p.contact_time_ms / 1000.0
        self.amp = p.vertical_oscillation_cm / 2
        self.t1 = 0.15 * self.tc
        self.t_ho = 0.55 * self.tc
        self.alpha = np.radians(p.foot_strike_angle_deg)
        self.beta = np.radians(p.toe_off_plantar_deg)
        self._solve_stance()
        self._build_swing()

    # --- pelvis (phase tau = time since left IC) -------------------------------------
    def _cos_step(self, tau: Arr) -> Arr:
        return np.cos(2 * np.pi * (tau - self.tc / 2) / self.t_step)

    def _cos_stride(self, tau: Arr) -> Arr:
        return np.cos(2 * np.pi * (tau - self.tc / 2) / self.t_stride)

    def pelvis_y(self, tau: Arr) -> Arr:
        """Free fall in flight, a spring in stance (:mod:`formcam.phantom.bounce`)."""
        bounce_m = pelvis_bounce_m(tau, step_s=self.t_step, contact_s=self.tc,
                                   oscillation_m=self.p.vertical_oscillation_cm / 100.0)
        return self.h0 + 100.0 * bounce_m  # cm

    def obliquity(self, tau: Arr) -> Arr:
        """+ = left hip higher (rad)."""
        return np.radians(self.p.pelvic_drop_deg) * self._cos_stride(tau)

    def hip_y(self, tau: Arr, side: int) -> Arr:
        """side +1 = left, -1 = right."""
        return self.pelvis_y(tau) + side * self.b.w / 2 * np.sin(self.obliquity(tau))

    # --- stance foot (time since this foot's IC, origin at the heel contact) -------------
    def foot_stance(self, s: Arr) -> tuple[Arr, Arr]:
        """Ankle (.., 2) relative to the heel contact point and foot angle (rad)."""
        b = self.b
        ank_from_heel = np.array([b.ah, b.ha])
        ank_from_toe = np.array([-b.at, b.ha])
        toe_flat = np.array([b.ah + b.at, 0.0])
        phi = np.zeros_like(s)
        ank = np.zeros((*s.shape, 2))
        p1 = s < self.t1
        phi[p1] = self.alpha * np.cos(np.pi * s[p1] / (2 * self.t1)) ** 2
        if self.alpha >= 0:
            ank[p1] = _rot(ank_from_heel, phi[p1])
        else:
            ank[p1] = toe_flat + _rot(ank_from_toe, phi[p1])
        p2 = (s >= self.t1) & (s < self.t_ho)
        ank[p2] = ank_from_heel
        p3 = s >= self.t_ho
        u = (s[p3] - self.t_ho) / (self.tc - self.t_ho)
        phi[p3] = -self.beta * (1 - np.cos(np.pi * u)) / 2
        ank[p3] = toe_flat + _rot(ank_from_toe, phi[p3])
        return ank, phi

    def _solve_stance(self) -> None:
        p, b = self.p, self.b
        kappa = np.radians(p.knee_flexion_ic_deg)
        dist = np.sqrt(b.l1**2 + b.l2**2 + 2 * b.l1 * b.l2 * np.cos(kappa))
        d = p.overstride_cm
        ank0, _ = self.foot_stance(np.array([0.0]))
        dy = np.sqrt(dist**2 - d**2)
        self.h0 = 0.0
        off = self.hip_y(np.array([0.0]), 1)[0]  # hip height with h0 = 0
        self.h0 = ank0[0, 1] + dy - off
        self.heel_x = d - ank0[0, 0]  # heel contact X relative to the hip X at IC
        ank_to, _ = self.foot_stance(np.array([self.tc]))
        ank_to_x = self.heel_x + ank_to[0, 0] + settle_cm(np.array([self.tc]))[0]
        hy = self.hip_y(np.array([self.tc]), 1)[0]
        target = -np.radians(p.hip_extension_deg)
        lo, hi = ank_to_x - b.l1, ank_to_x + np.sqrt(max((b.l1 + b.l2) ** 2 - (hy - ank_to[0, 1]) ** 2, 0))
        for _ in range(80):
            mid = (lo + hi) / 2
            _, th = _ik(np.array([mid, hy]), np.array([ank_to_x, ank_to[0, 1]]), b)
            lo, hi = (mid, hi) if th > target else (lo, mid)
        self.v = lo / self.tc  # cm/s

    def _build_swing(self) -> None:
        b, tc, ts = self.b, self.tc, self.t_stride
        sw = ts - tc
        r_to = self.stance_rel(np.array([tc]))[0][0]
        r_ic = self.stance_rel(np.array([0.0]))[0][0]
        lift = self.p.lift_speed_m_s * 100
        land = self.p.landing_speed_m_s * 100
        d_to = np.array([-self.v, lift - self._hip_vy(tc)])
        d_ic = np.array([-self.v + SETTLE_CM / SETTLE_TIME_S, -land - self._hip_vy(ts)])
        leg = b.l1 + b.l2
        # last ``t_fp`` s before IC: the foot falls at constant ``land`` cm/s (ground frame)
        t_fp = 0.12 * sw
        hy_ic, hy_fp = self.hip_y(np.array([ts]), 1)[0], self.hip_y(np.array([ts - t_fp]), 1)[0]
        r_fp = np.array([r_ic[0] + self.v * t_fp / 2, r_ic[1] + hy_ic + land * t_fp - hy_fp])
        d_fp = np.array([0.0, -land - self._hip_vy(ts - t_fp)])
        r_mid = np.array([-0.10 * leg, -0.63 * leg])
        knots = np.array([tc, tc + 0.45 * sw, ts - t_fp, ts])
        pts = np.stack([r_to, r_mid, r_fp, r_ic])
        vel = np.stack([d_to, (r_fp - r_to) / (knots[2] - knots[0]), d_fp, d_ic])
        self.swing = CubicHermiteSpline(knots, pts, vel, axis=0)

    def _hip_vy(self, tau: float) -> float:
        e = 1e-6
        y = self.hip_y(np.array([tau - e, tau + e]), 1)
        return float((y[1] - y[0]) / (2 * e))

    def stance_rel(self, s: Arr) -> tuple[Arr, Arr]:
        """Ankle relative to the stance hip, and foot angle, during stance."""
        ank, phi = self.foot_stance(s)
        rel = np.stack([self.heel_x + ank[..., 0] - self.v * s + settle_cm(s),
                        ank[..., 1] - self.hip_y(s, 1)], axis=-1)
        return rel, phi

    def leg_rel(self, s: Arr) -> tuple[Arr, Arr]:
        """Ankle relative to its hip and foot angle, ``s`` = time since this foot's IC."""
        s = np.mod(s, self.t_stride)
        rel, phi = self.stance_rel(np.minimum(s, self.tc))
        sw = s > self.tc
        rel[sw] = self.swing(s[sw])
        u = (s[sw] - self.tc) / (self.t_stride - self.tc)
        smooth = u * u * (3 - 2 * u)
        phi[sw] = -self.beta + (self.alpha + self.beta) * smooth
        return rel, phi


SETTLE_CM = 1.5  # ~ the phantom's SETTLE_SPEED_FRACTION x 3 m/s x SETTLE_TIME_S


def settle_cm(s: Arr) -> Arr:
    """The shoe's slide over the ground after contact (cm, forward), ``s`` s after IC: real shoes
    (mocap markers) still move at ~0.4 of the belt speed at the force plate's contact and come
    to rest over ~30 ms (:mod:`formcam.phantom.gait` settles the same way)."""
    return np.asarray(SETTLE_CM * (1.0 - np.exp(-np.maximum(s, 0.0) / SETTLE_TIME_S)), dtype=np.float64)


def _foot_points(ank: Arr, phi: Arr, b: _Body) -> tuple[Arr, Arr]:
    heel = ank + _rot(np.array([-b.ah, -b.ha]), phi)
    toe = ank + _rot(np.array([b.at, -b.ha]), phi)
    return heel, toe


def _skeleton(m: _Model, t: Arr) -> dict[str, Arr]:
    """3D keypoints (T, 3) in the ground frame (overground), cm."""
    p, b = m.p, m.b
    tau = t - p.first_ic_s
    n = t.shape[0]
    pel = np.stack([m.v * tau, m.pelvis_y(tau), p.pelvic_sway_cm / 2 * m._cos_stride(tau)], axis=-1)
    obl = m.obliquity(tau)
    pts: dict[str, Arr] = {}
    for side, name, shift in ((1, "left", 0.0), (-1, "right", m.t_step)):
        hip = pel + side * b.w / 2 * np.stack([np.zeros(n), np.sin(obl), np.cos(obl)], axis=-1)
        rel, phi = m.leg_rel(tau - shift)
        ank2 = hip[:, :2] + rel
        knee2, _ = _ik(hip[:, :2], ank2, b)
        heel2, toe2 = _foot_points(ank2, phi, b)
        zf = np.full(n, side * b.w / 2)
        pts[f"{name}_hip"] = hip
        pts[f"{name}_knee"] = np.column_stack([knee2, (hip[:, 2] + zf) / 2])
        pts[f"{name}_ankle"] = np.column_stack([ank2, zf])
        pts[f"{name}_heel"] = np.column_stack([heel2, zf])
        pts[f"{name}_foot_index"] = np.column_stack([toe2, zf])
    lean_s = np.radians(p.trunk_lean_deg)
    lean_l = np.radians(p.lateral_trunk_lean_deg) * m._cos_stride(tau)
    tvec = b.trunk * np.cos(lean_s) * np.stack([np.full(n, np.tan(lean_s)), np.ones(n), np.tan(lean_l)], -1)
    smid = pel + tvec
    up = tvec / np.linalg.norm(tvec, axis=1, keepdims=True)
    h = p.height_cm
    head = smid + 0.12 * h * up
    _head_points(pts, head, h)
    arm = np.radians(35) * np.sin(2 * np.pi * (tau - m.tc / 2) / m.t_stride)
    for side, name in ((1, "left"), (-1, "right")):
        sh = smid + np.array([0, 0, side * SHOULDER_WIDTH_F * h / 2])
        psi = side * arm
        elbow = sh + UPPER_ARM_F * h * np.stack([np.sin(psi), -np.cos(psi), np.zeros(n)], -1)
        wrist = elbow + FOREARM_F * h * np.stack([np.cos(psi), np.sin(psi), np.zeros(n)], -1)
        pts[f"{name}_shoulder"], pts[f"{name}_elbow"], pts[f"{name}_wrist"] = sh, elbow, wrist
        for k, off in (("pinky", (3, -1, -1)), ("index", (4, 0, 0)), ("thumb", (2, 1, 1))):
            pts[f"{name}_{k}"] = wrist + 0.01 * h * np.array(off, dtype=float) * np.array([1, 1, side])
    return pts


def _head_points(pts: dict[str, Arr], head: Arr, h: float) -> None:
    f = 0.01 * h
    spec = {"nose": (5.5, -1, 0), "left_eye_inner": (4.5, 0.5, 1.2), "left_eye": (4.5, 0.5, 2),
            "left_eye_outer": (4.2, 0.5, 3), "right_eye_inner": (4.5, 0.5, -1.2),
            "right_eye": (4.5, 0.5, -2), "right_eye_outer": (4.2, 0.5, -3), "left_ear": (-0.5, 0, 4),
            "right_ear": (-0.5, 0, -4), "mouth_left": (4.8, -3, 1.5), "mouth_right": (4.8, -3, -1.5)}
    for k, off in spec.items():
        pts[k] = head + f * np.array(off, dtype=float)


def _project(pts: dict[str, Arr], m: _Model, t: Arr) -> tuple[Arr, int, int]:
    p = m.p
    tau = t - p.first_ic_s
    belt = m.v * tau if p.setting == "treadmill" else np.zeros_like(t)
    xyz = np.stack([pts[k] for k in BLAZEPOSE_KEYPOINTS], axis=1)  # (T, K, 3)
    xyz[..., 0] -= belt[:, None]
    if p.view == "side":
        horiz = xyz[..., 0] * (1 if p.facing == "right" else -1)
    elif p.view == "rear":
        horiz = -xyz[..., 2]
    elif p.view == "front":
        horiz = xyz[..., 2]
    else:
        raise ValueError(f"expected view side|rear|front, got {p.view!r}")
    s = p.px_per_cm
    x = s * horiz
    y = -s * xyz[..., 1]
    margin = 0.4 * p.height_cm * s
    x = x - x.min() + margin
    y = y - y.min() + 0.15 * p.height_cm * s
    width = int(np.ceil(x.max() + margin))
    height = int(np.ceil(y.max() + 0.15 * p.height_cm * s))
    return np.stack([x, y], axis=-1), width, height


def make_runner(**kw: Any) -> tuple[PoseSeries, dict[str, Any]]:
    """Return ``(series, truth)`` for :class:`RunnerParams` given as keywords."""
    p = RunnerParams(**kw)
    m = _Model(p)
    n = round(p.duration_s * p.fps)
    t = np.arange(n) / p.fps
    pts = _skeleton(m, t)
    xy, width, height = _project(pts, m, t)
    _check_clearance(m)
    series = PoseSeries(xy=xy, score=np.full(xy.shape[:2], p.score), t_s=t,
                        keypoints=BLAZEPOSE_KEYPOINTS, width=width, height=height, fps=p.fps)
    return series, _truth(m, t)


def _check_clearance(m: _Model) -> None:
    s = np.linspace(m.tc + 1e-4, m.t_stride - 1e-4, 2000)
    rel, phi = m.leg_rel(s)
    ank = rel + np.column_stack([np.zeros_like(s), m.hip_y(s, 1)])
    heel, toe = _foot_points(ank, phi, m.b)
    low = np.minimum(heel[:, 1], toe[:, 1])
    if low.min() <= 0:
        raise ValueError(f"foot goes below the floor in swing ({low.min():.2f} cm)")


def _truth(m: _Model, t: Arr) -> dict[str, Any]:
    p, b = m.p, m.b
    s = np.array([0.0])
    rel, phi_ic = m.stance_rel(s)
    heel_ic, _ = _foot_points(rel, phi_ic, b)  # heel relative to the hip midpoint at IC
    hip = np.array([[0.0, m.hip_y(s, 1)[0]]])
    knee, _ = _ik(hip, hip + rel, b)
    ankle = hip + rel
    shank_ic = np.degrees(np.arctan2(ankle[0, 0] - knee[0, 0], knee[0, 1] - ankle[0, 1]))
    dense = np.linspace(0, m.t_stride, 4001)
    rel_d, _ = m.leg_rel(dense)
    hip_d = np.column_stack([np.zeros_like(dense), m.hip_y(dense, 1)])
    _, thigh = _ik(hip_d, hip_d + rel_d, b)
    events = []
    k = 0
    while True:
        side = "left" if k % 2 == 0 else "right"
        ic = p.first_ic_s + k * m.t_step
        to = ic + m.tc
        if to > t[-1]:
            break
        events.append({"side": side, "ic_s": ic, "to_s": to})
        k += 1
    metrics = {
        "cadence_spm": p.cadence_spm, "contact_time_ms": p.contact_time_ms,
        "trunk_lean_deg": p.trunk_lean_deg, "overstride_cm": float(heel_ic[0, 0]),
        "overstride_ratio": float(heel_ic[0, 0]) / (b.l1 + b.l2), "shank_angle_ic_deg": float(shank_ic),
        "knee_flexion_ic_deg": p.knee_flexion_ic_deg,
        "hip_extension_deg": float(np.degrees(-thigh.min())),
        "vertical_oscillation_cm": p.vertical_oscillation_cm,
        "foot_strike_angle_deg": p.foot_strike_angle_deg, "pelvic_drop_deg": p.pelvic_drop_deg,
        "lateral_trunk_lean_deg": p.lateral_trunk_lean_deg, "pelvic_sway_cm": p.pelvic_sway_cm,
    }
    return {"metrics": metrics, "events": events, "speed_m_s": m.v / 100, "leg_length_cm": b.l1 + b.l2,
            "params": p}


# --- perturbations used by the tests ---------------------------------------------------------

LEG_PARTS = ("knee", "ankle", "heel", "foot_index")


def _swap_index(names: tuple[str, ...]) -> NDArray[np.intp]:
    out = []
    for n in names:
        if n.startswith("left_"):
            out.append(names.index("right_" + n[5:]))
        elif n.startswith("right_"):
            out.append(names.index("left_" + n[6:]))
        else:
            out.append(names.index(n))
    return np.array(out)


def mirror(series: PoseSeries) -> PoseSeries:
    """Flip horizontally (x -> width - x) and swap every left/right name."""
    idx = _swap_index(series.keypoints)
    xy = series.xy[:, idx].copy()
    xy[..., 0] = series.width - xy[..., 0]
    return replace(series, xy=xy, score=series.score[:, idx].copy())


def affine(series: PoseSeries, *, scale: float = 1.0, dx: float = 0.0, dy: float = 0.0) -> PoseSeries:
    """Scale about the origin then translate (pixels)."""
    xy = series.xy * scale + np.array([dx, dy])
    return replace(series, xy=xy, width=int(np.ceil(series.width * scale + abs(dx))),
                   height=int(np.ceil(series.height * scale + abs(dy))))


def add_noise(series: PoseSeries, sigma_px: float, rng: np.random.Generator) -> PoseSeries:
    return replace(series, xy=series.xy + rng.normal(0, sigma_px, series.xy.shape))


def add_dropouts(series: PoseSeries, rng: np.random.Generator, *, n_gaps: int, max_len: int) -> PoseSeries:
    """NaN gaps of 1..max_len frames in random keypoints (score set to 0)."""
    xy, score = series.xy.copy(), series.score.copy()
    t, k = score.shape
    for _ in range(n_gaps):
        j = int(rng.integers(k))
        a = int(rng.integers(1, t - max_len - 1))
        ln = int(rng.integers(1, max_len + 1))
        xy[a:a + ln, j] = np.nan
        score[a:a + ln, j] = 0.0
    return replace(series, xy=xy, score=score)


def swap_legs(series: PoseSeries, start: int, stop: int) -> PoseSeries:
    """Swap the left/right leg keypoints (knee, ankle, heel, toe) in frames [start, stop)."""
    names = series.keypoints
    xy, score = series.xy.copy(), series.score.copy()
    for part in LEG_PARTS:
        a, b = names.index("left_" + part), names.index("right_" + part)
        xy[start:stop, [a, b]] = xy[start:stop, [b, a]]
        score[start:stop, [a, b]] = score[start:stop, [b, a]]
    return replace(series, xy=xy, score=score)


def resample(series: PoseSeries, step: int) -> PoseSeries:
    """Keep every ``step``-th frame (e.g. 120 fps -> 60 fps with step 2)."""
    return replace(series, xy=series.xy[::step].copy(), score=series.score[::step].copy(),
                   t_s=series.t_s[::step].copy(), fps=series.fps / step)
