"""Running-gait parameters and the sagittal leg trajectory of the phantom runner.

The world frame is right-handed, in metres: x forward (direction of travel), y to
the runner's left, z up, ground at z = 0. The leg motion is built in the
*treadmill frame* (the hip midpoint stays at x = 0 and the ground moves backward
at ``speed_mps``); :mod:`formcam.phantom.skeleton` adds ``speed_mps * t`` to x for
overground running. Both legs follow the same trajectory, half a stride apart.

Construction of one stride of one leg (time ``tau`` since its initial contact, IC):

* **Stance** (``0 <= tau <= contact``). At IC the heel is ``overstride_cm`` ahead
  of the hip midpoint and the foot is pitched ``foot_strike_angle_deg`` (toes up
  for a heel strike; a forefoot strike, negative, lands on the toe tip and the
  heel lowers; 0 lands on the flat sole, a midfoot strike). The foot
  rolls onto its sole (cosine ease, first 15 % of stance), stays flat, then the
  heel rises as the foot rotates about the planted toe tip. The contact point
  moves backward at belt speed, plus the shoe's *settling*: a real shoe does not
  stop dead at contact (mocap markers on the shoe, Fukuchi 2017: at the force
  plate's contact still ~0.4 x belt speed forward over the belt and ~0.9 m/s down,
  at rest ~30-40 ms later), so the sole slides on forward (``SETTLE_SPEED_FRACTION``
  of the belt speed, decaying over ``SETTLE_TIME_S``) and sinks into its midsole
  under the ankle (``SINK_SPEED_MPS``, ``SINK_TIME_S``; back up by TO; the sole's
  heel and toe points stay on the ground); the swing lands at that
  speed. Without it the knee flexed 610-1514 deg/s just after IC (mocap: 240-310).
  While the foot is on its heel or flat, the knee
  comes from a 2-link inverse kinematics (knee in front). From heel-off on, the
  thigh angle follows a cubic Hermite curve that reaches ``hip_extension_deg``
  with zero angular velocity exactly at toe-off (TO), and the ankle is the
  intersection of the shank circle around the knee with the foot circle around
  the toe, which fixes the heel lift.
* **Pelvis height** is chosen so that the knee flexion at IC is exactly
  ``knee_flexion_ic_deg`` (the hip-ankle distance fixes the knee angle).
* **Swing** (``contact < tau < stride``) is built in joint space: thigh angle,
  knee flexion and foot pitch follow piecewise cubic Hermite curves from their
  toe-off values (thigh: zero velocity, so its peak extension is at TO) through
  peak hip flexion and peak knee flexion, back to the IC values. The last knot's
  velocities give the heel a small downward speed relative to the ground at IC,
  so that contact is an impact, as in real running. The swing fit lives in
  :mod:`formcam.phantom.swing`.

The leg is planar in x-z; the lateral (y) coordinates are added afterwards
(:mod:`formcam.phantom.skeleton`), which changes 3D segment lengths by under a
millimetre. All angles here are therefore *sagittal-plane* angles, the ones a
side-view camera measures.

Angle conventions: thigh angle ``theta`` is the hip->knee segment's angle behind
vertical (positive = knee behind the hip); knee flexion ``kappa`` is 0 for a
straight knee and positive when flexed; foot pitch ``beta`` is the heel->toe line
against the ground, positive = toes up.
"""

from __future__ import annotations

import math

import numpy as np

from formcam.phantom.anthropometry import Anthropometry
from formcam.phantom.bounce import pelvis_bounce_m
from formcam.phantom.params import SETTINGS, PhantomParams
from formcam.phantom.swing import (
    SETTLE_SPEED_FRACTION,
    SETTLE_TIME_S,
    SINK_SPEED_MPS,
    SINK_TIME_S,
    FloatArray,
    SwingMixin,
    ease,
    hermite,
    rot,
)

__all__ = ["FOOT_FLAT_FRACTION", "SETTINGS", "FloatArray", "PhantomParams", "SagittalLeg", "hermite"]

