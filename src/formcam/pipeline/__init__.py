"""The composition of formcam's stages for one clip, in one place (after the report stage).

Takes a video file (or a keypoints ``.npz`` replay) and :class:`formcam.options.AnalyzeOptions`;
gives an :class:`AnalyzeResult` (the report dict, the runner's :class:`~formcam.series.PoseSeries`
and the files written into the results folder).

``analyze_video`` : video → pose (all people) → runner → keypoints.npz → analysis → cues →
report.html, frames.csv, plots, key frames, annotated.mp4 → report.json
``analyze_keypoints`` : keypoints.npz → the same (the same report)

The CLI and the app only call these. Everything the report needs from the pose
stage (input facts, backend, how the runner was chosen, pose-stage warnings)
is stored in the keypoints file's ``meta_json``, so a replay reproduces the
video's report exactly.

Modules: :mod:`~formcam.pipeline.pose_stage` (video → series, pose ``meta`` and the feet'
motion), :mod:`~formcam.pipeline.report_stage` (series → report with cues, pure),
:mod:`~formcam.pipeline.analyze` (the entry points: both stages and the files).
"""

from formcam.pipeline.analyze import AnalyzeResult, analyze_keypoints, analyze_video, ensure_out_dir
from formcam.pipeline.pose_stage import (
    DECODE_NICE,
    estimate_pose,
    estimate_pose_and_motion,
    feet_observer,
    use_yuv_planes,
)
from formcam.pipeline.report_stage import report_from_series

__all__ = ["DECODE_NICE", "AnalyzeResult", "analyze_keypoints", "analyze_video", "ensure_out_dir",
           "estimate_pose", "estimate_pose_and_motion", "feet_observer", "report_from_series",
           "use_yuv_planes"]
