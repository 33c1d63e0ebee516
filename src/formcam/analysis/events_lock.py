"""Initial contact as the instant the foot starts moving with the ground; toe-off as the
instant the last part of the foot leaves its stance level.

Side view only: :func:`alternatives` gives them for each foot-height stance, and
:mod:`formcam.analysis.events_choice` uses them for a clip when the hips' free fall says
they are the better rule (see :mod:`formcam.analysis.events` for the whole method and its
measured accuracy).

* :func:`heel_first`: a rearfoot strike. The heel lands while the toe is still off the
  ground (:data:`HEEL_FIRST_LEG`); the heel's landing is then a sharp vertical event and
  its floor crossing (:func:`formcam.analysis.events_floor.floor_crossing`) is the IC.
* :func:`ground_lock_ic`: any other strike (midfoot, forefoot). In stance a foot point
  moves with the ground, so its image ``x`` is a straight line in time: constant
  overground with a static camera, the belt speed on a treadmill, and (near enough over
  0.1 s) the pan speed of a smoothly panning camera. The line is fitted to the heel's
  ``x`` over 20-50 % of the stance (heel and forefoot down, before heel-off); walking
  back from there, IC is where the heel's ``x`` comes within :data:`LOCK_BAND_LEG` (or
  3x the keypoint noise) of that line, interpolated between the samples that bracket
  it. A forefoot striker's foot pivots about the forefoot at contact, which moves the
  heel (behind the pivot, at about its height) down but hardly backward: the heel takes
  the ground's horizontal speed at the forefoot's first touch. A foot-height rule cannot
  see this: the heel reaches its floor 30-60 ms after contact and the forefoot
  approaches the floor gradually (measured: 26-44 ms late on the mocap forefoot
  striker). A change-point (hinge) fit of the same ``x`` was tried first: its answer
  moved by 10-30 ms with the window and the pre-contact model, and on the phantom's
  heel (whose ``x`` joins the line with a continuous velocity) it came out 1.5 frames
  early.
* :func:`last_off_to`: each foot point (heel, toe) leaves its stance level when it first
  rises above it by ``delta`` (:data:`TO_DELTA_LEG` of the leg length, at least 3x the
  keypoint noise) for two samples; TO is the latest such instant (the last part of the
  foot to leave), interpolated between the two samples that bracket the threshold.

Known limit (why the band does not transfer to drawn feet). Median profiles at the true
IC, % of leg (exact keypoints): on the mocap forefoot striker the heel's ``x`` is still
1.1-2.3 (toe point 1.7-3.0) off its stance line and the toe point 2.1-2.6 above its
stance level, and both settle 20-30 ms later (a smooth, exponential-like approach:
sole compression, the forefoot's roll, the 12 Hz marker filter). The phantom's foot
reaches its stance pose at the IC itself (heel ``x`` 0.2 off the line, the landing point
0.0-0.2 above its level), after a tangential approach (heel ``x`` 0.8 off at -10 ms, 2.0
at -20 ms), so the 1.25 band is entered about one frame early. Tried and rejected: IC at
the peak of the foot points' vertical deceleration (mocap toe +19-21 ms, heel -75-98 ms)
or of the heel's horizontal deceleration (mocap -23-29 ms): the real landing shows no
impact kink at the force-plate IC.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from formcam.analysis.events_fit import fill_nan

Arr = NDArray[np.float64]

LOCK_BAND_LEG = 0.0125
"""Distance from the stance line (fraction of leg length, ~1.1 cm) within which the heel
moves with the ground. The keypoints and a pose model's output are low-passed: the
velocity kink at contact is spread over some 40 ms, and a forefoot striker's foot still
rolls and settles a few mm after the first touch. Measured on the mocap forefoot striker
(force plate, 50 N): median IC error +0.8 / -2.0 / +6.7 ms at 60 / 240 / 120 fps (0.01
leg: +2.9 / +0.1 / +9.1 ms; 0.015 leg: -1.5 / -3.9 / +4.6 ms)."""
LOCK_MAX_SIGMA_LEG = 0.01
"""Keypoint noise (fraction of leg length) above which the lock is not tried: the band
(3 sigma) would then be several centimetres wide."""
HEEL_FIRST_LEG = 0.02
"""Toe height above its stance level, minus the heel's, at the foot-height IC (fraction
of leg length) from which the heel landed first (a rearfoot strike: the heel's own
floor crossing is the IC, sharp, and the lock is not applied). The same 2 cm as
:data:`TO_DELTA_LEG`: the toe is still off the ground. Measured: phantom rearfoot
striker (strike angle 8 deg) 0.033-0.043; mocap forefoot striker <= 0.005 (exact
keypoints), <= 0.022 (120 fps, tilted camera)."""

TO_DELTA_LEG = 0.02
"""Height above its stance level (fraction of leg length, ~2 cm) at which a foot point
counts as off the ground: a keypoint is not the sole's contact edge (a forefoot marker or
keypoint sits behind and above the toe tip that leaves last, and the shoe sole
compresses by about a centimetre in stance). Measured: mocap forefoot striker TO -3.5 /
+0.6 ms median at 240 / 120 fps (force plate, 50 N); phantom toe tip +10 ms at 60 fps."""


def _stance_span(ic: float, to: float, f0: float, f1: float) -> tuple[int, int]:
    """Sample range ``[lo, hi)`` covering ``f0``-``f1`` of the stance ``[ic, to]`` (frames)."""
    span = to - ic
    return int(np.ceil(ic + f0 * span)), int(np.floor(ic + f1 * span)) + 1


def heel_first(heel: Arr, toe: Arr, ic: float, to: float, *, leg_px: float, sigma: float = 0.0,
               lead_leg: float = HEEL_FIRST_LEG) -> bool:
    """True when, at the foot-height IC ``ic`` (frames), the toe is higher above its stance
    level (median over 25-50 % of ``[ic, to]``) than the heel above its own by more than
    ``max(lead_leg * leg_px, 3 sqrt(2) sigma)``: the heel landed first. ``heel`` / ``toe``:
    ``(T,)`` heights (px, y up), NaN-free."""
    lo, hi = _stance_span(ic, to, 0.25, 0.5)
    if lo < 0 or hi > heel.size or hi - lo < 2 or not np.isfinite(leg_px):
        return False
    i = np.arange(heel.size, dtype=np.float64)
    lead = (float(np.interp(ic, i, toe)) - float(np.median(toe[lo:hi]))) - \
        (float(np.interp(ic, i, heel)) - float(np.median(heel[lo:hi])))
    return bool(lead > max(lead_leg * leg_px, 3.0 * np.sqrt(2.0) * sigma))


def ground_lock_ic(x: Arr, ic: float, to: float, fps: float, *, leg_px: float, sigma: float = 0.0,
                   band_leg: float = LOCK_BAND_LEG, max_sigma_leg: float = LOCK_MAX_SIGMA_LEG,
                   early_s: float = 0.08, late_s: float = 0.03) -> float | None:
    """Sub-frame IC (frames) from the heel's horizontal image position ``x`` ``(T,)`` (px,
    NaN-free) and a foot-height stance ``[ic, to]`` (frames); see the module docstring.

    The band is ``max(band_leg * leg_px, 3 sigma)`` (``sigma``: keypoint noise, px). None
    when the noise exceeds ``max_sigma_leg * leg_px``, the stance is shorter than 4
    the stance holds fewer than 3 samples, or the crossing is not within ``[ic - early_s, ic + late_s]``.
    """
    lo, hi = _stance_span(ic, to, 0.2, 0.5)
    if hi - lo < 4:  # low frame rate: a longer stretch of the stance, before most heels rise
        lo, hi = _stance_span(ic, to, 0.1, 0.75)
    if not (np.isfinite(leg_px) and sigma <= max_sigma_leg * leg_px) or lo < 2 or hi > x.size or hi - lo < 4:
        return None
    n = np.arange(lo, hi, dtype=np.float64)
    slope, icept = np.polyfit(n - n.mean(), x[lo:hi], 1)
    band = max(band_leg * leg_px, 3.0 * sigma)
    res = np.abs(x - (icept + slope * (np.arange(x.size) - n.mean())))
    off = res > band
    first = int(np.floor(ic - early_s * fps))
    for j in range(lo, max(first, 2) - 1, -1):  # j on the line, the two samples before it off it
        if off[j - 1] and off[j - 2] and not off[j]:
            t = j - 1 + (res[j - 1] - band) / (res[j - 1] - res[j])
            return float(t) if ic - early_s * fps <= t <= ic + late_s * fps else None
    return None


def leaves_floor(h: Arr, floor: float, start: int, delta: float, *, limit: int) -> float | None:
    """Sub-frame instant (frames) at which ``h`` (px, y up) first rises above ``floor +
    delta`` for two consecutive samples, walking forward from ``start`` at most ``limit``
    samples; linear interpolation between the last sample below and the first above."""
    up = h - floor > delta
    for k in range(max(start, 0), min(start + limit, h.size - 2) + 1):
        if up[k + 1] and up[k + 2] and not up[k]:
            return float(k + (floor + delta - h[k]) / (h[k + 1] - h[k]))
    return None


def last_off_to(points: list[Arr], ic: float, to: float, fps: float, *, leg_px: float, sigma: float,
                delta_leg: float = TO_DELTA_LEG) -> float | None:
    """TO (frames) as the latest instant any of ``points`` (foot point heights, px, y up,
    NaN-free) leaves its stance level (median over 25-50 % of ``[ic, to]``, where heel
    and toe are both down), searched from mid-stance to ``to`` + 100 ms. None when no
    point shows it."""
    span = to - ic
    lo, hi = int(np.ceil(ic + 0.25 * span)), int(np.floor(ic + 0.5 * span)) + 1
    if span < 3 or lo < 0 or hi - lo < 2 or not np.isfinite(leg_px):
        return None
    delta = max(delta_leg * leg_px, 3.0 * sigma)
    mid = round(ic + 0.5 * span)
    limit = int(np.ceil(to - mid + 0.1 * fps))
    times = [leaves_floor(h, float(np.median(h[lo:hi])), mid, delta, limit=limit) for h in points
             if hi <= h.size]
    found = [t for t in times if t is not None]
    return max(found) if found else None


CLEAN_SIGMA_LEG = 0.004
"""Foot keypoint noise (fraction of leg length) up to which :func:`last_off_to` is tried:
its 2 cm step must stand clear of the noise (3 sigma)."""


def alternatives(heel: Arr, toe: Arr | None, heel_x: Arr, ic: float, to: float, fps: float, *,
                 leg_px: float, sigma: float) -> tuple[float | None, float | None]:
    """Side view: the ground-lock IC (None for a heel-first landing, or where it cannot be
    timed) and the last-off TO (None with noisy foot points) of one foot-height stance
    ``[ic, to]`` (frames). ``heel`` / ``toe``: heights (px, y up, NaN-filled; ``toe``
    None when not tracked), ``heel_x``: the heel's image x (px, may hold NaN); ``sigma``:
    foot keypoint noise (px)."""
    lock = None
    seg = heel_x[max(int(ic) - 1, 0):int(np.ceil(to)) + 1]
    tracked = seg.size > 0 and np.isfinite(seg).mean() >= 0.8 and np.isfinite(heel_x).sum() >= 2
    if tracked and not (toe is not None and heel_first(heel, toe, ic, to, leg_px=leg_px, sigma=sigma)):
        lock = ground_lock_ic(fill_nan(heel_x), ic, to, fps, leg_px=leg_px, sigma=sigma)
    last = None
    if np.isfinite(leg_px) and sigma <= CLEAN_SIGMA_LEG * leg_px:
        last = last_off_to([h for h in (heel, toe) if h is not None], ic, to, fps, leg_px=leg_px, sigma=sigma)
    return lock, last
