"""Phantom runner videos: rendered runners with exactly known kinematics.

Like a clinical phantom, a phantom clip is a test object whose true values are
known: :class:`PhantomParams` sets the running-form metrics (cadence, contact
time, trunk lean, overstride, knee flexion at contact, hip extension, vertical
oscillation, foot strike angle, pelvic drop, lateral trunk lean, pelvic sway),
:mod:`~formcam.phantom.gait` and :mod:`~formcam.phantom.skeleton` build a 3D
runner that meets them exactly, :mod:`~formcam.phantom.camera` films it from a
side, rear or front view, :mod:`~formcam.phantom.render` draws it (body volumes,
clothes, a face) so that MediaPipe's BlazePose detects it, and
:mod:`~formcam.video.writer` encodes H.264.

:func:`render_phantom` writes ``NAME.mp4`` plus

* ``NAME.truth.json``: params, view, camera, fps, resolution, the true metric
  values (report names and units), the true gait events per side and how the
  foot lands (``foot``: strike pattern, first contact point, foot-flat and
  heel-off times, :func:`~formcam.phantom.truth.foot_truth`);
* ``NAME.truth.npz``: a formcam keypoints file (``xy (T, 33, 2)`` true projected
  BlazePose landmarks in pixels, ``score`` = 1, ``t_s``, ``keypoints``, ``width``,
  ``height``, ``fps``) that ``formcam analyze --keypoints`` can replay, plus
  ``depth_m (T, 33)`` camera depths, ``pelvic_obliquity_deg (T,)`` the true frontal pelvic
  obliquity (+ = left hip higher), ``psis_xy (T, 2, 2)`` the projected left and right PSIS
  (sticker centres, pixels; drawn only with ``stickers=("psis",)``), ``asis_psis_xy (T, 2, 2, 2)``
  the left and right sides' ASIS and PSIS side stickers (``asis_psis``), ``pelvic_tilt_deg (T,)``
  the true sagittal pelvic tilt (+ anterior) and ``xyz_m (T, J, 3)`` world joints with
  their names in ``joints_3d``.

:class:`PhantomClip` (:mod:`~formcam.phantom.clip`) is the clip before encoding: frames on
demand, true keypoints, truth record; :func:`render_phantom` encodes one and writes its truth.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from formcam.phantom.camera import VIEWS
from formcam.phantom.clip import PhantomClip
from formcam.phantom.clothing import CLOTHING, STICKERS
from formcam.phantom.gait import PhantomParams
from formcam.phantom.params import STRIKE_ANGLES_DEG
from formcam.phantom.skeleton import JOINTS, PhantomRunner

__all__ = ["CLOTHING", "JOINTS", "STICKERS", "STRIKE_ANGLES_DEG", "VIEWS",
           "PhantomClip", "PhantomParams", "PhantomRunner",
           "render_phantom"]

log = logging.getLogger(__name__)


def truth_paths(out_path: str | Path) -> tuple[Path, Path]:
    """``NAME.truth.json`` and ``NAME.truth.npz`` beside ``NAME.mp4``."""
    out = Path(out_path)
    stem = out.with_suffix("")
    return stem.with_name(stem.name + ".truth.json"), stem.with_name(stem.name + ".truth.npz")


def render_phantom(
    out_path: str | Path,
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
    truth_path: str | Path | None = None,
    camera_motion: str = "auto",
    fill_fraction: float = 0.68,
    hfov_deg: float | None = None,
    crf: int = 23,
    clothing: str = "plain",
    stickers: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Render a phantom runner clip to H.264 MP4 and write its truth files.

    See :class:`PhantomClip` for the arguments. ``truth_path`` is the truth JSON path
    (default ``NAME.truth.json`` beside the video); the keypoints npz goes beside it
    with the ``.npz`` suffix. ``crf`` is x264's quality (23 default; higher = smaller).

    Returns:
        The truth record (also written as JSON), with ``video``, ``truth_json`` and
        ``truth_npz`` paths added.
    """
    from formcam.video import H264Writer

    clip = PhantomClip(
        params,
        view=view,
        fps=fps,
        duration_s=duration_s,
        width=width,
        height=height,
        noise_sigma=noise_sigma,
        motion_blur=motion_blur,
        seed=seed,
        camera_motion=camera_motion,
        fill_fraction=fill_fraction,
        hfov_deg=hfov_deg,
        clothing=clothing,
        stickers=stickers,
    )
    json_path, npz_path = truth_paths(out_path)
    if truth_path is not None:
        json_path = Path(truth_path)
        npz_path = json_path.with_suffix(".npz")
    with H264Writer(out_path, fps=fps, width=width, height=height, crf=crf) as writer:
        for img in clip.frames():
            writer.write(img)
    record = clip.save_truth(json_path, npz_path)
    log.info("wrote %s (%d frames) and %s", out_path, clip.n_frames, json_path)
    return {**record, "video": str(out_path), "truth_json": str(json_path), "truth_npz": str(npz_path)}
