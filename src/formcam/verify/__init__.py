"""``formcam verify``: measure formcam against phantom runners with known form.

Like a clinical phantom, each case renders a runner whose true metric values
and gait events are known (:mod:`formcam.phantom`), runs the full pipeline
on the rendered video (real pose model) and compares. A case varies one form
fault (or the foot strike) at a realistic magnitude and frame rate.

Every row is judged against its tolerance in :data:`TOLERANCES` (one table, with
each number's source); a row without a tolerance or without a true value is
printed as "not judged" and counted apart, never as passed. The command fails
(exit 1) when any judged row's error exceeds its tolerance.

``--source truth`` feeds the phantom's true keypoints instead of the pose
model, which separates the analysis's own error from the pose model's (the
video is then not rendered: the analysis would not read it).

Takes: the cases (:mod:`~formcam.verify.cases`: :data:`DEFAULT_CASES`, :data:`QUICK_CASES`,
the :data:`TOLERANCES` table). Gives: :class:`Row` s (:func:`run_cases` renders and analyses,
:mod:`~formcam.verify.run`; :func:`compare` judges one case's report against its truth,
:mod:`~formcam.verify.compare`) and their printout (:func:`format_table`,
:func:`summary_line`, :func:`exit_status`).
"""

from __future__ import annotations

from formcam.verify.cases import (
    BIG_THIGH_SWING,
    DEFAULT_CASES,
    EVENTS,
    PELVIC_CASES,
    QUICK_CASES,
    REAR_METRICS,
    SIDE_METRICS,
    TILT_CASES,
    TOLERANCES,
    Case,
    Tolerance,
    pelvic_cases,
    tilt_cases,
)
from formcam.verify.compare import (
    NOT_JUDGED,
    Row,
    compare,
    event_errors_frames,
    exit_status,
    format_table,
    summary_line,
)
from formcam.verify.run import add_pelvis_image, run_case, run_cases

__all__ = [
    "BIG_THIGH_SWING", "DEFAULT_CASES", "EVENTS", "NOT_JUDGED", "PELVIC_CASES", "QUICK_CASES", "REAR_METRICS",
    "SIDE_METRICS", "TILT_CASES", "TOLERANCES", "Case", "Row", "Tolerance", "add_pelvis_image", "compare",
    "event_errors_frames", "exit_status", "format_table", "pelvic_cases", "run_case", "run_cases",
    "summary_line", "tilt_cases",
]
