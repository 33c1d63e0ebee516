"""Clothing and skin stickers rigid with the phantom's 3D pelvis (what a rear camera sees of it).

The pelvis frame at each instant: origin at the hip midpoint, ``lateral`` the unit vector
from the right to the left hip joint, ``forward`` the travel direction made normal to it, and
``up = forward x lateral``. The phantom's pelvis rotates only about the forward axis
(obliquity), so everything drawn here tilts exactly with the true pelvic obliquity.

``textured`` clothing (:class:`PelvisClothing`) is a waistband across the lower back and a
printed pattern of small spots on the seat of the shorts; with it the shirt is tucked in
(:func:`formcam.phantom.render.body_groups`) so the waistband shows. Stickers
(:data:`STICKERS`): ``psis`` puts a 2.1 cm white dot over each posterior superior iliac
spine, ``heels`` an orange dot on each shoe's heel counter (clinical 2D running analysis,
Dingenen 2018), ``asis_psis`` a white dot over each anterior and posterior superior iliac spine,
facing sideways, for a side camera (sagittal pelvic tilt: the PSIS -> ASIS line, level at zero
tilt, 0.097 h apart front to back). Positions are fractions of stature ``h``; the PSIS sit
0.026 h either side of the midline (9.1 cm apart on a 175 cm runner) and 0.05 h above
the hip-joint line, about one inter-PSIS distance, as the hip-joint-centre regressions of
Harrington et al. (2007) place them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from formcam.phantom.camera import Camera
from formcam.phantom.scene import RGB, shade
from formcam.phantom.skeleton import JOINTS, RunnerPose
from formcam.phantom.volumes import Flat, Part, disc, visible

FloatArray = NDArray[np.float64]
CLOTHING: tuple[str, ...] = ("plain", "textured")
STICKERS: tuple[str, ...] = ("psis", "heels", "asis_psis")
PSIS_LATERAL_H = 0.026
PSIS_UP_H = 0.05
STICKER_RADIUS_H = 0.006
WAIST_TOP_H, WAIST_BOTTOM_H, WAIST_HALF_WIDTH_H = 0.085, 0.068, 0.09
_BACK_H, _BACK_HALF_WIDTH_H = 0.062, 0.15
_J = {name: i for i, name in enumerate(JOINTS)}
STICKER_WHITE: RGB = (250, 250, 250)
STICKER_HEEL: RGB = (255, 110, 0)
_WAISTBAND: RGB = (18, 20, 26)


def pelvis_axes(joints: FloatArray,
                tilt_rad: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
    """Origin ``(..., 3)`` and axes ``(..., 3, 3)`` (rows: forward, lateral, up) of the pelvis
    from joints ``(..., J, 3)``, turned by the sagittal tilt ``tilt_rad`` ``(...)`` (+ anterior:
    the top of the pelvis forward) about the lateral axis."""
    lh, rh = joints[..., _J["left_hip"], :], joints[..., _J["right_hip"], :]
    lateral = (lh - rh) / np.linalg.norm(lh - rh, axis=-1, keepdims=True)
    fwd = np.zeros_like(lateral)
    fwd[..., 0] = 1.0
    fwd = fwd - np.sum(fwd * lateral, axis=-1, keepdims=True) * lateral
    fwd = fwd / np.linalg.norm(fwd, axis=-1, keepdims=True)
    up = np.cross(fwd, lateral)
    if tilt_rad is not None:
        c, s = np.cos(tilt_rad)[..., None], np.sin(tilt_rad)[..., None]
        fwd, up = c * fwd - s * up, c * up + s * fwd
    return 0.5 * (lh + rh), np.stack([fwd, lateral, up], axis=-2)


def on_back(lateral_h: FloatArray, up_h: FloatArray) -> FloatArray:
    """``(N, 3)`` pelvis-frame points (fractions of stature) on the back of the pelvis at the
    given lateral and up offsets (a curved surface 0.062 h behind the hip midpoint)."""
    lat = np.asarray(lateral_h, dtype=np.float64)
    back = -_BACK_H * np.sqrt(np.clip(1.0 - (lat / _BACK_HALF_WIDTH_H) ** 2, 0.0, 1.0))
    return np.stack([back, lat, np.asarray(up_h, dtype=np.float64)], axis=-1)


def to_world(local_h: FloatArray, origin: FloatArray, axes: FloatArray, height_m: float) -> FloatArray:
    """Pelvis-frame points ``(N, 3)`` (fractions of stature) to world metres ``(N, 3)`` at one instant."""
    return np.asarray(origin + height_m * local_h @ axes, dtype=np.float64)


ASIS_FRONT_H, ASIS_LATERAL_H = 0.035, 0.055


def side_local(side: str) -> FloatArray:
    """``(2, 3)`` pelvis-frame points (fractions of stature) of ``side``'s ASIS and PSIS stickers."""
    s = 1.0 if side == "left" else -1.0
    psis = on_back(np.array([s * PSIS_LATERAL_H]), np.array([PSIS_UP_H]))[0]
    return np.stack([np.array([ASIS_FRONT_H, s * ASIS_LATERAL_H, PSIS_UP_H]), psis])