FOOT_FLAT_FRACTION = 0.15  # sole flat after this share of stance (mocap forefoot: heel down ~37 ms)
_MAX_HEEL_RISE_DEG = 85.0


class SagittalLeg(SwingMixin):
    """One leg's x-z trajectory in the treadmill frame, as a function of time since IC.

    Raises ``ValueError`` from the constructor when the parameters cannot be met
    together by a leg of this size (e.g. an overstride the leg cannot reach).
    """

    def __init__(self, params: PhantomParams, body: Anthropometry) -> None:
        self.p, self.b = params, body
        self.contact_s, self.stride_s = params.contact_s, params.stride_s
        self.v = params.speed_mps
        self.beta0 = math.radians(params.foot_strike_angle_deg)
        self.theta_to = math.radians(params.hip_extension_deg)
        b, beta0 = body, self.beta0
        # Heel (back of the sole) x at IC, and the flat-foot heel x at tau = 0.
        self.heel_ic_x = params.overstride_cm / 100.0
        self.heel_flat_x0 = (
            self.heel_ic_x if beta0 >= 0 else self.heel_ic_x + b.foot_m * (math.cos(beta0) - 1)
        )
        # Pelvis height: the hip-ankle distance at IC fixes the knee flexion at IC.
        _, ankle_ic, _, _ = self._foot(np.zeros(1))
        kappa = math.radians(params.knee_flexion_ic_deg)
        reach = math.sqrt(b.thigh_m**2 + b.shank_m**2 + 2 * b.thigh_m * b.shank_m * math.cos(kappa))
        ax, az = float(ankle_ic[0][0]), float(ankle_ic[1][0])
        if abs(ax) >= reach:
            raise ValueError("PhantomParams: the overstride is beyond the leg's reach at this knee angle")
        self.z_mean = az + math.sqrt(reach**2 - ax**2) - float(self.hip_z_offset(np.zeros(1))[0])
        self._choose_heel_off()
        self._fit_swing()

    # -- pelvis --------------------------------------------------------------------------------
    def hip_z_offset(self, tau: FloatArray) -> FloatArray:
        """Stance-side hip joint height minus the mean hip-midpoint height, metres."""
        p = self.p
        w = tau - self.contact_s / 2.0
        mid = pelvis_bounce_m(tau, step_s=p.step_s, contact_s=self.contact_s,
                              oscillation_m=p.vertical_oscillation_cm / 100.0)
        roll = math.radians(p.pelvic_drop_deg) * np.cos(2 * np.pi * w / p.stride_s)
        return np.asarray(mid + 0.5 * self.b.hip_width_m * np.sin(roll), dtype=np.float64)

    def hip_z(self, tau: FloatArray) -> FloatArray:
        """Stance-side hip joint centre height, metres."""
        return self.z_mean + self.hip_z_offset(tau)

    # -- stance ----------------------------------------------------------------------------------
    def _settle(self, tau: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Shoe's (x, z) offset from a sole pinned to the belt at IC: it slides on forward and
        sinks (the midsole under the ankle compresses) with decaying speeds, as real shoes do
        after the force plate's contact."""
        tau = np.maximum(np.asarray(tau, dtype=np.float64), 0.0)
        dx = SETTLE_SPEED_FRACTION * self.v * SETTLE_TIME_S * (1.0 - np.exp(-tau / SETTLE_TIME_S))
        unload = 1.0 - ease((tau - 0.7 * self.contact_s) / (0.3 * self.contact_s))
        dz = -SINK_SPEED_MPS * SINK_TIME_S * (1.0 - np.exp(-tau / SINK_TIME_S)) * unload
        return dx, dz

    def _foot(self, tau: FloatArray) -> tuple[tuple[FloatArray, FloatArray], ...]:
        """Heel, ankle, toe (x, z) and pitch from IC to heel-off (pivot on the heel or toe tip, then flat)."""
        b, beta0 = self.b, self.beta0
        tau = np.asarray(tau, dtype=np.float64)
        beta = beta0 * (1.0 - ease(tau / (FOOT_FLAT_FRACTION * self.contact_s)))
        sx, sz = self._settle(tau)
        if beta0 >= 0:  # pivot on the heel
            hx, hz = self.heel_ic_x - self.v * tau + sx, np.zeros_like(tau)
        else:  # pivot on the toe tip
            tx = self.heel_ic_x + b.foot_m * math.cos(beta0) - self.v * tau + sx
            fx, fz = rot(beta, b.foot_m, 0.0)
            hx, hz = tx - fx, -fz
        ax, az = rot(beta, b.heel_back_m, b.ankle_height_m + sz)  # the midsole compressed under the ankle
        tx2, tz2 = rot(beta, b.foot_m, 0.0)
        return (hx, hz), (hx + ax, hz + az), (hx + tx2, hz + tz2), (beta, beta)

    def _ik(self, hip_z: FloatArray, ax: FloatArray, az: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Knee (x, z) from the hip (x = 0) and ankle with the knee in front; NaN when out of reach."""
        t, s = self.b.thigh_m, self.b.shank_m
        dx, dz = ax, az - hip_z
        d = np.hypot(dx, dz)
        cos_a = (t**2 + d**2 - s**2) / (2 * t * d)
        a = np.arccos(np.where(np.abs(cos_a) <= 1.0, cos_a, np.nan))
        ux, uz = dx / d, dz / d
        return t * (ux * np.cos(a) - uz * np.sin(a)), hip_z + t * (ux * np.sin(a) + uz * np.cos(a))

    def _theta_flat(self, tau: FloatArray) -> FloatArray:
        _, (ax, az), _, _ = self._foot(tau)
        hz = self.hip_z(tau)
        kx, kz = self._ik(hz, ax, az)
        return np.asarray(np.arctan2(-kx, hz - kz), dtype=np.float64)

    def _choose_heel_off(self) -> None:
        """Latest heel-off (20..90 % of stance) giving a decelerating thigh and a feasible heel rise."""
        tc, eps = self.contact_s, 1e-5
        for frac in np.arange(0.90, 0.199, -0.01):
            t_ho = float(frac * tc)
            th = self._theta_flat(np.array([t_ho - eps, t_ho, t_ho + eps]))
            if not np.all(np.isfinite(self._theta_flat(np.linspace(0, t_ho, 50)))) or th[1] >= self.theta_to:
                continue
            rate = (th[2] - th[0]) / (2 * eps)
            power = rate * (tc - t_ho) / (self.theta_to - th[1])
            if not np.isfinite(power) or power < 1.05:
                continue
            self.t_ho, self.theta_ho, self.power_ho = t_ho, float(th[1]), float(power)
            beta = self._heel_rise(np.linspace(t_ho, tc, 60))[3][0]
            if (
                np.all(np.isfinite(beta))
                and np.all(beta <= 1e-9)
                and beta[-1] > -math.radians(_MAX_HEEL_RISE_DEG)
            ):
                return
        raise ValueError(
            f"PhantomParams: a {self.b.leg_m:.2f} m leg cannot reach hip_extension_deg="
            f"{self.p.hip_extension_deg:g} at toe-off while the hip travels speed_mps x contact time = "
            f"{self.v * tc:.2f} m over a foot landing overstride_cm={self.p.overstride_cm:g} ahead; "
            "raise hip_extension_deg or overstride_cm, or lower speed_mps or contact_time_ms"
        )

    def _heel_rise(self, tau: FloatArray) -> tuple[tuple[FloatArray, FloatArray], ...]:
        """Heel, ankle, toe (x, z) and pitch after heel-off (foot rotating about the toe tip)."""
        b = self.b
        # Thigh angle: theta_to - (theta_to - theta_ho) (1 - u)^n, n > 1, decelerating to 0 at TO.
        u = np.clip((tau - self.t_ho) / (self.contact_s - self.t_ho), 0.0, 1.0)
        theta = self.theta_to - (self.theta_to - self.theta_ho) * (1.0 - u) ** self.power_ho
        sx, sz = self._settle(tau)
        hz = self.hip_z(tau)
        kx, kz = -b.thigh_m * np.sin(theta), hz - b.thigh_m * np.cos(theta)
        tx = self.heel_flat_x0 + b.foot_m - self.v * tau + sx
        # Ankle: on the circle of radius shank around the knee and of radius r around the toe.
        rel_x, rel_z = b.heel_back_m - b.foot_m, b.ankle_height_m + sz  # compressed midsole
        r = np.hypot(rel_x, rel_z)
        dx, dz = kx - tx, kz
        d = np.hypot(dx, dz)
        a = (r**2 - b.shank_m**2 + d**2) / (2 * d)
        h = np.sqrt(np.where(r**2 - a**2 >= 0, r**2 - a**2, np.nan))
        px, pz = tx + a * dx / d, a * dz / d
        best = None
        for sign in (1.0, -1.0):
            ax, az = px + sign * h * (-dz / d), pz + sign * h * (dx / d)
            beta = np.arctan2(az, ax - tx) - np.arctan2(rel_z, rel_x)
            beta = (beta + np.pi) % (2 * np.pi) - np.pi
            if best is None:
                best = (ax, az, beta)
            else:
                pick = np.abs(beta) < np.abs(best[2])
                best = tuple(np.where(pick, new, old) for new, old in zip((ax, az, beta), best, strict=True))
        ax, az, beta = best  # type: ignore[misc]
        fx, fz = rot(beta, b.foot_m, 0.0)
        return (tx - fx, -fz), (ax, az), (tx, np.zeros_like(tx)), (beta, beta)

    def _stance(self, tau: FloatArray) -> dict[str, FloatArray]:
        flat = tau <= self.t_ho
        (hx, hz), (ax, az), (tx, tz), (beta, _) = self._foot(tau)
        (hx2, hz2), (ax2, az2), (tx2, tz2), (beta2, _) = self._heel_rise(tau)
        hx, hz, ax, az = (np.where(flat, u, w) for u, w in ((hx, hx2), (hz, hz2), (ax, ax2), (az, az2)))
        tx, tz, beta = np.where(flat, tx, tx2), np.where(flat, tz, tz2), np.where(flat, beta, beta2)
        hip = self.hip_z(tau)
        kx, kz = self._ik(hip, ax, az)
        theta = np.arctan2(-kx, hip - kz)
        kappa = np.arctan2(kx - ax, kz - az) - theta
        return {
            "hip_z": hip,
            "knee_x": kx,
            "knee_z": kz,
            "ankle_x": ax,
            "ankle_z": az,
            "heel_x": hx,
            "heel_z": hz,
            "toe_x": tx,
            "toe_z": tz,
            "theta": theta,
            "kappa": kappa,
            "beta": beta,
        }

    def evaluate(self, tau: FloatArray) -> dict[str, FloatArray]:
        """Leg state at ``tau`` seconds since IC (any real values; the motion is stride-periodic).

        Returns a dict of ``(N,)`` arrays: ``hip_z``, ``knee_x``, ``knee_z``, ``ankle_x``,
        ``ankle_z``, ``heel_x``, ``heel_z``, ``toe_x``, ``toe_z`` (metres, treadmill frame,
        hip at x = 0), ``theta``, ``kappa``, ``beta`` (radians, see the module doc) and
        ``stance`` (1.0 in stance, 0.0 in swing).
        """
        tau = np.mod(np.asarray(tau, dtype=np.float64), self.stride_s)
        stance = tau <= self.contact_s
        out = self._stance(np.where(stance, tau, 0.0))
        theta = hermite(tau, *self._swing_theta)
        kappa = hermite(tau, *self._swing_kappa)
        beta = hermite(tau, *self._swing_beta)
        swing = self._fk(tau, theta, kappa, beta)
        res = {k: np.where(stance, out[k], swing[k]) for k in out}
        res["stance"] = stance.astype(np.float64)
        return res
