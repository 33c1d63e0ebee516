"""A phantom clip before encoding (:class:`PhantomClip`): its frames (drawn on demand, with
optional noise and motion blur), its true keypoints and its truth record / files (see
:mod:`formcam.phantom` for what the truth files hold)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.phantom.camera import CameraRig, make_rig
from formcam.phantom.clothing import (
    CLOTHING,
    PelvisClothing,
    asis_psis_world,
    psis_world,
    true_obliquity_deg,
)
from formcam.phantom.gait import PhantomParams
from formcam.phantom.render import draw_runner
from formcam.phantom.scene import Background, Palette
from formcam.phantom.skeleton import JOINTS, PhantomRunner, RunnerPose
from formcam.phantom.truth import METRIC_UNITS, event_truth, foot_truth, metric_truth, params_record
from formcam.series import BLAZEPOSE_KEYPOINTS

_BLUR_SUBFRAMES = 5


class PhantomClip:
    """A phantom clip before encoding: its frames, true keypoints and truth record.

    Args:
        params: the runner's kinematics.
        view: one of :data:`~formcam.phantom.camera.VIEWS`.
        fps: frame rate, 24..240; frame ``i`` shows time ``i / fps`` seconds.
        duration_s: clip length; ``round(duration_s * fps)`` frames.
        width, height: frame size in pixels (even; portrait when height > width).
        noise_sigma: standard deviation of Gaussian pixel noise in 8-bit levels (0 = none).
        motion_blur: average 5 sub-frames over a 180-degree shutter (half a frame
            interval, centred on the frame time).
        seed: seeds the background texture and the noise (same seed = same pixels).
        camera_motion: ``auto``, ``static`` or ``follow`` (see :mod:`formcam.phantom.camera`).
        fill_fraction: runner height / frame height for the default camera distance.
        hfov_deg: horizontal field of view; ``None`` = 60 degrees across the long side.
        clothing: ``plain`` or ``textured`` (a waistband and printed spots rigid with the
            pelvis, the shirt tucked in; :mod:`formcam.phantom.clothing`).
        stickers: a subset of :data:`~formcam.phantom.clothing.STICKERS` (``psis``, ``heels``): skin markers.
    """

    def __init__(
        self,
        params: PhantomParams,
        *,
        view: str,
        fps: float,
        duration_s: float,
        width: int,
        height: int,
        noise_sigma: float = 0.0,
        motion_blur: bool = False,
        seed: int = 0,
        camera_motion: str = "auto",
        fill_fraction: float = 0.68,
        hfov_deg: float | None = None,
        clothing: str = "plain",
        stickers: tuple[str, ...] = (),
    ) -> None:
        if clothing not in CLOTHING:
            raise ValueError(f"clothing: expected one of {CLOTHING}, got {clothing!r}")
        if not 24.0 <= fps <= 240.0:
            raise ValueError(f"fps must be in 24..240, got {fps}")
        if duration_s <= 0 or round(duration_s * fps) < 2:
            raise ValueError(f"duration_s must give at least 2 frames, got {duration_s}")
        if width % 2 or height % 2:
            raise ValueError(f"width and height must be even (yuv420p), got {width}x{height}")
        if noise_sigma < 0:
            raise ValueError(f"noise_sigma must be >= 0, got {noise_sigma}")
        self.params, self.view, self.fps = params, view, float(fps)
        self.width, self.height, self.noise_sigma = width, height, float(noise_sigma)
        self.motion_blur, self.seed = motion_blur, seed
        self.n_frames = round(duration_s * fps)
        self.runner = PhantomRunner(params)
        self.palette = Palette()
        self.rig: CameraRig = make_rig(
            view,
            width=width,
            height=height,
            runner_height_m=params.height_cm / 100,
            hip_height_m=self.runner.leg.z_mean,
            speed_mps=params.speed_mps,
            setting=params.setting,
            duration_s=self.n_frames / self.fps,
            motion=camera_motion,
            fill_fraction=fill_fraction,
            hfov_deg=hfov_deg,
        )
        self.background = Background(
            self.rig,
            setting=params.setting,
            runner_x_m=0.0
            if params.setting == "treadmill"
            else 0.5 * params.speed_mps * self.n_frames / self.fps,
            belt_speed_mps=params.speed_mps,
            palette=self.palette,
            seed=seed,
        )
        self.t_s = np.arange(self.n_frames) / self.fps
        self.pose: RunnerPose = self.runner.pose(self.t_s)
        self.clothing_name, self.stickers = clothing, tuple(stickers)
        self.clothing = (PelvisClothing(params.height_cm / 100, textured=clothing == "textured",
                                        stickers=self.stickers, seed=seed, palette_shorts=self.palette.shorts)
                         if clothing != "plain" or stickers else None)

    def keypoints(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """True BlazePose landmarks: pixels ``(T, 33, 2)`` and camera depth ``(T, 33)`` in metres."""
        xy, depth = self.rig.project(self.pose.joints[:, : len(BLAZEPOSE_KEYPOINTS)], self.t_s)
        return xy, depth

    def _draw(self, pose: RunnerPose, i: int, t: float) -> NDArray[np.uint8]:
        cam = self.rig.at(t)
        img = self.background.draw(cam, t)
        draw_runner(
            img, pose, i, cam, view=self.view, height_m=self.params.height_cm / 100, palette=self.palette,
            clothing=self.clothing,
        )
        return img

    def frame(self, i: int) -> NDArray[np.uint8]:
        """Frame ``i`` as an ``(H, W, 3)`` uint8 RGB image (deterministic given the seed)."""
        t = float(self.t_s[i])
        if self.motion_blur:
            half = 0.25 / self.fps
            sub_t = t + np.linspace(-half, half, _BLUR_SUBFRAMES)
            sub = self.runner.pose(sub_t)
            acc = np.zeros((self.height, self.width, 3), np.float64)
            for k, ts in enumerate(sub_t):
                acc += self._draw(sub, k, float(ts))
            img = np.round(acc / _BLUR_SUBFRAMES)
        else:
            img = self._draw(self.pose, i, t).astype(np.float64)
        if self.noise_sigma > 0:
            rng = np.random.default_rng([self.seed, i])
            img = img + rng.normal(0.0, self.noise_sigma, img.shape)
        return np.clip(np.round(img), 0, 255).astype(np.uint8)

    def frames(self) -> Iterator[NDArray[np.uint8]]:
        """All frames in order."""
        for i in range(self.n_frames):
            yield self.frame(i)

    def truth(self) -> dict[str, Any]:
        """The truth record (JSON-able); see :func:`render_phantom`."""
        cam = self.rig.base
        return {
            "format": "formcam-phantom-truth/1",
            "params": params_record(self.runner),
            "view": self.view,
            "setting": self.params.setting,
            "fps": self.fps,
            "frame_count": self.n_frames,
            "duration_s": self.n_frames / self.fps,
            "width": self.width,
            "height": self.height,
            "noise_sigma": self.noise_sigma,
            "motion_blur": self.motion_blur,
            "seed": self.seed,
            "clothing": self.clothing_name,
            "stickers": list(self.stickers),
            "camera": {
                "motion": self.rig.motion,
                "follow_mps": self.rig.follow_mps,
                "position_m": [float(v) for v in cam.position_m],
                "focal_px": cam.focal_px,
                "hfov_deg": float(np.degrees(2 * np.arctan(self.width / 2 / cam.focal_px))),
            },
            "runner_height_px_median": self._runner_height_px(),
            "metrics": metric_truth(self.runner),
            "units": dict(METRIC_UNITS),
            "events": event_truth(self.runner, fps=self.fps, n_frames=self.n_frames),
            "foot": foot_truth(self.runner),
            "notes": (
                "Metric values are exact in 3D by construction (sagittal-plane angles for side metrics, "
                "frontal-plane angles for rear metrics). Event frames are the first frames at or after "
                "each event; frame i shows time i / fps."
            ),
        }

    def _runner_height_px(self) -> float:
        """Median over frames of the image height from the head top to the lowest foot point, pixels."""
        j = self.pose.joints
        top = (
            j[:, JOINTS.index("head_centre")]
            + self.runner.body.head_half_height_m * self.pose.head_axes[:, 2]
        )
        feet = [JOINTS.index(f"{s}_{p}") for s in ("left", "right") for p in ("heel", "foot_index")]
        pts = np.concatenate([top[:, None], j[:, feet]], axis=1)
        xy, _ = self.rig.project(pts, self.t_s)
        return float(np.median(xy[:, 1:, 1].max(axis=1) - xy[:, 0, 1]))

    def save_truth(self, json_path: str | Path, npz_path: str | Path) -> dict[str, Any]:
        """Write the truth record and the true keypoints file; return the record."""
        record = self.truth()
        Path(json_path).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        xy, depth = self.keypoints()
        h_m = self.params.height_cm / 100
        with open(npz_path, "wb") as fh:
            np.savez_compressed(
                fh,
                xy=xy,
                score=np.ones(xy.shape[:2]),
                t_s=self.t_s,
                keypoints=np.array(BLAZEPOSE_KEYPOINTS, dtype=str),
                width=np.int64(self.width),
                height=np.int64(self.height),
                fps=np.float64(self.fps),
                depth_m=depth,
                pelvic_obliquity_deg=true_obliquity_deg(self.pose),
                psis_xy=self.rig.project(psis_world(self.pose, self.params.height_cm / 100), self.t_s)[0],
                asis_psis_xy=np.stack([self.rig.project(asis_psis_world(self.pose, h_m, side), self.t_s)[0]
                                       for side in ("left", "right")], axis=1),
                pelvic_tilt_deg=np.degrees(self.runner.pelvic_tilt_rad(self.t_s)),
                xyz_m=self.pose.joints,
                joints_3d=np.array(JOINTS, dtype=str),
                meta_json=np.array(
                    json.dumps(
                        {"phantom": {k: record[k] for k in ("view", "setting", "params")}}, sort_keys=True
                    )
                ),
            )
        return record
