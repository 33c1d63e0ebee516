"""The pelvis' vertical path of a running body: free fall in flight, a ground force in stance.

Between toe-off and the next initial contact no force but gravity acts on the body, so
its centre of mass follows a parabola at -g. In stance the vertical ground reaction
force rises from zero at initial contact and falls back to zero at toe-off; here it is
``F/m = A sin(pi t / tc) + C sin(3 pi t / tc)`` (a half sine, the classic approximation of a
running force curve, shaped by a third harmonic). ``A`` and ``C`` follow from two
conditions: the force's impulse over a contact carries the body weight over a whole
step (``integral F dt = m g step``, so the body leaves the ground as fast as it landed)
and the drop from contact to mid-stance makes the stated peak-to-peak oscillation.
Acceleration, velocity and height are then continuous everywhere, as in a real runner,
and the hips' free fall (:mod:`formcam.analysis.events_flight`) ends exactly at IC. A
sinusoid over the whole step (what the phantom drew before) is in free fall nowhere.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
G_MPS2 = 9.81


def _ramp(t: FloatArray | float, contact_s: float, k: int) -> FloatArray:
    """Height gained by ``t`` s after IC from a force ``sin(k pi t / contact_s)`` (per unit of it)."""
    w = k * math.pi / contact_s
    return np.asarray((t - np.sin(w * np.asarray(t)) / w) / w, dtype=np.float64)


def stance_force(step_s: float, contact_s: float, oscillation_m: float) -> tuple[float, float] | None:
    """``(A, C)`` (m/s^2) of the stance force per unit mass (see the module docstring), or None
    when no non-negative force of that shape gives the oscillation (no flight phase, or an
    oscillation out of reach for this contact and step time)."""
    flight = step_s - contact_s
    if flight <= 0 or contact_s <= 0:
        return None
    drop = oscillation_m - G_MPS2 * flight**2 / 8.0  # contact height down to the mid-stance low
    half = contact_s / 2.0
    free = -G_MPS2 * flight / 2.0 * half - G_MPS2 * half**2 / 2.0  # no force: where the body would be
    m = np.array([[2 * contact_s / math.pi, 2 * contact_s / (3 * math.pi)],
                  [float(_ramp(half, contact_s, 1)), float(_ramp(half, contact_s, 3))]])
    a, c = np.linalg.solve(m, np.array([G_MPS2 * step_s, -drop - free]))
    if a - c < 0 or a + 3 * c < 0 or drop <= 0:  # negative force at mid-stance or at the ends
        return None
    return float(a), float(c)


def pelvis_bounce_m(tau: FloatArray, *, step_s: float, contact_s: float, oscillation_m: float) -> FloatArray:
    """Vertical offset (m, up) of the pelvis from the middle of its range, at ``tau`` s
    after an initial contact (any real ``tau``; one step = one bounce).

    Lowest (``-oscillation_m / 2``) at mid-stance, highest (``+oscillation_m / 2``) at
    mid-flight, free fall in flight (``contact_s < tau mod step_s < step_s``). Where
    :func:`stance_force` finds no force, the sinusoid
    ``-oscillation_m / 2 * cos(2 pi (tau - contact_s / 2) / step_s)``.
    """
    tau = np.asarray(tau, dtype=np.float64)
    half = oscillation_m / 2.0
    force = stance_force(step_s, contact_s, oscillation_m)
    if force is None:
        return np.asarray(-half * np.cos(2 * np.pi * (tau - contact_s / 2.0) / step_s), dtype=np.float64)
    a_f, c_f = force
    flight = step_s - contact_s
    t = np.mod(tau, step_s)
    top = half  # apex of the flight
    z_contact = top - G_MPS2 * flight**2 / 8.0
    v_land = -G_MPS2 * flight / 2.0
    ts = np.minimum(t, contact_s)
    stance = (z_contact + v_land * ts - G_MPS2 * ts**2 / 2.0
              + a_f * _ramp(ts, contact_s, 1) + c_f * _ramp(ts, contact_s, 3))
    air = top - G_MPS2 * (t - contact_s - flight / 2.0) ** 2 / 2.0
    return np.asarray(np.where(t <= contact_s, stance, air), dtype=np.float64)
