"""The whole phantom runner in 3D: pelvis, legs, trunk, arms and head over time.

World frame (metres): x forward (travel), y to the runner's left, z up, ground
z = 0. Joints are the 33 BlazePose landmarks (:data:`JOINTS` starts with
:data:`formcam.series.BLAZEPOSE_KEYPOINTS`, in that order) plus ``mid_hip``,
``mid_shoulder`` and ``head_centre``. BlazePose names map to joint centres
(hip, knee, ankle, shoulder, elbow, wrist), to the back of the heel and the toe
tip on the shoe sole (``*_heel``, ``*_foot_index``), to points on a closed fist
(``*_pinky``, ``*_index``, ``*_thumb``) and to points on the head ellipsoid's
surface for the face (eyes, ears, mouth corners) and the nose tip.

Pelvis and trunk (``w`` = time since the right foot's midstance):

* hip midpoint height ``z_mean - VO/2 cos(2 pi w / step)``: lowest at each midstance;
* pelvic obliquity ``rho = -drop cos(2 pi w / stride)``, left hip at ``+hw/2 (cos rho, sin rho)``
  in (y, z) about the hip midpoint, so the swing-side hip is ``drop`` degrees lower
  at each midstance (no pelvic yaw: both hips stay at the same x);
* sway ``y = -sway/2 cos(2 pi w / stride)``: toward the stance side, extreme at midstance;
* trunk direction proportional to ``(tan lean, -tan lambda, 1)`` with
  ``lambda = lateral_lean cos(2 pi w / stride)``, so the sagittal projection makes
  exactly ``trunk_lean_deg`` with vertical at all times and the frontal projection
  exactly ``lateral_trunk_lean_deg`` toward the stance side at each midstance.

Arms swing opposite to the legs (each hand furthest forward at the other foot's IC).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from formcam.phantom.anthropometry import Anthropometry
from formcam.phantom.bounce import pelvis_bounce_m
from formcam.phantom.gait import FloatArray, PhantomParams, SagittalLeg
from formcam.series import BLAZEPOSE_KEYPOINTS

JOINTS: tuple[str, ...] = (*BLAZEPOSE_KEYPOINTS, "mid_hip", "mid_shoulder", "head_centre")
"""Names of axis 1 of :attr:`RunnerPose.joints`."""

SIDES: tuple[str, ...] = ("left", "right")
_ARM_SWING_DEG, _ARM_MEAN_DEG, _ELBOW_DEG, _ELBOW_SWING_DEG = 32.0, 0.0, 85.0, 12.0
_J = {name: i for i, name in enumerate(JOINTS)}
# Face points on the head ellipsoid: (left fraction of the half width, up fraction of the half height).
_FACE = {"eye_inner": (0.17, 0.12), "eye": (0.36, 0.12), "eye_outer": (0.54, 0.12), "mouth": (0.28, -0.52)}


@dataclass(frozen=True)
class RunnerPose:
    """The runner at ``T`` instants.

    Attributes:
        t_s: ``(T,)`` times in seconds.
        joints: ``(T, J, 3)`` metres, world frame; axis 1 follows :data:`JOINTS`.
        head_axes: ``(T, 3, 3)`` unit vectors of the head: ``[:, 0]`` forward (face),
            ``[:, 1]`` left, ``[:, 2]`` up.
        trunk_up: ``(T, 3)`` unit vector from the hip midpoint to the shoulder midpoint.
        stance: ``(T, 2)`` 1.0 where the left (column 0) / right (column 1) foot is on the ground.
    """

    t_s: FloatArray
    joints: FloatArray
    head_axes: FloatArray
    trunk_up: FloatArray
    stance: FloatArray

    def joint(self, name: str) -> FloatArray:
        """``(T, 3)`` trajectory of joint ``name``."""
        return self.joints[:, _J[name], :]


def _unit(v: FloatArray) -> FloatArray:
    return np.asarray(v / np.linalg.norm(v, axis=-1, keepdims=True), dtype=np.float64)


class PhantomRunner:
    """A runner following :class:`PhantomParams` exactly; evaluate it at any times."""

    def __init__(self, params: PhantomParams) -> None:
        self.params = params
        self.body = Anthropometry.from_height(params.height_cm / 100.0)
        self.leg = SagittalLeg(params, self.body)
        self.first_ic_s = {"right": params.first_contact_s, "left": params.first_contact_s + params.step_s}

    def _pelvis(self, t: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Hip midpoint ``(T, 3)``, obliquity ``rho`` and lateral trunk lean ``lambda`` (radians)."""
        p = self.params
        w = t - (self.first_ic_s["right"] + p.contact_s / 2.0)
        stride_cos = np.cos(2 * np.pi * w / p.stride_s)
        x = p.speed_mps * t if p.setting == "overground" else np.zeros_like(t)
        y = -0.5 * p.pelvic_sway_cm / 100.0 * stride_cos
        z = self.leg.z_mean + pelvis_bounce_m(t - self.first_ic_s["right"], step_s=p.step_s,
                                              contact_s=p.contact_s,
                                              oscillation_m=p.vertical_oscillation_cm / 100.0)
        rho = -math.radians(p.pelvic_drop_deg) * stride_cos
        lam = math.radians(p.lateral_trunk_lean_deg) * stride_cos
        return np.stack([x, y, z], axis=-1), rho, lam

    def pose(self, t_s: NDArray[np.float64] | list[float]) -> RunnerPose:
        """The runner at times ``t_s`` (seconds; any real values)."""
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        p, b = self.params, self.body
        out = np.zeros((t.size, len(JOINTS), 3))
        mid, rho, lam = self._pelvis(t)
        out[:, _J["mid_hip"]] = mid
        stance = np.zeros((t.size, 2))
        for k, side in enumerate(SIDES):
            sign = 1.0 if side == "left" else -1.0
            hip = mid + sign * 0.5 * b.hip_width_m * np.stack([0 * rho, np.cos(rho), np.sin(rho)], axis=-1)
            out[:, _J[f"{side}_hip"]] = hip
            leg = self.leg.evaluate(t - self.first_ic_s[side])
            stance[:, k] = leg["stance"]
            foot_y = mid[:, 1] * 0 + sign * 0.5 * p.step_width_cm / 100.0
            knee_y = hip[:, 1] + (foot_y - hip[:, 1]) * b.thigh_m / b.leg_m
            for name, key, y in (
                ("knee", "knee", knee_y),
                ("ankle", "ankle", foot_y),
                ("heel", "heel", foot_y),
                ("foot_index", "toe", foot_y),
            ):
                out[:, _J[f"{side}_{name}"]] = np.stack([mid[:, 0] + leg[f"{key}_x"], y, leg[f"{key}_z"]], -1)
        # Trunk and shoulders.
        up = _unit(
            np.stack(
                [np.full_like(t, math.tan(math.radians(p.trunk_lean_deg))), -np.tan(lam), np.ones_like(t)],
                axis=-1,
            )
        )
        mid_sh = mid + b.trunk_m * up
        out[:, _J["mid_shoulder"]] = mid_sh
        lateral = _unit(np.array([0.0, 1.0, 0.0]) - up[:, 1:2] * up)
        for side, sign in (("left", 1.0), ("right", -1.0)):
            out[:, _J[f"{side}_shoulder"]] = mid_sh + sign * 0.5 * b.shoulder_width_m * lateral
        self._arms(t, out)
        axes = self._head(mid_sh, up, out)
        return RunnerPose(t_s=t, joints=out, head_axes=axes, trunk_up=up, stance=stance)

    def _arms(self, t: FloatArray, out: FloatArray) -> None:
        p, b = self.params, self.body
        for side, sign, other in (("left", 1.0, "right"), ("right", -1.0, "left")):
            phase = np.cos(2 * np.pi * (t - self.first_ic_s[other]) / p.stride_s)
            alpha = np.radians(_ARM_MEAN_DEG + _ARM_SWING_DEG * phase)
            elbow = np.radians(_ELBOW_DEG + _ELBOW_SWING_DEG * phase)
            upper = _unit(np.stack([np.sin(alpha), np.full_like(t, sign * 0.12), -np.cos(alpha)], -1))
            fore = _unit(
                np.stack([np.sin(alpha + elbow), np.full_like(t, -sign * 0.3), -np.cos(alpha + elbow)], -1)
            )
            sh = out[:, _J[f"{side}_shoulder"]]
            el = sh + b.upper_arm_m * upper
            wr = el + b.forearm_m * fore
            across = _unit(np.cross(fore, np.array([0.0, 1.0, 0.0])))  # roughly up, normal to the forearm
            h = b.hand_m
            out[:, _J[f"{side}_elbow"]] = el
            out[:, _J[f"{side}_wrist"]] = wr
            out[:, _J[f"{side}_index"]] = wr + 0.45 * h * fore + 0.08 * h * across
            out[:, _J[f"{side}_pinky"]] = (
                wr + 0.40 * h * fore - 0.10 * h * across + sign * 0.05 * h * np.array([0.0, 1.0, 0.0])
            )
            out[:, _J[f"{side}_thumb"]] = wr + 0.30 * h * fore + 0.20 * h * across

    def _head(self, mid_sh: FloatArray, up: FloatArray, out: FloatArray) -> FloatArray:
        b = self.body
        head_up = _unit(0.35 * up + 0.65 * np.array([0.0, 0.0, 1.0]))
        centre = mid_sh + b.neck_head_m * head_up
        fwd = _unit(np.array([1.0, 0.0, 0.0]) - head_up[:, 0:1] * head_up)
        left = np.cross(head_up, fwd)
        a, w, c = b.head_half_depth_m, b.head_half_width_m, b.head_half_height_m

        def on_head(lf: float, uf: float, depth: float = 1.0) -> FloatArray:
            fwd_frac = depth * math.sqrt(max(0.0, 1.0 - lf**2 - uf**2))
            return np.asarray(
                centre + fwd_frac * a * fwd + lf * w * left + uf * c * head_up, dtype=np.float64
            )

        out[:, _J["head_centre"]] = centre
        out[:, _J["nose"]] = on_head(0.0, -0.12, 1.12)
        for side, s in (("left", 1.0), ("right", -1.0)):
            for part in ("eye_inner", "eye", "eye_outer"):
                lf, uf = _FACE[part]
                out[:, _J[f"{side}_{part}"]] = on_head(s * lf, uf, 0.97)
            out[:, _J[f"{side}_ear"]] = centre - 0.08 * a * fwd + s * w * left - 0.05 * c * head_up
            lf, uf = _FACE["mouth"]
            out[:, _J[f"mouth_{side}"]] = on_head(s * lf, uf)
        return np.stack([fwd, left, head_up], axis=1)
