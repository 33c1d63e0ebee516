"""Swing phase of the phantom's sagittal leg, and the planar curve helpers shared with stance.

Swing (``contact < tau < stride``, see :mod:`formcam.phantom.gait`) is built in joint space:
thigh angle, knee flexion and foot pitch follow piecewise cubic Hermite curves from their
toe-off values through peak hip flexion and peak knee flexion back to the IC values, with
landing slopes that give the foot a small downward speed relative to the ground at IC.
:class:`SwingMixin` holds these methods of :class:`formcam.phantom.gait.SagittalLeg`.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from numpy.typing import NDArray

from formcam.phantom.anthropometry import Anthropometry

FloatArray = NDArray[np.float64]
log = logging.getLogger(__name__)
_LANDING_DOWN_MPS = 0.35
# After IC the shoe slides on over the belt and sinks (midsole), with decaying speeds, as the
# markers on real shoes do after the force plate's contact (mocap, Fukuchi 2017).
SETTLE_SPEED_FRACTION = 0.35  # shoe's forward speed over the belt at IC, share of belt speed
SETTLE_TIME_S = 0.015  # its decay time
SINK_SPEED_MPS = 0.5  # shoe's downward speed at IC (midsole compression)
SINK_TIME_S = 0.02
_SWING_KNEE_BOOST_DPS = 250.0
_THETA_MIN_AT = 0.75
_MAX_LANDING_RATE = 12.0  # rad/s
_KAPPA_MAX_AT = 0.5


def rot(beta: FloatArray | float, x: float, z: FloatArray | float) -> tuple[FloatArray, FloatArray]:
    """Rotate the x-z vector ``(x, z)`` by ``beta`` radians (counter-clockwise: toes up)."""
    c, s = np.cos(beta), np.sin(beta)
    return np.asarray(x * c - z * s, dtype=np.float64), np.asarray(x * s + z * c, dtype=np.float64)


def ease(u: FloatArray) -> FloatArray:
    """Cosine ease from 0 to 1 on ``u`` in [0, 1], zero slope at both ends."""
    return np.asarray(0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0)), dtype=np.float64)


def hermite(
    t: FloatArray, knots: tuple[float, ...], values: tuple[float, ...], slopes: tuple[float, ...]
) -> FloatArray:
    """Piecewise cubic Hermite curve through ``values`` with ``slopes`` (per unit of ``t``) at ``knots``."""
    out = np.full(np.shape(t), np.nan)
    for i in range(len(knots) - 1):
        t0, t1 = knots[i], knots[i + 1]
        m = (t >= t0) & (t <= t1)
        h = t1 - t0
        u = (t[m] - t0) / h
        out[m] = (
            (2 * u**3 - 3 * u**2 + 1) * values[i]
            + (u**3 - 2 * u**2 + u) * h * slopes[i]
            + (-2 * u**3 + 3 * u**2) * values[i + 1]
            + (u**3 - u**2) * h * slopes[i + 1]
        )
    return out


class SwingMixin:
    """Forward kinematics and the fit of the swing curves; :class:`~formcam.phantom.gait.SagittalLeg`
    supplies the body, the gait timing, the pelvis height and the stance."""

    b: Anthropometry
    v: float
    contact_s: float
    stride_s: float
    beta0: float
    theta_to: float

    def hip_z(self, tau: FloatArray) -> FloatArray:
        """Stance-side hip joint centre height, metres (defined by the leg)."""
        raise NotImplementedError

    def _stance(self, tau: FloatArray) -> dict[str, FloatArray]:
        raise NotImplementedError

    def _fk(
        self, tau: FloatArray, theta: FloatArray, kappa: FloatArray, beta: FloatArray
    ) -> dict[str, FloatArray]:
        b = self.b
        hz = self.hip_z(tau)
        kx, kz = -b.thigh_m * np.sin(theta), hz - b.thigh_m * np.cos(theta)
        phi = theta + kappa
        ax, az = kx - b.shank_m * np.sin(phi), kz - b.shank_m * np.cos(phi)
        ox, oz = rot(beta, b.heel_back_m, b.ankle_height_m)
        fx, fz = rot(beta, b.foot_m, 0.0)
        hx, hzz = ax - ox, az - oz
        return {
            "hip_z": hz,
            "knee_x": kx,
            "knee_z": kz,
            "ankle_x": ax,
            "ankle_z": az,
            "heel_x": hx,
            "heel_z": hzz,
            "toe_x": hx + fx,
            "toe_z": hzz + fz,
            "theta": theta,
            "kappa": kappa,
            "beta": beta,
        }

    def _fit_swing(self) -> None:
        """Knots of the swing curves, matched to the stance ends (see the module doc)."""
        tc, ts, eps = self.contact_s, self.stride_s, 1e-5
        start = self._stance(np.array([0.0, eps]))
        end = self._stance(np.array([tc - eps, tc]))
        self.theta_ic, self.kappa_ic = float(start["theta"][0]), float(start["kappa"][0])
        self.kappa_to, self.beta_to = float(end["kappa"][1]), float(end["beta"][1])
        kappa_rate_to = (end["kappa"][1] - end["kappa"][0]) / eps + math.radians(_SWING_KNEE_BOOST_DPS)
        beta_rate_to = float((end["beta"][1] - end["beta"][0]) / eps)
        self.kappa_max = math.radians(float(np.clip(60.0 + 12.0 * self.v, 75.0, 125.0)))
        self.theta_min = self.theta_ic - math.radians(8.0)
        beta_mid = max(self.beta0, math.radians(8.0))
        # Landing slopes: the heel moves a little forward relative to the ground and downward at
        # IC (an impact). Where that makes the swing dip below the ground or hyperextend the
        # knee, gentler landing slopes are tried: blends toward the stance-start rates, then zero.
        z_rate = float((self.hip_z(np.array([eps])) - self.hip_z(np.array([0.0])))[0] / eps)
        one = np.array([ts])

        def heel(dth: float, dka: float) -> FloatArray:
            f = self._fk(
                one, one * 0 + self.theta_ic + dth, one * 0 + self.kappa_ic + dka, one * 0 + self.beta0
            )
            return np.array([f["heel_x"][0], f["heel_z"][0] - self.hip_z(one)[0]])

        h0 = heel(0.0, 0.0)
        jac = np.column_stack([(heel(eps, 0.0) - h0) / eps, (heel(0.0, eps) - h0) / eps])
        land_x = -(1.0 - SETTLE_SPEED_FRACTION) * self.v
        impact = np.linalg.solve(jac, np.array([land_x, -_LANDING_DOWN_MPS - z_rate]))
        smooth = (
            np.array([start["theta"][1] - start["theta"][0], start["kappa"][1] - start["kappa"][0]]) / eps
        )
        sw = ts - tc
        self._swing_beta = (
            (tc, tc + 0.55 * sw, ts),
            (self.beta_to, beta_mid, self.beta0),
            (0.5 * beta_rate_to, 0.0, 0.0),
        )
        check = np.linspace(tc, ts, 400)
        candidates = [b * impact + (1.0 - b) * smooth for b in (1.0, 0.75, 0.5, 0.25, 0.0)]
        # A nearly straight knee at IC (overstriding) cannot be flexing into contact
        # without hyperextending before it: then the knee is still at IC (at its least
        # flexion) and the thigh alone retracts the heel, as in a reaching overstride.
        # (Tried before gentler blends, which land with the heel sliding forward.)
        retract = [np.array([f * land_x / jac[0, 0], 0.0]) for f in (1.0, 0.8, 0.6)]
        for rates in [candidates[0], *retract, *candidates[1:], 0.5 * impact, np.zeros(2)]:
            th_rate, ka_rate = np.clip(rates, -_MAX_LANDING_RATE, _MAX_LANDING_RATE)
            self._swing_theta = (
                (tc, tc + _THETA_MIN_AT * sw, ts),
                (self.theta_to, self.theta_min, self.theta_ic),
                (0.0, 0.0, float(th_rate)),
            )
            self._swing_kappa = (
                (tc, tc + _KAPPA_MAX_AT * sw, ts),
                (self.kappa_to, self.kappa_max, self.kappa_ic),
                (float(kappa_rate_to), 0.0, float(ka_rate)),
            )
            f = self._fk(
                check,
                hermite(check, *self._swing_theta),
                hermite(check, *self._swing_kappa),
                hermite(check, *self._swing_beta),
            )
            if min(f["heel_z"].min(), f["toe_z"].min()) > -1e-3 and f["kappa"].min() > 0.0:
                return
        log.warning("phantom swing leg touches the ground or hyperextends the knee with these parameters")
