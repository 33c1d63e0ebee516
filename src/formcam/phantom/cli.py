"""``formcam phantom OUT.mp4 ...``: render a phantom runner clip with known kinematics.

Wire it into the main parser with::

    from formcam.phantom import cli as phantom_cli
    phantom_cli.add_parser(subparsers)          # registers "phantom", sets func=run
    ...
    if args.command == "phantom":
        return phantom_cli.run(args)
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from formcam.phantom.camera import CAMERA_MOTIONS, VIEWS
from formcam.phantom.clothing import CLOTHING, STICKERS
from formcam.phantom.gait import SETTINGS, PhantomParams
from formcam.phantom.params import STRIKE_ANGLES_DEG

log = logging.getLogger(__name__)

# PhantomParams field -> (option, help). Every field is an option; defaults come from PhantomParams.
_PARAM_HELP: dict[str, tuple[str, str]] = {
    "cadence_spm": ("--cadence", "steps per minute"),
    "contact_time_ms": ("--contact-time-ms", "ground contact time per step, ms"),
    "speed_mps": ("--speed-mps", "running / belt speed, m/s"),
    "trunk_lean_deg": ("--trunk-lean-deg", "forward trunk lean, degrees (+ = forward)"),
    "overstride_cm": ("--overstride-cm", "heel ahead of the hip midpoint at initial contact, cm"),
    "knee_flexion_ic_deg": ("--knee-flexion-ic-deg", "knee flexion at initial contact (0 = straight)"),
    "hip_extension_deg": ("--hip-extension-deg", "peak thigh angle behind vertical (at toe-off)"),
    "vertical_oscillation_cm": ("--vertical-oscillation-cm", "peak-to-peak hip height change, cm"),
    "pelvic_drop_deg": ("--pelvic-drop-deg", "swing-side hip drop at midstance, degrees"),
    "pelvic_sway_cm": ("--pelvic-sway-cm", "peak-to-peak sideways hip travel per stride, cm"),
    "lateral_trunk_lean_deg": ("--lateral-trunk-lean-deg", "trunk lean toward the stance side at midstance"),
    "foot_strike_angle_deg": ("--foot-strike-angle-deg", "foot angle at contact (+ = heel first)"),
    "step_width_cm": ("--step-width-cm", "sideways distance between the feet, cm"),
    "height_cm": ("--height-cm", "runner's height, cm"),
    "first_contact_s": ("--first-contact-s", "time of a right-foot initial contact, s"),
    "pelvic_tilt_deg": ("--pelvic-tilt-deg", "mean anterior pelvic tilt (ASIS below PSIS), degrees"),
    "pelvic_tilt_range_deg": ("--pelvic-tilt-range-deg", "peak-to-peak pelvic tilt per step, degrees"),
}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register the ``phantom`` subcommand on ``subparsers``; returns its parser (``func`` = :func:`run`)."""
    p = subparsers.add_parser(
        "phantom",
        help="render a synthetic runner video with known metrics (for testing)",
        description="Render a phantom runner (H.264 MP4) whose running-form metrics are known exactly; "
        "writes OUT.truth.json (true metrics and events) and OUT.truth.npz (true keypoints).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("out", type=Path, help="output video path (.mp4)")
    p.add_argument("--view", choices=VIEWS, default="side_right", help="camera view")
    p.add_argument("--fps", type=float, default=60.0, help="frame rate, 24..240")
    p.add_argument("--duration", type=float, default=6.0, metavar="S", help="clip length in seconds")
    p.add_argument("--width", type=int, default=1280, help="frame width in pixels (even)")
    p.add_argument("--height", type=int, default=720, help="frame height in pixels (even)")
    p.add_argument("--setting", choices=SETTINGS, default="treadmill", help="treadmill or overground")
    p.add_argument(
        "--camera-motion",
        choices=CAMERA_MOTIONS,
        default="auto",
        help="overground camera: static, follow (tracking shot) or auto",
    )
    p.add_argument("--fill", type=float, default=0.68, help="runner height as a fraction of the frame height")
    p.add_argument(
        "--hfov-deg",
        type=float,
        default=None,
        help="horizontal field of view (default: 60 degrees across the long side)",
    )
    p.add_argument("--noise-sigma", type=float, default=0.0, help="Gaussian pixel noise, 8-bit levels")
    p.add_argument("--motion-blur", action="store_true", help="average sub-frames over a 180-degree shutter")
    p.add_argument("--seed", type=int, default=0, help="seed of the background texture and noise")
    p.add_argument("--crf", type=int, default=23, help="x264 quality (higher = smaller file)")
    p.add_argument("--clothing", choices=CLOTHING, default="plain",
                   help="textured: a waistband and printed shorts rigid with the pelvis, shirt tucked in")
    p.add_argument("--stickers", default="", metavar="LIST",
                   help=f"comma-separated skin markers to draw: {', '.join(STICKERS)} (default none)")
    p.add_argument(
        "--truth",
        type=Path,
        default=None,
        metavar="JSON",
        help="truth JSON path (default OUT.truth.json beside the video)",
    )
    p.add_argument(
        "--strike",
        choices=tuple(STRIKE_ANGLES_DEG),
        default=None,
        help="strike pattern: sets --foot-strike-angle-deg to "
        + ", ".join(f"{k} {v:g}" for k, v in STRIKE_ANGLES_DEG.items())
        + " unless that is given with the same pattern's sign",
    )
    defaults = PhantomParams()
    for name, (option, text) in _PARAM_HELP.items():
        p.add_argument(option, dest=name, type=float, default=getattr(defaults, name), help=text)
    p.set_defaults(func=run)
    return p


def params_from_args(args: argparse.Namespace) -> PhantomParams:
    """The :class:`PhantomParams` named by parsed ``args``."""
    values = {
        f.name: getattr(args, f.name) for f in dataclasses.fields(PhantomParams) if hasattr(args, f.name)
    }
    params = PhantomParams(**values)
    strike = getattr(args, "strike", None)
    if strike is None or params.strike_pattern == strike:
        return params
    if params.foot_strike_angle_deg != PhantomParams().foot_strike_angle_deg:
        raise ValueError(
            f"--strike {strike} contradicts --foot-strike-angle-deg {params.foot_strike_angle_deg:g} "
            f"(a {params.strike_pattern} strike)"
        )
    return dataclasses.replace(params, foot_strike_angle_deg=STRIKE_ANGLES_DEG[strike])


def run(args: argparse.Namespace) -> int:
    """Render the clip described by ``args``; returns the exit status (0).

    Raises:
        formcam.errors.ConfigError: a parameter is out of range or the parameters
            cannot be met together.
    """
    from formcam.errors import ConfigError
    from formcam.phantom import render_phantom

    try:
        params = params_from_args(args)
        record = render_phantom(
            args.out,
            params,
            view=args.view,
            fps=args.fps,
            duration_s=args.duration,
            width=args.width,
            height=args.height,
            noise_sigma=args.noise_sigma,
            motion_blur=args.motion_blur,
            seed=args.seed,
            truth_path=args.truth,
            camera_motion=args.camera_motion,
            fill_fraction=args.fill,
            hfov_deg=args.hfov_deg,
            crf=args.crf,
            clothing=args.clothing,
            stickers=tuple(x.strip() for x in args.stickers.split(",") if x.strip()),
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    log.info(
        "phantom: %s, %d frames, truth in %s", record["video"], record["frame_count"], record["truth_json"]
    )
    return 0
