"""Synthetic image sequences for the foot-motion tests: a textured block (the shoe) that lands
on a textured belt moving left, rides it, and lifts off; known contact and toe-off times.

Frame ``i`` shows time ``i`` (in frames). Before ``ic`` the block moves relative to the belt
at ``approach`` px/frame (forward and down); after ``to`` it accelerates away (a ramp of
``lift`` px/frame per frame). Keypoints: heel = bottom-left corner, toe = bottom-right,
ankle = above the heel. The other foot is a second block held high in the air.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from formcam.series import BLAZEPOSE_KEYPOINTS, PoseSeries

W, H, GROUND_Y = 320, 240, 170
FOOT_W, FOOT_H = 48, 20


@dataclass(frozen=True)
class BlockClip:
    frames: list[NDArray[np.uint8]]
    series: PoseSeries
    ic: float
    to: float


def _texture(rng: np.random.Generator, h: int, w: int, sigma: float = 1.5) -> NDArray[np.float32]:
    t = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), sigma)
    return np.asarray(128 + 40 * t / (t.std() + 1e-6), dtype=np.float32)


def block_x_y(tau: float, *, ic: float, to: float, belt: float, x_ic: float,
              approach: tuple[float, float], lift: tuple[float, float]) -> tuple[float, float]:
    """Bottom-left corner of the block at time ``tau`` (frames)."""
    if tau < ic:
        d = ic - tau
        return x_ic + (belt + approach[0]) * -d, GROUND_Y - approach[1] * d
    x_to = x_ic + belt * (to - ic)
    if tau <= to:
        return x_ic + belt * (tau - ic), float(GROUND_Y)
    d = tau - to
    return x_to + belt * d + lift[0] * d * d / 2, GROUND_Y - lift[1] * d * d / 2


def block_pitch_deg(tau: float, *, ic: float, strike_deg: float, flat_frames: float) -> float:
    """The block's pitch (deg, + toes up) at ``tau``: ``strike_deg`` until the contact, then
    rotating about the heel at a constant rate to flat over ``flat_frames``."""
    if tau <= ic:
        return strike_deg
    return strike_deg * max(0.0, 1.0 - (tau - ic) / flat_frames)


def _pitched(x: float, y: float, pitch_deg: float) -> NDArray[np.float32]:
    """Affine map of the block's pixels with its bottom-left corner (the heel) at ``(x, y)``,
    pitched ``pitch_deg`` toes up about it."""
    c, s = np.cos(np.radians(pitch_deg)), np.sin(np.radians(pitch_deg))
    return np.float32([[c, s, x - s * FOOT_H], [-s, c, y - c * FOOT_H]])


def make_block_clip(*, n: int = 40, ic: float = 12.4, to: float = 27.6, belt: float = -3.0,
                    approach: tuple[float, float] = (4.0, 2.5), lift: tuple[float, float] = (1.2, 0.8),
                    blur: bool = True, noise: float = 2.0, occlude: tuple[int, int] | None = None,
                    seed: int = 0, fps: float = 60.0, strike_deg: float = 0.0,
                    flat_frames: float = 3.0, kp_inset: float = 0.0) -> BlockClip:
    """The clip (RGB frames), the runner's series (feet keypoints only) and the true events.

    ``occlude``: frames ``[a, b)`` in which a static textured board hides the foot's area.
    ``strike_deg``: the block lands pitched toes up and rotates about its heel to flat over
    ``flat_frames`` after the contact (a heel strike; the heel keeps the ground's motion).
    ``kp_inset``: the heel and toe keypoints sit this fraction of the block's length inside
    its ends (as a pose model puts them inside the shoe's outline).
    """
    rng = np.random.default_rng(seed)
    wall = _texture(rng, GROUND_Y, W)
    belt_tex = _texture(rng, H - GROUND_Y, 4 * W)
    block = _texture(rng, FOOT_H, FOOT_W, 1.0) * 0.6 + 30
    board = _texture(rng, 90, 140)
    x_ic = 170.0
    kw = {"ic": ic, "to": to, "belt": belt, "x_ic": x_ic, "approach": approach, "lift": lift}
    frames, xy = [], np.full((n, len(BLAZEPOSE_KEYPOINTS), 2), np.nan)
    idx = {name: BLAZEPOSE_KEYPOINTS.index(name) for name in BLAZEPOSE_KEYPOINTS}
    for i in range(n):
        subs = [i + d for d in np.linspace(-0.25, 0.25, 5)] if blur else [float(i)]
        acc = np.zeros((H, W), np.float32)
        for tau in subs:
            img = np.empty((H, W), np.float32)
            img[:GROUND_Y] = wall
            shift = round(-belt * tau) % W  # belt moves left by |belt| px per frame
            img[GROUND_Y:] = belt_tex[:, shift:shift + W]
            x, y = block_x_y(tau, **kw)
            m = _pitched(x, y, block_pitch_deg(tau, ic=ic, strike_deg=strike_deg, flat_frames=flat_frames))
            warped = cv2.warpAffine(block, m, (W, H), flags=cv2.INTER_LINEAR, borderValue=-1.0)
            mask = cv2.warpAffine(np.ones_like(block), m, (W, H), flags=cv2.INTER_LINEAR)
            img = img * (1 - mask) + np.where(warped < 0, 0, warped) * mask
            img[20:20 + FOOT_H, 60:60 + FOOT_W] = block  # the other foot, in the air
            acc += img / len(subs)
        if occlude is not None and occlude[0] <= i < occlude[1]:
            acc[GROUND_Y - 70:GROUND_Y + 20, 130:270] = board
        acc += rng.normal(0, noise, acc.shape).astype(np.float32)
        frames.append(np.repeat(np.clip(acc, 0, 255).astype(np.uint8)[..., None], 3, axis=2))
        x, y = block_x_y(float(i), **kw)
        a = _pitched(x, y, block_pitch_deg(float(i), ic=ic, strike_deg=strike_deg, flat_frames=flat_frames))
        xy[i, idx["right_heel"]] = a @ (kp_inset * FOOT_W, FOOT_H, 1.0)
        xy[i, idx["right_foot_index"]] = a @ ((1 - kp_inset) * FOOT_W, FOOT_H, 1.0)
        xy[i, idx["right_ankle"]] = a @ (10.0, 0.0, 1.0)
        xy[i, idx["left_heel"]] = (60, 20 + FOOT_H)
        xy[i, idx["left_foot_index"]] = (60 + FOOT_W, 20 + FOOT_H)
        xy[i, idx["left_ankle"]] = (70, 20)
    score = np.where(np.isfinite(xy[..., 0]), 1.0, 0.0)
    series = PoseSeries(xy=xy, score=score, t_s=np.arange(n) / fps, keypoints=BLAZEPOSE_KEYPOINTS,
                        width=W, height=H, fps=fps)
    return BlockClip(frames, series, ic, to)
