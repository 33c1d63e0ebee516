"""The floor crossing: IC / TO as the instant a foot point reaches / leaves its stance floor.

Used by :func:`formcam.analysis.events_fit.ic_to` after its hinge fits, and by
:mod:`formcam.analysis.events_lock`. :func:`stance_noise` estimates the keypoint noise
(px) from all stances pooled; :func:`floor_crossing` moves an event to the crossing of a
threshold above the point's own floor level, every threshold a fraction of the leg
length (so scaling the image changes no decision). Heights ``h`` are px, y up.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Arr = NDArray[np.float64]


def stance_noise(stances: list[tuple[Arr, tuple[int, int]]]) -> float:
    """Keypoint noise (px) from foot-point stances ``(h, (a, b))`` pooled (heels and toes of
    both feet, all stances): 1.4826 MAD of the first differences over the settled part
    of each stance (25-50 % of ``[a, b)``, where heel and toe are both down and still),
    / sqrt(2). Differencing removes each stance's floor level; pooling gives an
    estimate from a hundred-odd samples, not the half-dozen of one stance, so whether
    the floor crossing applies does not hinge on a lucky draw (one foot point alone,
    ~30 samples in 4 s at 120 fps, read 1.5 px noise as 0.85 px). Later stance is left
    out: there a heel rises, which at 30 fps reads as noise. inf with fewer than 8
    differences."""
    d1s = []
    for h, (a, b) in stances:
        lo, hi = max(int(np.ceil(a + 0.25 * (b - a))), 0), min(int(np.floor(a + 0.5 * (b - a))) + 1, h.size)
        seg = h[lo:hi]
        d1 = np.diff(seg)
        d1s.append(d1[np.isfinite(d1)])
    d1 = np.concatenate(d1s) if d1s else np.zeros(0)
    if d1.size < 8:
        return float("inf")
    return 1.4826 * float(np.median(np.abs(d1 - np.median(d1)))) / float(np.sqrt(2.0))


FAST_FALL = 1.5
"""Fall over the last airborne frame, in units of the height still to go, from which
IC is extrapolated at the foot's speed (a hard landing) rather than by the line to
the first floor sample (a foot that slows and skims the floor)."""


def floor_crossing(h: Arr, ic: float, to: float, fps: float, *, at_ic: bool, leg_px: float,
                   min_delta: float = 0.004, max_sigma: float = 0.004,
                   sigma: float | None = None) -> tuple[float, float] | None:
    """IC (``at_ic``) or TO refined as the instant the contact point ``h`` (px, y up)
    reaches / leaves its own stance floor level.

    Every threshold is a fraction of the leg length ``leg_px`` (hip-knee-ankle, px), so
    scaling the image leaves every decision unchanged. The noise ``sigma`` comes from
    all stances (:func:`stance_noise`; by default this stance only); the floor ``F``
    from the settled part of
    the stance (IC: 25-50 % of ``[ic, to]``, where heel and toe are both down; TO:
    50-85 %, unless the point is then above its 25-50 % level by more than
    ``max(delta, 0.008 leg)``, or moves there (1.4826 MAD > ``2 sigma + 0.004 leg``): a
    heel that rose before TO is not the TO point). Walking from there toward the
    event, the first two consecutive samples higher than ``delta = max(3 sigma,
    min_delta * leg)`` above ``F`` are off the ground; the event is where the line
    through the nearer of them (``i``) and the adjacent on-floor sample (``j``) meets
    ``F``, clipped to one frame around ``j``. A hinge (change-point) fit alone locks onto
    the first kink of the descent: a foot that skims the floor a couple of centimetres
    up before touching down reads 50-90 ms early (measured on the phantom runner).
    Returns ``(event frame, sigma)``; None when the data do not show the crossing
    within 100 ms of ``ic`` / ``to``, or the point is noisier than ``max_sigma * leg``
    (then the threshold crossing is less accurate than the hinge fit: measured on the
    synthetic runner with 1.5 px = 0.006 leg noise and on BlazePose keypoints).
    """
    span = to - ic
    if span < 3 or not np.isfinite(leg_px) or leg_px <= 0:
        return None
    ranges = [(int(np.ceil(ic + f0 * span)), int(np.floor(ic + f1 * span)) + 1)
              for f0, f1 in ((0.25, 0.5), (0.25, 0.5) if at_ic else (0.5, 0.85))]
    if any(lo < 1 or hi > h.size - 1 or hi - lo < 2 for lo, hi in ranges):
        return None
    if sigma is None:
        sigma = stance_noise([(h, (int(ic), int(np.ceil(to))))])
    if not sigma <= max_sigma * leg_px:
        return None
    delta = max(3.0 * sigma, min_delta * leg_px)
    early = float(np.median(h[ranges[0][0]:ranges[0][1]]))
    lo, hi = ranges[1]
    seg = h[lo:hi]
    floor = float(np.median(seg))
    late_sigma = 1.4826 * float(np.median(np.abs(seg - floor)))
    if floor - early > max(delta, 0.008 * leg_px) or late_sigma > 2 * sigma + 0.004 * leg_px:
        return None  # this point (a heel) leaves the floor before late stance
    up = h - floor > delta
    step, k = (-1, lo) if at_ic else (1, hi - 1)
    limit = 0.1 * fps + (lo - ic if at_ic else to - hi)
    for _ in range(int(limit) + 1):
        n1, n2 = k + step, k + 2 * step
        if not 0 <= n2 < h.size:
            return None
        if up[n1] and up[n2]:
            i, j = n1, k
            hi_v, hj_v = h[i] - floor, h[j] - floor
            if at_ic:  # the descent slows near the floor: line through i and the floor sample j
                line = i + (j - i) * hi_v / (hi_v - hj_v)
                fall = h[i - 1] - h[i] if i >= 1 else 0.0
                if fall > 0 and (fps < 45 or fall >= FAST_FALL * hi_v):
                    # the foot still falls fast at the last airborne sample (below 45 fps it
                    # is up to 33 ms out; at any rate when the last frame's fall exceeds
                    # FAST_FALL x the height left): carry on at that speed to the floor if
                    # that is earlier
                    line = min(line, i + hi_v / fall)
                return float(np.clip(line, j - 1, j + 1)), sigma
            rise = h[n2] - h[i]  # the toe leaves abruptly: line through i and the next sample
            return (float(np.clip(i - hi_v / rise, j, i)) if rise > 0 else float(j + 0.5)), sigma
        k = n1
    return None
