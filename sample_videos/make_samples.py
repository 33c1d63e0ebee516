"""Regenerate the phantom sample videos (deterministic): ``python sample_videos/make_samples.py``.

Writes, beside this script:

* ``side_phantom.mp4``: treadmill runner, right side view, 960x540, 60 fps, 8 s;
* ``rear_phantom.mp4``: the same runner from behind, portrait 540x960, 60 fps, 8 s;

each with ``*.truth.json`` (true metrics and gait events) and ``*.truth.npz`` (true
BlazePose keypoints in pixels, a formcam keypoints file). The runner has a mild
overstride and pelvic drop, so the sample reports show a few cues.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from formcam.phantom import PhantomParams, render_phantom

HERE = Path(__file__).resolve().parent
PARAMS = PhantomParams(
    cadence_spm=166.0,
    contact_time_ms=260.0,
    speed_mps=3.0,
    trunk_lean_deg=6.0,
    overstride_cm=14.0,
    knee_flexion_ic_deg=16.0,
    hip_extension_deg=12.0,
    vertical_oscillation_cm=8.5,
    pelvic_drop_deg=6.0,
    pelvic_sway_cm=3.5,
    lateral_trunk_lean_deg=2.0,
    foot_strike_angle_deg=10.0,
    setting="treadmill",
)
SAMPLES = {
    "side_phantom.mp4": {"view": "side_right", "width": 960, "height": 540},
    "rear_phantom.mp4": {"view": "rear", "width": 540, "height": 960},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=HERE, help="folder for the videos (default: here)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name, spec in SAMPLES.items():
        record = render_phantom(
            args.out_dir / name,
            PARAMS,
            view=str(spec["view"]),
            fps=60.0,
            duration_s=8.0,
            width=int(spec["width"]),
            height=int(spec["height"]),
            noise_sigma=1.5,
            seed=7,
            crf=24,
        )
        size_mb = (args.out_dir / name).stat().st_size / 1e6
        logging.info("%s: %d frames, %.2f MB", name, record["frame_count"], size_mb)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
