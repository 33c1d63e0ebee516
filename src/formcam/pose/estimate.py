"""Pose estimation over a clip: run a backend on every frame, then pick the runner.

``detect`` streams frames through a backend and keeps only keypoints (a few KB
per frame), never images. ``runner_series`` links detections into tracks,
scores them (:mod:`formcam.pose.select`) and returns the runner's
:class:`~formcam.series.PoseSeries` with a record of the choice.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.errors import NoRunnerError
from formcam.pose.backends.base import PoseBackend
from formcam.pose.select import PersonChoice, choose, score_tracks
from formcam.pose.tracking import link
from formcam.series import PoseSeries
from formcam.video import Frame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Detections:
    """Every person found in every frame of a clip.

    Attributes:
        keypoints: per frame, ``(P_t, K, 2)`` pixels.
        scores: per frame, ``(P_t, K)`` in [0, 1].
        t_s: ``(T,)`` presentation times in seconds.
        keypoint_names: the ``K`` names.
        width, height: display frame size in pixels.
        fps: nominal frame rate.
    """

    keypoints: list[NDArray[np.float64]]
    scores: list[NDArray[np.float64]]
    t_s: NDArray[np.float64]
    keypoint_names: tuple[str, ...]
    width: int
    height: int
    fps: float

    @property
    def n_frames(self) -> int:
        return len(self.keypoints)

    def people_per_frame(self) -> NDArray[np.int64]:
        return np.array([kp.shape[0] for kp in self.keypoints], dtype=np.int64)


@dataclass(frozen=True)
class Selection:
    """How the runner was chosen; goes into the report under ``person``."""

    method: str
    n_people: int
    chosen_track: int
    candidates: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "n_people": self.n_people, "chosen_track": self.chosen_track,
                "candidates": self.candidates}


FrameObserver = Callable[[Frame, NDArray[np.float64], NDArray[np.float64]], None]
"""``observer(frame, keypoints (P, K, 2), scores (P, K))``: sees each frame with its detections
while the frame is decoded (e.g. :class:`formcam.pose.footflow.FootMotionObserver`); it must not
keep frames. Observers run in one worker thread, frame after frame in order (never two calls at
once), so an observer needs no lock as long as nothing else touches it before :func:`detect`
returns."""

OBSERVER_QUEUE = 2
"""Frames handed to the observers' worker thread and not yet done, at most: the pose model runs on
the next frame while the observers (OpenCV, which releases the GIL) work on this one on the other
core; each waiting frame holds its decoded picture."""


class _ObserverWorker:
    """Runs the observers on a worker thread, in frame order, with a bounded backlog."""

    def __init__(self, observers: Sequence[FrameObserver]) -> None:
        self.observers = tuple(observers)
        self.pool = (ThreadPoolExecutor(max_workers=1, thread_name_prefix="formcam-observe")
                     if observers else None)
        self.pending: deque[Future[None]] = deque()

    def _run(self, frame: Frame, keypoints: NDArray[np.float64], scores: NDArray[np.float64]) -> None:
        for observe in self.observers:
            observe(frame, keypoints, scores)

    def submit(self, frame: Frame, keypoints: NDArray[np.float64], scores: NDArray[np.float64]) -> None:
        """Queue one frame; waits while :data:`OBSERVER_QUEUE` frames are pending (and re-raises
        an observer's exception)."""
        if self.pool is None:
            return
        while len(self.pending) >= OBSERVER_QUEUE:
            self.pending.popleft().result()
        self.pending.append(self.pool.submit(self._run, frame, keypoints, scores))

    def close(self, *, wait: bool) -> None:
        """Finish (``wait``: every queued frame, re-raising an observer's exception) or drop the backlog."""
        if self.pool is None:
            return
        try:
            while wait and self.pending:
                self.pending.popleft().result()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


def detect(frames: Iterable[Frame], backend: PoseBackend, *, width: int, height: int, fps: float,
           on_frame: Callable[[Frame], None] | None = None,
           observers: Sequence[FrameObserver] = ()) -> Detections:
    """Run ``backend`` (already opened) on each frame; keep keypoints only.

    ``observers`` are called in order with each frame and its detections (after the model), in
    a worker thread (:data:`FrameObserver`); all have seen every frame when this returns.
    A backend with a ``look_ahead(image, t_s)`` method (the ONNX backend) is offered each
    next frame before it gets the current one, so it can start work on it in parallel; one
    decoded frame more is then held. ``on_frame`` sees each frame after the backend has.
    """
    kps: list[NDArray[np.float64]] = []
    scs: list[NDArray[np.float64]] = []
    times: list[float] = []
    look_ahead: Callable[[Any, float], None] | None = getattr(backend, "look_ahead", None)
    stream = iter(frames)
    frame = next(stream, None)
    worker = _ObserverWorker(observers)
    done = False
    try:
        while frame is not None:
            following = next(stream, None)
            if look_ahead is not None and following is not None:
                look_ahead(following.pixels, following.t_s)
            pose = backend(frame.pixels, frame.t_s)
            kps.append(pose.keypoints)
            scs.append(pose.scores)
            times.append(frame.t_s)
            worker.submit(frame, pose.keypoints, pose.scores)
            if on_frame is not None:
                on_frame(frame)
            frame = following
        done = True
    finally:
        worker.close(wait=done)
    return Detections(keypoints=kps, scores=scs, t_s=np.asarray(times, dtype=np.float64),
                      keypoint_names=backend.keypoint_names, width=width, height=height, fps=fps)


def runner_series(det: Detections, choice: PersonChoice | None = None) -> tuple[PoseSeries, Selection]:
    """The chosen runner's keypoints over the whole clip, and how it was chosen.

    Raises:
        NoRunnerError: no person was detected in any frame.
    """
    choice = choice or PersonChoice()
    if det.n_frames == 0 or not det.people_per_frame().any():
        raise NoRunnerError(f"no person was detected in any of the {det.n_frames} frames")
    names = det.keypoint_names
    torso = [names.index(n) for n in ("left_hip", "right_hip", "left_shoulder", "right_shoulder")
             if n in names]
    tracks = link(det.keypoints, det.scores, torso_idx=torso, max_gap_frames=max(5, round(det.fps / 2)))
    ankles = (names.index("left_ankle"), names.index("right_ankle"))
    candidates = score_tracks(tracks, fps=det.fps, frame_height=det.height, ankle_idx=ankles)
    chosen = choose(candidates, tracks, choice, fps=det.fps)
    series = PoseSeries(xy=tracks.xy[chosen.track], score=tracks.score[chosen.track], t_s=det.t_s,
                        keypoints=names, width=det.width, height=det.height, fps=det.fps)
    selection = Selection(method=choice.describe(), n_people=len(candidates), chosen_track=chosen.track,
                          candidates=[c.to_dict() for c in candidates[:5]])
    log.info("tracked %d people; runner = track %d (%s)", len(candidates), chosen.track, choice.describe())
    return series, selection


def quality_of(series: PoseSeries) -> dict[str, float]:
    """``runner_frames_fraction`` and ``mean_score`` (over frames with the runner)."""
    present = np.isfinite(series.xy).any(axis=(1, 2))
    frac = float(present.mean()) if present.size else 0.0
    mean_score = float(series.score[present].mean()) if present.any() else 0.0
    return {"runner_frames_fraction": round(frac, 4), "mean_score": round(mean_score, 4)}
