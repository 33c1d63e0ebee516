"""Pinhole cameras looking at the phantom runner.

A camera sits at the runner's mean hip height with a horizontal optical axis (so
vertical lines stay vertical in the image, and an angle against vertical in the
image equals the angle in the plane facing the camera) and no lens distortion.
Image coordinates are pixels, origin at the top-left pixel corner, x right, y down.

Views (world frame: x forward, y left, z up):

* ``side_right``: camera on the runner's right, looking along +y; the runner faces image-right.
* ``side_left``: camera on the runner's left, looking along -y; the runner faces image-left.
* ``rear``: camera behind, looking along +x; the runner's right is on the image right.
* ``front``: camera ahead, looking along -x; the runner's left is on the image right.

Focal length: from ``hfov_deg`` when given, else that of a 60 degree field of view
across the frame's *long* side (a phone's main camera held either way). Distance:
the runner's standing height fills ``fill_fraction`` of the frame height.

Camera motion (``CameraRig.follow_mps``): a treadmill runner stays put, so the camera
is static. Overground, ``static`` keeps the camera fixed (side views: it is moved back
until the whole run of the clip fits in 90 % of the frame width, centred on the
clip's middle, so the runner passes through the frame and looks smaller in long
clips); ``follow`` moves the camera with the runner at the running speed (a
tracking shot: the runner stays centred, the background scrolls). With ``follow``,
the runner's pixel motion is that of a treadmill runner, so pose-only analysis
cannot tell it from one; ``auto`` therefore picks ``static`` for side views and
``follow`` for rear and front views (a runner moving away from a static rear
camera would shrink within seconds).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
VIEWS: tuple[str, ...] = ("side_right", "side_left", "rear", "front")
CAMERA_MOTIONS: tuple[str, ...] = ("auto", "static", "follow")
_LOOK = {"side_right": (0.0, 1.0), "side_left": (0.0, -1.0), "rear": (1.0, 0.0), "front": (-1.0, 0.0)}


@dataclass(frozen=True)
class Camera:
    """A pinhole camera.

    Attributes:
        position_m: ``(3,)`` centre of projection in the world frame, metres.
        rotation: ``(3, 3)`` world-to-camera rotation; rows are the camera's right,
            down and forward (optical axis) unit vectors in world coordinates.
        focal_px: focal length in pixels (square pixels).
        width, height: image size in pixels; the principal point is the image centre.
    """

    position_m: FloatArray
    rotation: FloatArray
    focal_px: float
    width: int
    height: int

    def to_camera(self, points_m: FloatArray) -> FloatArray:
        """``(..., 3)`` world points to camera coordinates (right, down, forward), metres."""
        return np.asarray((np.asarray(points_m) - self.position_m) @ self.rotation.T, dtype=np.float64)

    def project(self, points_m: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Project ``(..., 3)`` world points: pixels ``(..., 2)`` and depth ``(...)`` in metres."""
        c = self.to_camera(points_m)
        depth = c[..., 2]
        xy = np.stack(
            [
                self.focal_px * c[..., 0] / depth + self.width / 2.0,
                self.focal_px * c[..., 1] / depth + self.height / 2.0,
            ],
            axis=-1,
        )
        return xy, depth

    def translated(self, dx_m: float) -> Camera:
        """The same camera moved ``dx_m`` metres along world x."""
        return Camera(
            self.position_m + np.array([dx_m, 0.0, 0.0]),
            self.rotation,
            self.focal_px,
            self.width,
            self.height,
        )


@dataclass(frozen=True)
class CameraRig:
    """A camera that is static or tracks the runner along x.

    Attributes:
        view: one of :data:`VIEWS`.
        base: the camera at time 0.
        follow_mps: camera speed along world x (0 for a static camera).
        motion: ``static`` or ``follow``.
    """

    view: str
    base: Camera
    follow_mps: float
    motion: str

    def at(self, t_s: float) -> Camera:
        """The camera at time ``t_s`` seconds."""
        return self.base.translated(self.follow_mps * t_s) if self.follow_mps else self.base

    def project(self, points_m: FloatArray, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Project ``(T, J, 3)`` points seen at times ``(T,)``: pixels ``(T, J, 2)``, depth ``(T, J)``."""
        shifted = np.array(points_m, dtype=np.float64)
        shifted[..., 0] -= (self.follow_mps * np.asarray(t_s))[:, None]
        return self.base.project(shifted)


def focal_length_px(width: int, height: int, hfov_deg: float | None = None) -> float:
    """Focal length in pixels from a horizontal field of view (default: 60 degrees across the long side)."""
    if hfov_deg is None:
        return max(width, height) / 2.0 / math.tan(math.radians(30.0))
    if not 5.0 <= hfov_deg <= 150.0:
        raise ValueError(f"hfov_deg must be in 5..150, got {hfov_deg}")
    return width / 2.0 / math.tan(math.radians(hfov_deg) / 2.0)


def make_rig(
    view: str,
    *,
    width: int,
    height: int,
    runner_height_m: float,
    hip_height_m: float,
    speed_mps: float,
    setting: str,
    duration_s: float,
    motion: str = "auto",
    fill_fraction: float = 0.68,
    hfov_deg: float | None = None,
) -> CameraRig:
    """Place a camera for ``view`` so that the runner fills ``fill_fraction`` of the frame height.

    Args:
        view: one of :data:`VIEWS`.
        width, height: image size in pixels.
        runner_height_m: standing height (sets the distance).
        hip_height_m: camera height (the runner's mean hip height).
        speed_mps, setting, duration_s: the run, for overground camera placement.
        motion: ``auto``, ``static`` or ``follow`` (see the module doc).
        fill_fraction: runner height / frame height for a static treadmill or follow camera.
        hfov_deg: horizontal field of view; ``None`` for the default (see :func:`focal_length_px`).
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    if motion not in CAMERA_MOTIONS:
        raise ValueError(f"camera motion must be one of {CAMERA_MOTIONS}, got {motion!r}")
    if not 0.1 <= fill_fraction <= 0.95:
        raise ValueError(f"fill_fraction must be in 0.1..0.95, got {fill_fraction}")
    f = focal_length_px(width, height, hfov_deg)
    overground = setting == "overground"
    if motion == "auto":
        motion = "static" if (not overground or view.startswith("side")) else "follow"
    distance = f * runner_height_m / (fill_fraction * height)
    centre_x = 0.0
    if overground and motion == "static":
        centre_x = 0.5 * speed_mps * duration_s
        if view.startswith("side"):
            travel_m = speed_mps * duration_s + 1.2
            distance = max(distance, f * travel_m / (0.9 * width))
            fraction = f * runner_height_m / distance / height
            if fraction < 0.3:
                log.warning(
                    "static overground side camera: the runner is only %.0f %% of the frame height "
                    "(shorten the clip or use camera motion 'follow')",
                    100 * fraction,
                )
        else:
            log.warning(
                "static overground %s camera: the runner's distance changes by %.1f m",
                view,
                speed_mps * duration_s,
            )
    lx, ly = _LOOK[view]
    forward = np.array([lx, ly, 0.0])
    down = np.array([0.0, 0.0, -1.0])
    right = np.cross(down, forward)
    position = np.array([centre_x - lx * distance, -ly * distance, hip_height_m])
    camera = Camera(position, np.stack([right, down, forward]), f, width, height)
    follow = speed_mps if (overground and motion == "follow") else 0.0
    return CameraRig(view=view, base=camera, follow_mps=follow, motion=motion)