def asis_psis_world(pose: RunnerPose, height_m: float, side: str) -> FloatArray:
    """``(T, 2, 3)`` world positions (metres) of ``side``'s ASIS and PSIS sticker centres."""
    origin, axes = pelvis_axes(pose.joints, pose.pelvic_tilt)
    return np.asarray(origin[:, None, :] + height_m * np.einsum("nk,tkj->tnj", side_local(side), axes))


def psis_world(pose: RunnerPose, height_m: float) -> FloatArray:
    """``(T, 2, 3)`` world positions (metres) of the left and right PSIS sticker centres."""
    origin, axes = pelvis_axes(pose.joints, pose.pelvic_tilt)
    local = on_back(np.array([PSIS_LATERAL_H, -PSIS_LATERAL_H]), np.full(2, PSIS_UP_H))
    return np.asarray(origin[:, None, :] + height_m * np.einsum("nk,tkj->tnj", local, axes))


def true_obliquity_deg(pose: RunnerPose) -> FloatArray:
    """``(T,)`` pelvic obliquity (deg) in the frontal plane, + when the left hip is higher."""
    d = pose.joint("left_hip") - pose.joint("right_hip")
    return np.asarray(np.degrees(np.arctan2(d[:, 2], np.hypot(d[:, 0], d[:, 1]))))


