"""Stage 3, analysis: the runner's keypoints in, gait events, per-step and summary metrics out.

Takes a :class:`formcam.series.PoseSeries` (pixels, time on axis 0). :func:`analyze_series`
cleans it (gap fill, left/right swap fix, low-pass), decides the view and direction, finds
initial contact and toe-off per foot, computes joint angles (:func:`compute_kinematics`)
and the per-step and summary metrics (definitions in :data:`METRICS`), and gives an
:class:`Analysis` whose ``to_report_fields()`` are the report's ``view``, ``steps``,
``metrics`` and ``quality``. Pure numpy/scipy: no video, no model, no files.
"""

from formcam.analysis.cadence import kept_step_times_s
from formcam.analysis.core import MIN_FRAMES, Analysis, analyze_series
from formcam.analysis.kinematics import Kinematics, compute_kinematics
from formcam.analysis.metrics import FRONTAL_METRICS, METRICS, SIDE_METRICS
from formcam.analysis.pelvis_image import wants_pelvis_pass, with_pelvis_image
from formcam.analysis.pelvis_tilt import TILT_METRICS, wants_tilt_pass, with_pelvis_tilt

__all__ = ["FRONTAL_METRICS", "METRICS", "MIN_FRAMES", "SIDE_METRICS", "TILT_METRICS", "Analysis",
           "Kinematics", "analyze_series", "compute_kinematics", "kept_step_times_s", "wants_pelvis_pass",
           "wants_tilt_pass", "with_pelvis_image", "with_pelvis_tilt"]
