"""BlazePose on onnxruntime: the same models and pipeline as MediaPipe's PoseLandmarker.

The ONNX files are converted from the same pinned TFLite models as the
``.task`` bundles by ``models/convert_onnx.py`` (a build-time script). The
pre- and post-processing copy MediaPipe's Tasks graphs step by step, so the
keypoints agree with :class:`~formcam.pose.backends.mediapipe.MediaPipeBackend` to
within a few pixels:

* :mod:`~formcam.pose.backends.onnx.anchors`: SSD anchors of the person detector;
* :mod:`~formcam.pose.backends.onnx.roi`: rotated ROIs, MediaPipe's crop geometry and
  ROI association;
* :mod:`~formcam.pose.backends.onnx.detector`: detector pre-processing, decoding, NMS;
* :mod:`~formcam.pose.backends.onnx.landmarks`: landmark model, heatmap refinement,
  tracking ROI;
* :mod:`~formcam.pose.backends.onnx.backend`: :class:`OnnxBackend`, the
  :class:`~formcam.pose.backends.base.PoseBackend` (tracking between frames);
* :mod:`~formcam.pose.backends.onnx.options`: :class:`OnnxOptions`, its settings;
* :mod:`~formcam.pose.backends.onnx.session`: onnxruntime sessions (threads, providers);
* :mod:`~formcam.pose.backends.onnx.smoothing`: the One Euro landmark filter;
* :mod:`~formcam.pose.backends.onnx.paths`: where the model files are found.

Importing this package does not import onnxruntime; opening a backend does.
"""

from __future__ import annotations

from formcam.pose.backends.onnx.backend import OnnxBackend
from formcam.pose.backends.onnx.options import OnnxOptions
from formcam.pose.backends.onnx.paths import (
    DETECTOR_FILE,
    ONNX_FILES,
    landmark_file,
    onnx_model_dirs,
    onnx_model_path,
)

__all__ = ["DETECTOR_FILE", "ONNX_FILES", "OnnxBackend", "OnnxOptions", "landmark_file", "onnx_model_dirs",
           "onnx_model_path"]