class PelvisClothing:
    """The pelvis-rigid details of one clip: waistband, printed spots and stickers.

    Args:
        height_m: stature (all sizes scale with it).
        textured: draw the waistband and the printed spots.
        stickers: a subset of :data:`STICKERS`.
        seed: fixes the spot pattern (the same in every frame: it is printed on the shorts).
        palette_shorts: the shorts' colour, which the spots vary.
    """

    def __init__(self, height_m: float, *, textured: bool, stickers: tuple[str, ...], seed: int,
                 palette_shorts: RGB) -> None:
        unknown = set(stickers) - set(STICKERS)
        if unknown:
            raise ValueError(f"stickers: expected a subset of {STICKERS}, got {sorted(unknown)}")
        self.h, self.textured, self.stickers = height_m, textured, tuple(stickers)
        rng = np.random.default_rng([seed, 19])
        n = 70
        self.spot_lat = rng.uniform(-0.075, 0.075, n)
        self.spot_up = rng.uniform(-0.035, 0.064, n)
        self.spot_r = rng.uniform(0.003, 0.007, n)
        self.spot_colour = [shade(palette_shorts, float(f)) for f in rng.uniform(0.45, 1.3, n)]

    def parts(self, pose: RunnerPose, i: int, cam: Camera) -> list[Part]:
        """The details visible at frame ``i`` (empty when the back of the pelvis faces away)."""
        origin, axes = pelvis_axes(pose.joints[i], None if pose.pelvic_tilt is None else pose.pelvic_tilt[i])
        fwd, up = axes[0], axes[2]
        out: list[Part] = []
        if "asis_psis" in self.stickers:
            out += self._side(pose, i, cam, axes)
        if visible(origin - 0.06 * self.h * fwd, -fwd, cam, min_cos=0.3):
            if self.textured:
                out += self._waistband(origin, axes) + self._spots(origin, axes, -fwd, up)
            if "psis" in self.stickers:
                for c in psis_world(_one(pose, i), self.h)[0]:
                    out.append(Flat(STICKER_WHITE, points=disc(c, -fwd, up, STICKER_RADIUS_H * self.h,
                                                             STICKER_RADIUS_H * self.h)))
        return out

    def _side(self, pose: RunnerPose, i: int, cam: Camera, axes: FloatArray) -> list[Part]:
        out: list[Part] = []
        r = STICKER_RADIUS_H * self.h
        for side, s in (("left", 1.0), ("right", -1.0)):
            pts = asis_psis_world(_one(pose, i), self.h, side)[0]
            for c, f in zip(pts, (0.5, -0.5), strict=True):
                normal = f * axes[0] + s * axes[1]
                if visible(c, normal, cam, min_cos=0.2):
                    out.append(Flat(STICKER_WHITE, points=disc(c, normal, axes[2], r, r)))
        return out

    def _waistband(self, origin: FloatArray, axes: FloatArray) -> list[Part]:
        lat = np.linspace(-WAIST_HALF_WIDTH_H, WAIST_HALF_WIDTH_H, 15)
        top = on_back(lat, np.full_like(lat, WAIST_TOP_H))
        bottom = on_back(lat[::-1], np.full_like(lat, WAIST_BOTTOM_H))
        band = to_world(np.concatenate([top, bottom]), origin, axes, self.h)
        mid = (WAIST_TOP_H + WAIST_BOTTOM_H) / 2
        stripe = np.concatenate([on_back(lat, np.full_like(lat, mid + 0.002)),
                                 on_back(lat[::-1], np.full_like(lat, mid - 0.002))])
        return [Flat(_WAISTBAND, points=band),
                Flat((200, 200, 205), points=to_world(stripe, origin, axes, self.h))]

    def _spots(self, origin: FloatArray, axes: FloatArray, normal: FloatArray, up: FloatArray) -> list[Part]:
        centres = to_world(on_back(self.spot_lat, self.spot_up), origin, axes, self.h)
        return [Flat(col, points=disc(c, normal, up, r * self.h, 0.7 * r * self.h))
                for c, r, col in zip(centres, self.spot_r, self.spot_colour, strict=True)]

    def heel_parts(self, pose: RunnerPose, i: int, cam: Camera, side: str) -> list[Part]:
        """The heel sticker of ``side``'s shoe at frame ``i`` (drawn with that leg), if any and visible."""
        out: list[Part] = []
        if "heels" in self.stickers:
            heel, toe = pose.joints[i, _J[f"{side}_heel"]], pose.joints[i, _J[f"{side}_foot_index"]]
            ankle = pose.joints[i, _J[f"{side}_ankle"]]
            back = (heel - toe) / np.linalg.norm(heel - toe)
            up = ankle - heel - np.dot(ankle - heel, back) * back
            up = up / np.linalg.norm(up)
            c = heel + 0.03 * self.h * up + 0.004 * self.h * back
            if visible(c, back, cam, min_cos=0.2):
                r = STICKER_RADIUS_H * self.h
                out.append(Flat(STICKER_HEEL, points=disc(c, back, up, r, r)))
        return out


def _one(pose: RunnerPose, i: int) -> RunnerPose:
    tilt = None if pose.pelvic_tilt is None else pose.pelvic_tilt[i:i + 1]
    return RunnerPose(t_s=pose.t_s[i:i + 1], joints=pose.joints[i:i + 1], head_axes=pose.head_axes[i:i + 1],
                      trunk_up=pose.trunk_up[i:i + 1], stance=pose.stance[i:i + 1], pelvic_tilt=tilt)
