"""``OnnxBackend``: BlazePose detector + landmark model on onnxruntime, tracking like MediaPipe.

Per frame, as MediaPipe's Tasks ``PoseLandmarker`` in VIDEO mode:

1. the ROIs tracked from the previous frame (from each person's auxiliary
   landmarks) are the candidates;
2. while fewer than ``num_poses`` people are tracked, the person detector runs on
   the frame and its ROIs are merged with the tracked ones as MediaPipe merges them
   (:func:`~formcam.pose.backends.onnx.roi.associate`: a detection replaces the tracked
   ROI it overlaps with IoU > 0.5), then clipped to ``num_poses``. With a detector
   interval (below), where tracked crops drift from fresh ones, a detection centred on a
   tracked person is dropped as well, so nobody is drawn twice
   (:func:`~formcam.pose.backends.onnx.roi.merge_detections`); on every frame that rule
   is not MediaPipe's: it dropped a coach standing in front of the runner in most frames
   of a real clip (``side_treadmill_03_two_people``), and the runner's track with him.
   MediaPipe runs the detector on every such frame; here, once at least one person is
   tracked, it can run only every ``detect_interval_s`` seconds of video time (opt-in;
   default 0 = MediaPipe's schedule), and at once on the frame after a track is lost
   (not found, or converged on someone else's ROI) or while nobody is tracked.
   With ``detect_ahead`` (opt-in) and a caller that offers the next frame
   (:meth:`OnnxBackend.look_ahead`, as :func:`formcam.pose.estimate.detect` does), the
   detector runs on the next frame in a worker thread while the landmark model runs on
   this one: the same results, the two models on two cores. On the shared 2-core
   reference machine it gained nothing (1080x1920 clip, three poses, paired runs: 0.88x
   and 1.0x at load 5, 0.58x and 0.95x at load 10), so it is not the default;
3. the landmark model runs on each ROI; a person whose pose-presence probability
   is below ``min_presence_confidence`` is dropped (and no longer tracked).

So with ``num_poses=1`` and one runner the detector runs once and the landmark
model alone follows the runner. With ``num_poses=3`` (formcam's default, to find
other people for runner selection) MediaPipe's schedule runs the detector on
every frame, which costs about as much as the full landmark model (model alone,
2 threads, 2-core reference machine: 87 frames/s with it, 168 without); a 0.5 s
interval runs it on 1 frame in 30 at 60 fps, and someone walking into the picture
is still found within half a second. Between detector runs each person's crop is
the one tracked from the previous frame's landmarks (MediaPipe's ``num_poses=1``
behaviour) instead of a fresh detection's, which is rotated a few degrees
differently: keypoints move by a few pixels (median 2.4 px on a 960x540 phantom,
13 px on a 1080x1920 real clip) and are about as close to the phantom's truth
(median 8.7 px vs 8.4 px every frame). On the real clip it changed the metrics
beyond their SDDs (far-leg swaps 2 -> 9, hip extension 21 -> 4 deg), which is why
the interval is opt-in, not the default.

4. with ``num_poses=1`` MediaPipe also smooths the output landmarks (a causal One
   Euro filter, :mod:`~formcam.pose.backends.onnx.smoothing`); ``smooth=None`` follows
   that rule, ``True``/``False`` force it. Timestamps for the filter are whole
   milliseconds, made strictly increasing, as the MediaPipe backend sends them.

Threads and providers: :mod:`~formcam.pose.backends.onnx.session` (with the measurements
behind the defaults).
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Self

import numpy as np

from formcam.pose.backends.base import BackendInfo, PoseFrame, PoseImage
from formcam.pose.backends.onnx.detector import Detections, PoseDetector
from formcam.pose.backends.onnx.landmarks import N_BODY, LandmarkModel, LandmarkResult
from formcam.pose.backends.onnx.options import DEFAULT_DETECT_INTERVAL_S as DEFAULT_DETECT_INTERVAL_S
from formcam.pose.backends.onnx.options import OnnxOptions
from formcam.pose.backends.onnx.paths import DETECTOR_FILE, landmark_file, onnx_model_path
from formcam.pose.backends.onnx.roi import Roi, associate, merge_detections
from formcam.pose.backends.onnx.session import MAX_DEFAULT_THREADS as MAX_DEFAULT_THREADS
from formcam.pose.backends.onnx.session import THREADS_ENV as THREADS_ENV
from formcam.pose.backends.onnx.session import default_providers, default_threads, shared_session
from formcam.pose.backends.onnx.session import make_session as make_session
from formcam.pose.backends.onnx.smoothing import LandmarkSmoother
from formcam.series import BLAZEPOSE_KEYPOINTS
from formcam.video import YuvImage

__all__ = ["DEFAULT_DETECT_INTERVAL_S", "MAX_DEFAULT_THREADS", "THREADS_ENV", "OnnxBackend", "OnnxOptions",
           "default_providers", "default_threads", "make_session"]

log = logging.getLogger(__name__)

_TIME_EPS_S = 1e-6


class OnnxBackend:
    """Callable BlazePose on onnxruntime; see :class:`formcam.pose.backends.base.PoseBackend`.

    Sessions and tracking state belong to the instance; use one instance per video.
    """

    accepts_yuv = True
    """It crops :class:`~formcam.video.yuv.YuvImage` planes itself (no whole-frame RGB conversion)."""
    _tracked: list[Roi]
    """ROIs of the people tracked into the next frame."""
    detector_runs: int
    """Frames on which the person detector ran (since the backend was opened)."""

    def __init__(self, options: OnnxOptions | None = None) -> None:
        self.options = options or OnnxOptions()
        self._detector: PoseDetector | None = None
        self._landmarks: LandmarkModel | None = None
        self._ahead: ThreadPoolExecutor | None = None
        self._pending: dict[float, Future[Detections]] = {}
        """Detector runs started by :meth:`look_ahead`, by frame time."""
        self._smoother = LandmarkSmoother()
        self._reset_tracking()

    @property
    def info(self) -> BackendInfo:
        return BackendInfo(name="onnx", model=self.options.model)

    @property
    def keypoint_names(self) -> tuple[str, ...]:
        return BLAZEPOSE_KEYPOINTS

    def __enter__(self) -> Self:
        opts = self.options
        det_path = onnx_model_path(DETECTOR_FILE)
        lm_path = onnx_model_path(landmark_file(opts.model))
        threads = opts.threads or default_threads()
        providers = list(opts.providers) if opts.providers else default_providers()
        self._detector = PoseDetector(shared_session(det_path, threads, tuple(providers)),
                                      min_score=opts.min_detection_confidence, nms_iou=opts.nms_iou)
        self._landmarks = LandmarkModel(shared_session(lm_path, threads, tuple(providers)))
        if opts.detect_ahead:
            self._ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="formcam-detect")
        self._reset_tracking()
        log.debug("opened ONNX BlazePose %s (%s, %s; %d threads, providers %s)", opts.model, det_path,
                  lm_path, threads, providers)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._ahead is not None:
            self._ahead.shutdown(wait=True, cancel_futures=True)
            self._ahead = None
        self._pending = {}
        self._detector = None
        self._landmarks = None
        self._tracked = []

    def reset(self) -> None:
        """Forget every tracked person, as a fresh backend would (the models stay loaded)."""
        for future in self._pending.values():
            future.cancel()
        self._pending = {}
        runs = self.detector_runs
        self._reset_tracking()
        self.detector_runs = runs

    def _reset_tracking(self) -> None:
        """Forget every tracked person, the detector schedule and the smoothing filter."""
        self._tracked = []
        self._last_detect_s = -math.inf
        self._lost = False
        self._last_ms = -1
        self._smoother.reset()
        self.detector_runs = 0

    def _detection_due(self, t_s: float) -> bool:
        """Whether the person detector runs on the frame at ``t_s`` (fewer than ``num_poses`` tracked)."""
        if not self._tracked or self._lost:
            return True
        since = t_s - self._last_detect_s
        return since < 0 or since >= self.options.detect_interval_s - _TIME_EPS_S

    def look_ahead(self, image: PoseImage, t_s: float) -> None:
        """Offer a frame that a later call will get (the next one, at ``t_s``): if the person
        detector will probably be due there, it starts on it now in a worker thread
        (:attr:`OnnxOptions.detect_ahead`), overlapping the landmark model on this frame.

        A call at ``t_s`` uses that result if it needs the detector; otherwise, or once a later
        frame is called, it is dropped. Results never depend on whether this was called.
        """
        if self._ahead is None or self._detector is None or t_s in self._pending:
            return
        if len(self._tracked) < self.options.num_poses and self._detection_due(t_s):
            self._pending[t_s] = self._ahead.submit(self._detector, image)

    def _take_pending(self, t_s: float) -> Future[Detections] | None:
        """The look-ahead run on the frame at ``t_s``, dropping any for earlier frames."""
        for key in [k for k in self._pending if k <= t_s]:
            future = self._pending.pop(key)
            if key == t_s:
                return future
            future.cancel()
        return None

    def _detections(self, image: PoseImage, future: Future[Detections] | None) -> Detections:
        """The detector's result on this frame: the look-ahead's if it ran on it, else computed now."""
        assert self._detector is not None
        if future is not None and not future.cancelled():
            return future.result()
        return self._detector(image)

    @property
    def smoothing(self) -> bool:
        """Whether output landmarks are smoothed over time (see :class:`OnnxOptions`)."""
        return self.options.num_poses == 1 if self.options.smooth is None else self.options.smooth

    def __call__(self, image: PoseImage, t_s: float) -> PoseFrame:
        """Detect people in an RGB ``(H, W, 3)`` uint8 frame, or its YUV planes, shown at ``t_s`` s.

        Frames must come in display order (tracking is by frame order); ``t_s`` times
        the detector schedule (``detect_interval_s``) and the smoothing filter. YUV planes
        are cropped without converting the whole frame (:attr:`accepts_yuv`).
        """
        if self._detector is None or self._landmarks is None:
            raise RuntimeError("OnnxBackend must be used inside a `with` block")
        if not isinstance(image, YuvImage) and (image.ndim != 3 or image.shape[2] != 3
                                                or image.dtype != np.uint8):
            raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
        opts = self.options
        ahead = self._take_pending(t_s)
        rois = associate(self._tracked, [], opts.min_tracking_confidence)
        n_tracked = len(rois)
        self._lost |= n_tracked < len(self._tracked)  # two tracks converged on one person
        if n_tracked < opts.num_poses and self._detection_due(t_s):
            self.detector_runs += 1
            self._last_detect_s = t_s
            found = self._detections(image, ahead).rois()
            if opts.detect_interval_s:  # tracked crops differ from fresh ones: drop tracked people's
                rois = merge_detections(rois, found, opts.min_tracking_confidence)
            else:  # MediaPipe's own rule (a second person overlapping the runner is kept)
                rois = associate(rois, found, opts.min_tracking_confidence)
        elif ahead is not None:
            ahead.cancel()
        people: list[LandmarkResult] = []
        rois = rois[:opts.num_poses]
        for roi in rois:
            result = self._landmarks(image, roi)
            if result.presence >= opts.min_presence_confidence:
                people.append(result)
        self._lost = len(people) < n_tracked  # someone tracked into this frame was not found
        self._tracked = [p.next_roi for p in people]
        ms = max(round(t_s * 1000.0), self._last_ms + 1)
        self._last_ms = ms
        if not people:
            self._smoother.reset()
            return PoseFrame.empty(N_BODY)
        xy = [p.xy for p in people]
        vis = [p.visibility for p in people]
        if self.smoothing:
            roi = people[0].next_roi
            xy[0], vis[0] = self._smoother(xy[0], vis[0], ms * 1000, (roi.width + roi.height) / 2.0)
        return PoseFrame(keypoints=np.stack(xy), scores=np.clip(np.stack(vis), 0.0, 1.0))
