"""Background of a phantom frame: a textured wall and floor, and a treadmill.

Images are ``(H, W, 3)`` uint8 **RGB**. The wall stands 3 m behind the runner,
perpendicular to the optical axis; the floor is the plane z = 0 (overground) or
z = -0.2 m (treadmill: the belt's top surface, z = 0, is what the runner stands on).
Treadmill belt marks move backward at ``speed_mps`` so the belt motion is visible.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from formcam.phantom.camera import Camera, CameraRig

RGB = tuple[int, int, int]
Image = NDArray[np.uint8]
DECK_HEIGHT_M = 0.2
_WALL_BEHIND_M = 3.0
_BELT = (-0.95, 0.75, -0.27, 0.27)  # x0, x1, y0, y1 of the belt top relative to the hip midpoint
_BELT_MARK_SPACING_M = 0.35


@dataclass(frozen=True)
class Palette:
    """Colours (RGB) of the scene and the runner; ``far_shade`` darkens the far-side limbs in side views."""

    skin: RGB = (224, 172, 138)
    shirt: RGB = (200, 38, 42)
    shorts: RGB = (30, 42, 92)
    shoe: RGB = (238, 238, 238)
    shoe_accent: RGB = (30, 130, 210)
    sole: RGB = (50, 50, 56)
    sock: RGB = (246, 246, 246)
    hair: RGB = (58, 38, 26)
    eye_white: RGB = (248, 248, 248)
    iris: RGB = (60, 40, 28)
    lips: RGB = (176, 84, 84)
    wall: RGB = (198, 204, 210)
    floor: RGB = (148, 138, 126)
    belt: RGB = (46, 46, 50)
    belt_mark: RGB = (96, 96, 100)
    deck: RGB = (118, 120, 128)
    far_shade: float = 0.8


def shade(colour: RGB, factor: float) -> RGB:
    """``colour`` scaled by ``factor`` (> 1 lightens toward white), clipped to 0..255."""
    if factor <= 1.0:
        return (int(colour[0] * factor), int(colour[1] * factor), int(colour[2] * factor))
    k = factor - 1.0
    return tuple(int(c + (255 - c) * k) for c in colour)  # type: ignore[return-value]


def fill_poly(img: Image, xy: NDArray[np.float64], colour: RGB, *, outline: RGB | None = None) -> None:
    """Fill the polygon ``xy`` ``(N, 2)`` pixels, anti-aliased with sub-pixel vertices."""
    if len(xy) < 3 or not np.all(np.isfinite(xy)):
        return
    pts = np.round(xy * 16.0).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(img, [pts], colour, lineType=cv2.LINE_AA, shift=4)
    if outline is not None:
        cv2.polylines(img, [pts], True, outline, 1, lineType=cv2.LINE_AA, shift=4)


class Background:
    """Draws the wall, floor and (treadmill) the belt for each frame of one clip."""

    def __init__(
        self,
        rig: CameraRig,
        *,
        setting: str,
        runner_x_m: float,
        belt_speed_mps: float,
        palette: Palette,
        seed: int,
    ) -> None:
        self.rig, self.setting, self.palette = rig, setting, palette
        self.belt_speed_mps = belt_speed_mps
        cam = rig.base
        self.wall_depth = float(cam.to_camera(np.array([runner_x_m, 0.0, 0.0]))[2]) + _WALL_BEHIND_M
        floor_z = -DECK_HEIGHT_M if setting == "treadmill" else 0.0
        self.floor_row = cam.height / 2.0 + cam.focal_px * (cam.position_m[2] - floor_z) / self.wall_depth
        rng = np.random.default_rng(seed)
        w, h = cam.width, cam.height
        self.margin = w  # texture is tiled horizontally for a moving camera
        small = rng.normal(0.0, 1.0, (max(h // 8, 2), max((w + self.margin) // 8, 2))).astype(np.float32)
        tex = np.asarray(cv2.resize(small, (w + self.margin, h), interpolation=cv2.INTER_CUBIC), np.float32)
        tex = np.asarray(cv2.GaussianBlur(tex, (0, 0), 3.0), dtype=np.float32)
        fine = cv2.GaussianBlur(rng.normal(0.0, 1.0, (h, w + self.margin)).astype(np.float32), (0, 0), 0.8)
        base = np.empty((h, w + self.margin, 3), np.float32)
        rows = np.arange(h)[:, None]
        wall = rows < self.floor_row
        for c in range(3):
            base[..., c] = np.where(wall, palette.wall[c], palette.floor[c])
        grain = np.where(wall, 5.0 * tex + 2.0 * fine, 9.0 * tex + 5.0 * fine)
        base += grain[..., None]
        # Vertical wall panel joints every 1.2 m, and the skirting line.
        step_px = max(int(cam.focal_px * 1.2 / self.wall_depth), 8)
        for x in range(0, w + self.margin, step_px):
            base[: int(self.floor_row), x : x + 2] -= 14.0
        fr = int(self.floor_row)
        base[max(fr - 3, 0) : fr + 1] = np.array(shade(palette.wall, 0.75), np.float32)
        self.texture = np.clip(base, 0, 255).astype(np.uint8)

    def draw(self, camera: Camera, t_s: float) -> Image:
        """A fresh background image for the frame at ``t_s`` seen by ``camera``."""
        w = camera.width
        shift = round(
            float(camera.focal_px * (camera.position_m[0] - self.rig.base.position_m[0]) / self.wall_depth)
        )
        if self.rig.view in ("rear", "front"):
            shift = 0
        start = shift % self.margin
        img = np.ascontiguousarray(self.texture[:, start : start + w])
        if self.setting == "treadmill":
            self._treadmill(img, camera, t_s)
        return img

    def _box(
        self,
        img: Image,
        cam: Camera,
        lo: tuple[float, float, float],
        hi: tuple[float, float, float],
        colour: RGB,
    ) -> None:
        """Draw the visible faces of an axis-aligned box (world metres)."""
        x = (lo[0], hi[0])
        y = (lo[1], hi[1])
        z = (lo[2], hi[2])
        faces = [(0, 0, -1.0), (0, 1, 1.0), (1, 0, -1.0), (1, 1, 1.0), (2, 0, -1.0), (2, 1, 1.0)]
        light = {0: 0.9, 1: 0.8, 2: 1.08}
        for axis, end, sgn in faces:
            corners = []
            a, b = [i for i in range(3) if i != axis]
            for u, v in ((0, 0), (0, 1), (1, 1), (1, 0)):
                p = [0.0, 0.0, 0.0]
                p[axis] = (x, y, z)[axis][end]
                p[a] = (x, y, z)[a][u]
                p[b] = (x, y, z)[b][v]
                corners.append(p)
            pts = np.array(corners)
            normal = np.zeros(3)
            normal[axis] = sgn
            if np.dot(normal, cam.position_m - pts.mean(axis=0)) <= 0:
                continue
            xy, depth = cam.project(pts)
            if np.all(depth > 0.05):
                fill_poly(img, xy, shade(colour, light[axis] if sgn > 0 or axis != 2 else 0.6))

    def _treadmill(self, img: Image, cam: Camera, t_s: float) -> None:
        p, d = self.palette, DECK_HEIGHT_M
        x0, x1, y0, y1 = _BELT
        self._box(img, cam, (x0 - 0.05, y0 - 0.09, -d), (x1 + 0.25, y1 + 0.09, -0.005), p.deck)
        belt = np.array([[x0, y0, 0.0], [x1, y0, 0.0], [x1, y1, 0.0], [x0, y1, 0.0]])
        xy, _ = cam.project(belt)
        fill_poly(img, xy, p.belt)
        speed = self.belt_speed_mps
        length = x1 - x0
        for k in range(int(length / _BELT_MARK_SPACING_M) + 1):
            xm = x0 + (k * _BELT_MARK_SPACING_M - speed * t_s) % length
            seg = np.array([[xm, y0, 0.0], [xm + 0.03, y0, 0.0], [xm + 0.03, y1, 0.0], [xm, y1, 0.0]])
            sxy, _ = cam.project(seg)
            fill_poly(img, sxy, p.belt_mark)
        for side in (-1.0, 1.0):  # side rails, just above the belt
            ya, yb = (y1, y1 + 0.09) if side > 0 else (y0 - 0.09, y0)
            self._box(img, cam, (x0 - 0.05, ya, -0.02), (x1 + 0.25, yb, 0.012), shade(p.deck, 1.1))
        self._box(img, cam, (x1, y0 - 0.09, -0.02), (x1 + 0.28, y1 + 0.09, 0.12), shade(p.deck, 0.7))
        if self.rig.view != "front":  # the console would hide a front-view runner's chest
            for ys in (y0 - 0.07, y1 + 0.03):
                self._box(img, cam, (x1 + 0.18, ys, 0.0), (x1 + 0.23, ys + 0.04, 1.12), shade(p.deck, 0.8))
            self._box(img, cam, (x1 + 0.12, y0 - 0.1, 1.05), (x1 + 0.3, y1 + 0.1, 1.2), shade(p.deck, 0.55))
