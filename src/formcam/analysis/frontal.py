"""Rear / front-view step values: pelvic drop (at mid-stance and its stance peak) and
lateral pelvic sway, camera roll and drift removed.

Conventions (both views; a mirrored clip gives the same numbers)
-----------------------------------------------------------------
* **Pelvic drop** (deg): the hip-joint line against the *horizon*, positive when the
  swing-side (contralateral) hip is lower than the stance-side hip. Read at
  mid-stance ``(IC + TO) / 2`` (``pelvic_drop_deg``) and as its maximum over
  ``[IC, TO]`` (``pelvic_drop_peak_deg``). Which hip is "left" in the image comes from
  the clip (:attr:`Kinematics.left_sign`: the runner's left hip is on image-left from
  behind, on image-right from the front), so the rear / front mirror is handled.
* **Horizon** (:func:`roll_deg`): a tilted (rolled) camera turns every hip line by
  the same angle and would add +roll to one foot's drop and -roll to the other's.
  The true vertical is found in the clip itself: the hip midpoint bounces up and
  down once per step (5-10 cm) while it sways sideways once per stride (1-3 cm), so
  over whole strides the two are uncorrelated and the principal axis of its
  detrended path (slow drift removed by a Gaussian of one stride) is the vertical.
  Used only when that axis is clear (variance ratio >= 4, else 0 deg roll).
  The clip value then also averages the two feet's medians (see
  :func:`balanced_value`), so a roll left in the angles cancels.
* **Lateral sway** (``pelvic_sway_cm``): peak-to-peak of the hip midpoint's position
  along the horizon over one stride (IC to the next IC of the same foot) after
  removing a linear trend over that stride (a drifting or panning camera), cm via
  the body scale. A runner's pelvis sways a few cm; above :data:`MAX_SWAY_CM` the
  value is camera motion or tracking, and it is withheld.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter1d

from formcam.analysis.events import Contact
from formcam.analysis.kinematics import Kinematics

Arr = NDArray[np.float64]
MAX_SWAY_CM = 8.0
"""Largest plausible per-stride pelvic sway (cm); running: ~1-4 cm (mocap: 1.1-1.3 cm)."""
MIN_AXIS_RATIO = 4.0


def roll_deg(kin: Kinematics, stride_s: float) -> float:
    """Camera roll (deg): the angle of the hip midpoint's bounce axis from image-up,
    + when the runner's up points toward image-right. 0 when the axis is unclear."""
    xy = np.column_stack([kin.hip_mid_uv_px[:, 0] * kin.forward_sign, kin.hip_mid_uv_px[:, 1]])
    ok = np.isfinite(xy).all(axis=1)
    if ok.sum() < 10:
        return 0.0
    fps = 1.0 / float(np.median(np.diff(kin.t_s)))
    d = xy[ok] - gaussian_filter1d(xy[ok], max(stride_s * fps, 1.0), axis=0, mode="nearest")
    sxx, svv = float(np.mean(d[:, 0] ** 2)), float(np.mean(d[:, 1] ** 2))
    sxv = float(np.mean(d[:, 0] * d[:, 1]))
    ev = np.linalg.eigvalsh(np.array([[sxx, sxv], [sxv, svv]]))
    if svv <= sxx or ev[1] < MIN_AXIS_RATIO * max(ev[0], 1e-12):
        return 0.0
    return float(np.degrees(0.5 * np.arctan2(2 * sxv, svv - sxx)))


def level_obliquity_deg(kin: Kinematics, roll: float) -> Arr:
    """``(T,)`` hip line against the horizon (deg), + when the runner's left hip is higher."""
    o, r = np.radians(kin.pelvis_obliquity_deg), np.radians(roll)
    dx, dv = kin.left_sign * np.cos(o), np.sin(o)  # left minus right hip, image x and up
    up = dx * np.sin(r) + dv * np.cos(r)
    along = dx * np.cos(r) - dv * np.sin(r)
    return np.asarray(np.degrees(np.arctan2(up, np.abs(along))))


