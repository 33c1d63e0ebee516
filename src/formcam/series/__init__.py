"""The central data of formcam: a runner's 2D pose over time, and its file.

:class:`PoseSeries` holds one person's keypoints for every analysed frame
(:mod:`~formcam.series.pose`); :class:`FootMotion` each foot's image motion
(:mod:`~formcam.series.foot`); :class:`PelvisImage` what the pixels say about the pelvis
(:mod:`~formcam.series.pelvis`). The keypoints file (``.npz``, the pose cache and the
import/export format; its keys in :mod:`~formcam.series.keypoints_file`) holds them:
:func:`save_keypoints`, :func:`load_keypoints`, :func:`load_keypoints_meta`,
:func:`load_foot_motion`. Made by :mod:`formcam.pose`, read by :mod:`formcam.analysis`.
"""

from __future__ import annotations

from formcam.series.foot import FOOT_MOTION_CHANNELS, SOLE_FRACTIONS, FootMotion
from formcam.series.keypoints_file import (
    load_foot_motion,
    load_keypoints,
    load_keypoints_meta,
    save_keypoints,
)
from formcam.series.pelvis import PelvisImage
from formcam.series.pose import BLAZEPOSE_KEYPOINTS, PoseSeries, validate_arrays

__all__ = [
    "BLAZEPOSE_KEYPOINTS", "FOOT_MOTION_CHANNELS", "SOLE_FRACTIONS", "FootMotion", "PelvisImage",
    "PoseSeries", "load_foot_motion", "load_keypoints", "load_keypoints_meta", "save_keypoints",
    "validate_arrays",
]
