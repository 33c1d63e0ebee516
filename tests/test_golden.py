"""Golden pose output of the real model on the shipped sample clip.

The MediaPipe full model runs (VIDEO mode, so with tracking) over the first
frames of ``sample_videos/side_phantom.mp4``; the runner's keypoints in three
fixed frames must match the stored goldens within ``TOL_PX`` pixels.

Regenerate the goldens after a deliberate change (new model, new sample clip)::

    FORMCAM_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from formcam.pose.backends import create_backend
from formcam.pose.estimate import detect, runner_series
from formcam.video.reader import FrameReader, probe

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "sample_videos" / "side_phantom.mp4"
GOLDEN = ROOT / "tests" / "data" / "golden" / "side_phantom_full.json"
FRAMES = (20, 60, 100)
TOL_PX = 3.0
BODY = ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_knee", "right_knee",
        "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index", "nose")


def test_pose_of_three_frames_matches_goldens() -> None:
    info = probe(CLIP)
    with create_backend("mediapipe", model="full") as backend, \
            FrameReader(CLIP, max_frames=max(FRAMES) + 1) as reader:
        det = detect(reader, backend, width=info.width, height=info.height, fps=info.fps)
    series, _ = runner_series(det)
    got = {str(f): {name: series.point(name)[f].round(2).tolist() for name in BODY} for f in FRAMES}
    if os.environ.get("FORMCAM_REGEN_GOLDEN"):
        GOLDEN.write_text(json.dumps({"clip": CLIP.name, "model": "full", "frames": got}, indent=1) + "\n")
        pytest.skip(f"goldens regenerated in {GOLDEN}")
    want = json.loads(GOLDEN.read_text())["frames"]
    for frame in map(str, FRAMES):
        for name in BODY:
            err = float(np.hypot(*(np.array(got[frame][name]) - np.array(want[frame][name]))))
            assert err <= TOL_PX, f"frame {frame} {name}: {err:.1f} px from golden"
