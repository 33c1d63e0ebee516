"""The signal of :mod:`formcam.analysis.events_flow` (its method's steps 1-3): which foot
label stands in a contact, the ground's image velocity, and the contact speed of each
sole against the ground.

:func:`stance_foot` is the foot lower in the image at mid-stance; :func:`follow_foot` follows
it across left/right label swaps the cleaning did not repair; :func:`ground_velocity` is the
stance soles' own mid-stance velocity interpolated in time (px/frame); :func:`contact_speed`
the slowest point of each sole relative to it (leg lengths per second).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from formcam.analysis.events import Contact
from formcam.analysis.events_flow_fit import line_speed
from formcam.series import FootMotion, PoseSeries

Arr = NDArray[np.float64]


def _sole_y(series: PoseSeries, side: str, frame: int) -> float:
    pts = [series.xy[frame, series.index(f"{side}_{p}"), 1] for p in ("heel", "foot_index")]
    return float(np.nanmean(pts)) if np.isfinite(pts).any() else np.nan


def stance_foot(series: PoseSeries, c: Contact) -> int | None:
    """0 (left label) or 1 (right label): the foot lower in the image at mid-stance."""
    mid = round((c.ic_frame + c.to_frame) / 2)
    if not 0 <= mid < series.n_frames:
        return None
    ys = [_sole_y(series, s, mid) for s in ("left", "right")]
    if not np.isfinite(ys).all():
        return None
    return int(np.argmax(ys))


def _sole_xy(series: PoseSeries, side: str) -> Arr:
    """``(T, 2, 2)`` heel and toe keypoints of ``side``."""
    return np.stack([series.xy[:, series.index(f"{side}_{p}")] for p in ("heel", "foot_index")], axis=1)


def follow_foot(series: PoseSeries, foot: int, mid: int, ground: Arr) -> NDArray[np.intp]:
    """``(T,)`` per frame, the label (0 left, 1 right) whose heel and toe are nearer to where the
    stance foot ``foot`` (labelled so at mid-stance frame ``mid``) would be if it moved with
    the ground (``ground``, px/frame) from there: so that a left/right swap of the model's
    labels that the cleaning did not repair (often near toe-off, when the swinging foot
    passes) does not put the other foot's motion into this contact. ``foot`` where unknown."""
    n = series.n_frames
    out = np.full(n, foot, dtype=np.intp)
    if not 0 <= mid < n or not np.isfinite(ground).all():
        return out
    step = np.nan_to_num(ground)
    shift = np.concatenate([[0.0], np.cumsum(step[1:], axis=0)[:, 0]]), \
        np.concatenate([[0.0], np.cumsum(step[1:], axis=0)[:, 1]])
    moved = np.stack(shift, axis=1) - np.stack(shift, axis=1)[mid]  # (T, 2) ground displacement
    soles = [_sole_xy(series, s) for s in ("left", "right")]
    start = soles[foot][mid]
    if not np.isfinite(start).all():
        return out
    expect = start[None] + moved[:, None, :]  # (T, 2 points, 2)
    dist = np.stack([np.linalg.norm(sole - expect, axis=-1).mean(axis=-1) for sole in soles], axis=1)
    ok = np.isfinite(dist).all(axis=1)
    out[ok] = np.argmin(dist[ok], axis=1)
    return out


def ground_velocity(sole: Arr, contacts: list[tuple[Contact, int]], n: int) -> Arr:
    """``(T, 2)`` ground image velocity (px/frame): each stance's mid-stance sole velocity,
    interpolated in time (held at the ends); NaN if no stance was measured."""
    mids, vals = [], []
    for c, foot in contacts:
        a, b = c.ic_frame + 0.25 * (c.to_frame - c.ic_frame), c.to_frame - 0.25 * (c.to_frame - c.ic_frame)
        rows = sole[int(np.ceil(a)):int(np.floor(b)) + 1, foot]  # (F, S, 2)
        rows = rows[np.isfinite(rows).all(axis=(1, 2))]
        if rows.shape[0] >= 2:
            mids.append((a + b) / 2)
            vals.append(np.median(rows.reshape(-1, 2), axis=0))
    if not mids:
        return np.full((n, 2), np.nan)
    frames = np.arange(n, dtype=np.float64)
    v = np.asarray(vals)
    return np.stack([np.interp(frames, mids, v[:, 0]), np.interp(frames, mids, v[:, 1])], axis=1)


def contact_speed(motion: FootMotion, ground: Arr, t_s: Arr, leg_px: float) -> Arr:
    """``(T, 2)`` speed relative to the ground of the slowest point of each shoe's sole
    (leg lengths per second) over the interval ending at each frame: the smallest of the
    measured sole points and of the sole line under the shoe's rigid motion (its pivot; the
    line runs 0.3 foot lengths beyond the heel and toe keypoints, which the pose model puts
    inside the shoe's outline); NaN on the first frame and where unmeasured."""
    rel = motion.sole_v() - ground[:, None, None, :]
    heel_v, spin, foot = motion.rigid()
    across = np.stack([-foot[..., 1], foot[..., 0]], axis=-1) * spin[..., None]
    with np.errstate(invalid="ignore"):
        speed = np.linalg.norm(rel, axis=-1)
        low = np.min(np.where(np.isfinite(speed), speed, np.inf), axis=-1)
        line = line_speed(heel_v - ground[:, None, :], across)
        low = np.fmin(low, line)
        speed = np.where(np.isfinite(low), low, np.nan)
    dt = np.diff(t_s, prepend=np.nan)
    return np.asarray(speed / dt[:, None] / leg_px)
