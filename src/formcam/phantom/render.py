"""Draw the phantom runner with OpenCV: filled 3D volumes, painter's algorithm, a face.

Every body part is the convex hull of a few spheres (a tapered capsule for a limb
segment, several spheres for the torso, pelvis and shoes) or of an ellipsoid (head,
hair). Each volume is sampled on its surface in 3D and projected with the exact
pinhole model, so perspective and foreshortening are right; the filled convex hull
of the projected samples is the part's silhouette. Parts are grouped (torso,
head, each leg, each arm); groups are drawn far to near by mean depth, and parts
within a group in a fixed order (skin, then clothes, then shoes); each arm's skin
is one seamless silhouette (:class:`~formcam.phantom.volumes.Limb`). Each part gets a
lighter inner highlight so limbs read as volumes; in side views the far-side
limbs are darker. The face (eyes with irises and brows, nose, lips, ears) is drawn
where its surface normal faces the camera; hair covers the back and top of the
head, so rear views show hair.

Images are ``(H, W, 3)`` uint8 RGB.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from formcam.phantom.camera import Camera
from formcam.phantom.clothing import PelvisClothing
from formcam.phantom.scene import Image, Palette, shade
from formcam.phantom.skeleton import JOINTS, RunnerPose
from formcam.phantom.volumes import Flat, Limb, Part, capsule, disc, ellipsoid, sphere_dirs, visible

FloatArray = NDArray[np.float64]
_J = {name: i for i, name in enumerate(JOINTS)}
# Radii as fractions of height (drawing only).
_R: dict[str, float] = {"knee": 0.031, "calf": 0.036, "ankle": 0.018, "fist": 0.021, "neck": 0.028}
_R2: dict[str, tuple[float, float]] = {
    "thigh": (0.05, 0.033),
    "shorts": (0.05, 0.044),
    "upper_arm": (0.025, 0.02),
    "forearm": (0.019, 0.015),
    "sleeve": (0.027, 0.024),
}


def body_groups(
    pose: RunnerPose, i: int, height_m: float, cam: Camera, view: str, palette: Palette, *,
    tucked: bool = False,
) -> list[tuple[float, list[Part]]]:
    """The runner's parts at frame ``i`` of ``pose``, as ``(depth, parts)`` groups (unsorted):
    left leg, left arm, right leg, right arm, torso, head. ``tucked``: the shirt ends 0.085 h
    above the hip joints (tucked into the shorts, so a waistband shows from behind)."""
    j = pose.joints[i]
    h = height_m

    def p(name: str) -> FloatArray:
        return np.asarray(j[_J[name]])

    def depth(*names: str) -> float:
        return float(np.mean(cam.to_camera(np.stack([p(n) for n in names]))[:, 2]))

    far = {"side_right": "left", "side_left": "right"}.get(view)
    groups: list[tuple[float, list[Part]]] = []
    for side in ("left", "right"):
        k = palette.far_shade if side == far else 1.0
        hip, knee, ankle, heel, toe = (
            p(f"{side}_{n}") for n in ("hip", "knee", "ankle", "heel", "foot_index")
        )
        along = (toe - heel) / np.linalg.norm(toe - heel)
        up = ankle - heel - np.dot(ankle - heel, along) * along
        up = up / np.linalg.norm(up)
        leg = [
            # Separate thigh and shank outlines (a knee line) are detected better from behind
            # than one seamless leg silhouette (measured: 100 % vs 97 % of rear-view frames).
            Part(shade(palette.skin, k), *capsule(hip, knee, _R2["thigh"][0] * h, _R2["thigh"][1] * h)),
            Part(
                shade(palette.shorts, k),
                *capsule(hip, hip + 0.3 * (knee - hip), _R2["shorts"][0] * h, _R2["shorts"][1] * h),
            ),
            Part(
                shade(palette.skin, k),
                *capsule(knee, ankle, _R["knee"] * h, _R["ankle"] * h, mid=(0.28, _R["calf"] * h)),
            ),
            Part(shade(palette.sock, k), *capsule(ankle + 0.05 * h * up, ankle, 0.02 * h, 0.021 * h)),
            Part(
                shade(palette.shoe, k),
                np.stack(
                    [
                        heel + 0.02 * h * up + 0.012 * h * along,
                        ankle,
                        heel + 0.7 * (toe - heel) + 0.017 * h * up,
                        toe + 0.01 * h * up - 0.008 * h * along,
                    ]
                ),
                np.array([0.021, 0.02, 0.02, 0.011]) * h,
            ),
            Part(
                shade(palette.shoe_accent, k),
                *capsule(
                    heel + 0.02 * h * up + 0.3 * (toe - heel),
                    heel + 0.02 * h * up + 0.6 * (toe - heel),
                    0.012 * h,
                    0.012 * h,
                ),
                highlight=False,
            ),
            Part(
                shade(palette.sole, k),
                *capsule(
                    heel + 0.006 * h * up + 0.01 * h * along,
                    toe + 0.005 * h * up - 0.006 * h * along,
                    0.007 * h,
                    0.005 * h,
                ),
                highlight=False,
            ),
        ]
        groups.append((depth(f"{side}_hip", f"{side}_knee", f"{side}_ankle"), leg))
        sh, el, wr = p(f"{side}_shoulder"), p(f"{side}_elbow"), p(f"{side}_wrist")
        fist = wr + 0.35 * (p(f"{side}_index") - wr)
        arm = [
            Limb(
                shade(palette.skin, k),
                [
                    capsule(sh, el, _R2["upper_arm"][0] * h, _R2["upper_arm"][1] * h),
                    capsule(el, wr, _R2["forearm"][0] * h, _R2["forearm"][1] * h),
                ],
            ),
            Part(
                shade(palette.shirt, k),
                *capsule(sh, sh + 0.42 * (el - sh), _R2["sleeve"][0] * h, _R2["sleeve"][1] * h),
            ),
            Part(shade(palette.skin, k * 0.95), np.stack([wr, fist]), np.array([0.016, _R["fist"]]) * h),
        ]
        groups.append((depth(f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist"), arm))
    up = pose.trunk_up[i]
    mid_hip, mid_sh = p("mid_hip"), p("mid_shoulder")
    lh, rh, ls, rs = p("left_hip"), p("right_hip"), p("left_shoulder"), p("right_shoulder")
    hem = (0.15, 0.13) if tucked else (0.11, 0.06)  # the shirt's lower centre and side spheres, x h
    torso = [
        Part(
            palette.shorts,
            np.stack([lh, rh, mid_hip + 0.07 * h * up, mid_hip - 0.01 * h * up]),
            np.array([0.056, 0.056, 0.064, 0.06]) * h,
        ),
        Part(
            palette.shirt,
            np.stack(
                [
                    ls - 0.012 * h * up,
                    rs - 0.012 * h * up,
                    mid_sh - 0.07 * h * up,
                    mid_hip + hem[0] * h * up,
                    mid_hip + hem[1] * h * up + 0.75 * (lh - mid_hip),
                    mid_hip + hem[1] * h * up + 0.75 * (rh - mid_hip),
                ]
            ),
            np.array([0.04, 0.04, 0.066, 0.06, 0.045, 0.045]) * h,
        ),
        Part(
            palette.skin,
            *capsule(
                mid_sh - 0.01 * h * up,
                p("head_centre") - 0.04 * h * pose.head_axes[i, 2],
                _R["neck"] * h,
                _R["neck"] * h,
            ),
            highlight=False,
        ),
    ]
    torso_depth = depth("left_hip", "right_hip", "left_shoulder", "right_shoulder")
    groups.append((torso_depth, torso))
    groups.append((torso_depth - 1e-6, _head_parts(j, pose.head_axes[i], h, cam, palette)))
    return groups


def _head_parts(j: FloatArray, axes: FloatArray, h: float, cam: Camera, palette: Palette) -> list[Part]:
    fwd, left, up = axes
    centre = j[_J["head_centre"]]
    semi = (0.056 * h, 0.044 * h, 0.065 * h)
    d = sphere_dirs(160)
    skin = Part(palette.skin, points=ellipsoid(centre, axes, semi), highlight=False)
    back = Part(
        palette.hair,
        points=ellipsoid(centre, axes, (semi[0] * 1.06, semi[1] * 1.07, semi[2] * 1.05), keep=d[:, 0] < 0.12),
        highlight=False,
    )
    top = Part(
        palette.hair,
        points=ellipsoid(
            centre + 0.004 * h * up,
            axes,
            (semi[0] * 1.05, semi[1] * 1.07, semi[2] * 1.04),
            keep=(d[:, 2] > 0.55) & (d[:, 0] < 0.75),
        ),
        highlight=False,
    )
    faces_cam = visible(centre, fwd, cam, min_cos=0.0)
    parts = [back, skin, top] if faces_cam else [skin, back, top]
    for side, s in (("left", 1.0), ("right", -1.0)):
        ear = j[_J[f"{side}_ear"]]
        if visible(ear, s * left, cam):
            parts.append(Flat(shade(palette.skin, 0.88), points=disc(ear, s * left, up, 0.012 * h, 0.02 * h)))
        eye = j[_J[f"{side}_eye"]]
        normal = 0.75 * fwd + 0.55 * s * left
        if visible(eye, normal, cam):
            parts.append(Flat(palette.eye_white, points=disc(eye, normal, up, 0.0115 * h, 0.0062 * h)))
            parts.append(
                Flat(palette.iris, points=disc(eye + 0.001 * h * normal, normal, up, 0.0058 * h, 0.0058 * h))
            )
            brow = eye + 0.016 * h * up + 0.002 * h * fwd
            parts.append(Flat(palette.hair, points=disc(brow, normal, up, 0.013 * h, 0.0028 * h)))
    mouth_c = 0.5 * (j[_J["mouth_left"]] + j[_J["mouth_right"]])
    if visible(mouth_c, fwd, cam):
        ml, mr = j[_J["mouth_left"]], j[_J["mouth_right"]]
        lip = [ml, mouth_c + 0.006 * h * up + 0.003 * h * fwd, mr, mouth_c - 0.007 * h * up + 0.003 * h * fwd]
        parts.append(Flat(palette.lips, points=np.stack(lip)))
    if visible(centre, fwd, cam, min_cos=-0.35):
        root = centre + 0.98 * semi[0] * fwd + 0.05 * semi[2] * up
        parts.append(
            Part(
                shade(palette.skin, 0.93),
                *capsule(root, j[_J["nose"]], 0.007 * h, 0.009 * h),
                highlight=False,
            )
        )
    return parts


def draw_runner(
    img: Image, pose: RunnerPose, i: int, cam: Camera, *, view: str, height_m: float, palette: Palette,
    clothing: PelvisClothing | None = None,
) -> None:
    """Draw frame ``i`` of ``pose`` onto ``img`` (in place), far groups first.

    ``clothing``: pelvis-rigid details and stickers (:mod:`formcam.phantom.clothing`). The
    pelvis details are drawn in front of both legs (the back of the pelvis is above them, where
    the legs' capsules would otherwise cover it) but behind an arm that is nearer; heel stickers
    are drawn with their leg.
    """
    tucked = clothing is not None and clothing.textured
    groups = body_groups(pose, i, height_m, cam, view, palette, tucked=tucked)
    if clothing is not None:
        for k, side in ((0, "left"), (2, "right")):
            groups[k][1].extend(clothing.heel_parts(pose, i, cam, side))
        extra = clothing.parts(pose, i, cam)
        if extra:
            groups.append((min(groups[0][0], groups[2][0], groups[4][0]) - 1e-6, extra))
    for _, parts in sorted(groups, key=lambda g: -g[0]):
        for part in parts:
            part.draw(img, cam)
