"""Stage 2, pose: frames in, the runner's 2D keypoints out (a :class:`formcam.series.PoseSeries`).

Takes frames from :mod:`formcam.video`; a backend (:func:`create_backend`: MediaPipe Tasks
or ONNX Runtime, keypoints ``(P, K, 2)`` and scores ``(P, K)`` per frame) finds every
person, :func:`detect` keeps only their keypoints, and :func:`runner_series` links them
into tracks and chooses the runner (:class:`PersonChoice` overrides the choice). Gives the
runner's :class:`~formcam.series.PoseSeries` and a record of the choice. Model files are
located by :func:`model_path` (never downloaded). A runner too small for the full-frame
detector is found by zooming in on the moving person (:mod:`formcam.pose.zoom`). Observers
(:data:`FrameObserver`) see each frame with its detections during the pass; one measures each
foot's image motion against the ground (:class:`FootMotionObserver`).
"""

from formcam.pose.backends import (
           BACKENDS,
           PoseBackend,
           check_detect_interval,
           create_backend,
           installed_models,
)
from formcam.pose.estimate import Detections, FrameObserver, Selection, detect, quality_of, runner_series
from formcam.pose.footflow import FootMotionObserver
from formcam.pose.models import DEFAULT_BACKEND, MODEL_SIZES, model_path
from formcam.pose.pelvis_pass import MARKER_SETTINGS, observe, parse_markers, pelvis_pass
from formcam.pose.select import PersonChoice
from formcam.pose.side_pass import observe_side, side_pass
from formcam.pose.zoom import ZOOM, Crops, crop_track, motion_boxes, to_frame_coords, zoomed_frames

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "MARKER_SETTINGS", "MODEL_SIZES", "ZOOM", "Crops", "Detections",
           "FootMotionObserver", "FrameObserver", "PersonChoice", "PoseBackend", "Selection",
           "check_detect_interval", "create_backend", "crop_track", "detect", "installed_models",
           "model_path", "motion_boxes", "observe", "observe_side", "parse_markers", "pelvis_pass",
           "quality_of", "runner_series", "side_pass", "to_frame_coords", "zoomed_frames"]
