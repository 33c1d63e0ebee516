"""Foot strike angle from the shoe's measured rotation between contact and mid-stance.

``foot_strike_angle_deg`` is the foot's angle at initial contact minus its angle at
mid-stance (the flat foot stands in for the standing offset, see
:mod:`formcam.analysis.metrics`). Through a pose model the two keypoint angles do not
share one offset: BlazePose puts the heel point higher on a flat foot in stance than on a
landing foot, and its toe point inside the shoe, so the heel -> toe line reads the flat
foot 5-17 deg more toes-down than the landing one (``formcam verify`` through the model:
+5 to +16 deg on every side case). The difference of the two angles is the rotation of
the shoe between the two instants, and the pose pass measures that rotation directly
from the shoe's pixels (:class:`formcam.series.FootMotion` ``spin``, the rigid fit of the
sole's optical flow): its integral from the sub-frame contact to mid-stance is the
strike angle, free of where the model puts its foot points.

Sign: image ``spin`` is positive when it turns image x toward image y (y down): for a
runner facing image-right (``forward_sign`` +1) that lowers the toes, so the foot angle
(+ toes up) changes by ``-forward_sign * spin`` and the strike angle (angle at IC minus
angle at mid-stance) is ``+forward_sign`` times the integrated spin.

Clean inputs only: a step gets a value when its contact was timed from the same image
motion (a keypoint-timed contact can be a frame or two off, and the strike rotation lasts
about 40 ms), the spin was measured on every interval from contact to mid-stance, and on
each of those intervals (after the one holding the contact and the shoe's settling,
:data:`SETTLE_S`) the labelled foot moves as a stance foot: some point of its sole line
moves with the ground (within
``max_pivot_leg_per_s``), so a frame where the model gave the label to the swinging
foot does not put that foot's rotation into the sum. When fewer than half of a clip's
steps give a clean rotation, the clip's strike angle is withheld
(:func:`enough_rotations`): the few that pass are then not a sample of the runner's steps.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from formcam.analysis.events import Contact
from formcam.analysis.events_flow_fit import line_speed
from formcam.series import FootMotion

Arr = NDArray[np.float64]
FLOW = "flow"
SETTLE_S = 0.03
"""Time (s) a shoe takes to come to rest on the ground after contact (mocap shoe markers:
~30 ms after the force plate's contact; :mod:`formcam.analysis.events_flow`): the stance
test of :func:`strike_angle_deg` skips it, as the rotation sum does not."""


def rotation(spin: Arr, f0: float, f1: float) -> float:
    """Sum of ``spin`` (per frame interval; entry ``i`` is the interval ``[i-1, i]``) over the
    intervals that overlap fractional frames ``(f0, f1]``, each in full: the landing foot holds
    its angle until the contact and rotates after it, so the interval holding the contact
    measured only the rotation after it (weighting it by its overlap would count that part
    short), and the foot is flat, not rotating, by mid-stance. NaN if a needed interval is
    unmeasured or outside the array, or ``f1 <= f0``."""
    if not f1 > f0:
        return float("nan")
    first, last = math.floor(f0) + 1, math.ceil(f1)
    if first < 1 or last >= spin.size:
        return float("nan")
    vals = spin[first:last + 1]
    if not np.isfinite(vals).all():
        return float("nan")
    return float(np.sum(vals))


def uses_rotation(contacts: tuple[Contact, ...] | list[Contact]) -> bool:
    """Whether a clip's strike angles come from the shoe's rotation: most of its contacts were
    timed from the image motion (below that, e.g. at 30 fps, the rotation of ~40 ms after a
    contact is not resolved and the keypoint angle is kept)."""
    return bool(contacts) and 2 * sum(c.ic_source == FLOW for c in contacts) > len(contacts)


def _stance_ok(motion: FootMotion, foot: int, c: Contact, first: int, last: int, *, fps: float,
               leg_px: float, max_pivot_leg_per_s: float) -> bool:
    """Whether, on the intervals ``first..last``, some point of foot ``foot``'s sole line moves
    with the ground (the foot's own median velocity over the middle half of its stance)."""
    heel_v, spin, vec = motion.rigid()
    a = math.ceil(c.ic_frame + 0.25 * (c.to_frame - c.ic_frame))
    b = math.floor(c.to_frame - 0.25 * (c.to_frame - c.ic_frame))
    mid_v = heel_v[max(a, 0):b + 1, foot]
    mid_v = mid_v[np.isfinite(mid_v).all(axis=1)]
    if mid_v.shape[0] < 2 or last >= motion.n_frames:
        return False
    ground = np.median(mid_v, axis=0)
    rows = np.arange(first, last + 1)
    across = np.stack([-vec[rows, foot, 1], vec[rows, foot, 0]], axis=-1) * spin[rows, foot, None]
    pivot = line_speed(heel_v[rows, foot] - ground, across) * fps / leg_px
    return bool(np.isfinite(pivot).all() and (pivot <= max_pivot_leg_per_s).all())


def strike_angle_deg(motion: FootMotion, c: Contact, foot: int, *, forward_sign: int, fps: float,
                     leg_px: float, max_pivot_leg_per_s: float = 0.8) -> float | None:
    """Foot strike angle (deg, + toes up at contact) of contact ``c`` on foot column ``foot`` of
    ``motion`` (frames as ``c``): the shoe's rotation from contact to mid-stance; None when the
    inputs are not clean (see the module docstring)."""
    if c.ic_source != FLOW or not np.isfinite(leg_px) or leg_px <= 0:
        return None
    f0, f1 = c.ic_frame, (c.ic_frame + c.to_frame) / 2
    rot = rotation(motion.rigid()[1][:, foot], f0, f1)
    # the stance test starts once the shoe has settled (SETTLE_S after the contact)
    first, last = max(math.floor(f0) + 2, math.ceil(f0 + SETTLE_S * fps) + 1), math.ceil(f1)
    if not np.isfinite(rot) or (last >= first and not _stance_ok(
            motion, foot, c, first, last, fps=fps, leg_px=leg_px, max_pivot_leg_per_s=max_pivot_leg_per_s)):
        return None
    return float(forward_sign * math.degrees(rot))


def enough_rotations(values: list[float | None], *, min_fraction: float = 0.5) -> bool:
    """Whether at least ``min_fraction`` of a clip's steps (``values``, one per step, None where
    the rotation was not clean) gave a strike angle."""
    return bool(values) and sum(v is not None for v in values) >= min_fraction * len(values)