def lateral_px(kin: Kinematics, roll: float) -> Arr:
    """``(T,)`` hip midpoint along the horizon (px), + toward the runner's left."""
    x, v = kin.hip_mid_uv_px[:, 0] * kin.forward_sign, kin.hip_mid_uv_px[:, 1]
    r = np.radians(roll)
    return np.asarray(kin.left_sign * (x * np.cos(r) - v * np.sin(r)))


def _sel(t: Arr, t0: float, t1: float) -> NDArray[np.bool_]:
    return np.asarray((t >= t0) & (t <= t1))


SWAY_HARMONICS = 3
"""Harmonics of the stride fitted to the hip midpoint's sideways path for the sway. Real
pelvises need three: on mocap (exact hip joint centres) two harmonics read 0.69-0.94 cm for
a true 1.13-1.31, three 1.21-1.38, the samples' own peak-to-peak 1.17-1.23; six let the
noise back in (1.39-1.45)."""


def stride_sway_px(t: Arr, w: Arr, t0: float, t1: float, *, harmonics: int = SWAY_HARMONICS) -> float:
    """Peak-to-peak (px) of the sideways path ``w`` over the stride ``[t0, t1]``: a line (drift)
    plus ``harmonics`` harmonics of the stride fitted by least squares, the peak-to-peak taken
    on the fitted harmonics, finely sampled.

    Not the samples' own peak-to-peak: frame-to-frame keypoint jitter adds to it (on the
    phantom's rear views through the pose model, 3.8-4.8 cm for a true 3.0), and at 30 fps
    the frames miss the turning points (2.6 cm from exact keypoints). The pelvis's sideways
    path repeats once per stride (:data:`SWAY_HARMONICS`).
    """
    sel = _sel(t, t0, t1)
    n_par = 2 + 2 * harmonics
    if sel.sum() < n_par + 2 or not np.isfinite(w[sel]).all() or t1 <= t0:
        return float("nan")
    phase = 2 * np.pi * (t[sel] - t0) / (t1 - t0)
    fine = np.linspace(0.0, 2 * np.pi, 181)

    def waves(ph: Arr) -> Arr:
        return np.column_stack([f(h * ph) for h in range(1, harmonics + 1) for f in (np.sin, np.cos)])

    design = np.column_stack([np.ones(phase.size), phase, waves(phase)])
    coef, *_ = np.linalg.lstsq(design, w[sel], rcond=None)
    curve = waves(fine) @ coef[2:]
    return float(curve.max() - curve.min())


def frontal_step(kin: Kinematics, contacts: tuple[Contact, ...], k: int, *, px_per_cm: float,
                 stride_end_s: float | None, roll: float) -> dict[str, float | bool | None]:
    """Pelvic drop at mid-stance and its stance peak (deg), sway over the stride (cm; None
    when implausible, then ``pelvic_sway_withheld`` is True)."""
    c = contacts[k]
    sgn = 1.0 if c.side == "left" else -1.0  # left stance: the right (swing) hip lower is +
    t = kin.t_s
    drop = sgn * level_obliquity_deg(kin, roll)
    mid = (c.ic_s + c.to_s) / 2
    in_stance = drop[_sel(t, c.ic_s, c.to_s)]
    sway = (stride_sway_px(t, lateral_px(kin, roll), c.ic_s, stride_end_s) / px_per_cm
            if stride_end_s is not None else float("nan"))
    out = {"pelvic_drop_deg": float(np.interp(mid, t, drop)) if t[0] <= mid <= t[-1] else float("nan"),
           "pelvic_drop_peak_deg": float(np.max(in_stance)) if in_stance.size else float("nan"),
           "pelvic_sway_cm": sway if sway <= MAX_SWAY_CM else float("nan")}
    vals: dict[str, float | bool | None] = {n: (v if np.isfinite(v) else None) for n, v in out.items()}
    vals["pelvic_sway_withheld"] = bool(np.isfinite(sway) and sway > MAX_SWAY_CM)
    return vals


def balanced_value(left: float | None, right: float | None, fallback: float | None) -> float | None:
    """Clip value of a side-signed frontal angle: the mean of the left and right medians
    (each foot weighs half, whatever the step counts, and a constant camera roll,
    which adds to one foot what it takes from the other, cancels); ``fallback`` (the
    median of all steps) when one side has no value."""
    return (left + right) / 2 if left is not None and right is not None else fallback
