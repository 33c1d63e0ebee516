"""Choose, then track: the multi-person pass on a sparse schedule, one-person tracking between.

formcam's pose pass looks for up to three people on every frame so that it can choose the
runner (:mod:`formcam.pose.select`); in nearly every clip the runner is alone, and the person
detector that this costs on every frame is most of the pose stage's time. :class:`ChooseThenTrack`
is a backend made of two: ``wide`` (several people, the detector on every frame) and ``narrow``
(one person, tracked from the previous frame's landmarks, the detector only when lost). It
calls ``wide``

* on every frame of the first ``warmup_s`` seconds;
* then every ``every_s`` seconds, so that someone walking in is found within that time;
* on the frame after ``narrow`` lost its person;
* on every frame while the last ``wide`` frame had more than one person, and on every frame
  for the rest of the clip once ``wide`` frames found more than one over ``crowded_s``: where
  other people keep showing up (a coach beside the treadmill, sprinters side by side) it is
  the full multi-person pass, so the tracks that choose the runner are the same;

and ``narrow`` otherwise. ``narrow`` is reset whenever it resumes after ``wide`` frames with
several people, so it starts from a fresh detection of the one person there, never from a
stale crop. The frames' keypoints are returned as they are, and the runner is chosen from them
as from any backend's (:func:`formcam.pose.estimate.runner_series`).

Tracked crops are not the detector's: on a real 1080x1920 clip (side_treadmill_01), landmarks
from crops tracked from the previous frame were a median 8 px (90th percentile 44 px, mostly
the far arm and leg) from those of fresh detections, in MediaPipe (one pose vs three: 15 px
with its smoothing) as in the ONNX port; through this pass (ONNX, tracking unsmoothed) 5.8 px
(90th percentile 35 px) there, 2.7 px on side_overground_01 and 3.8 px on the rear treadmill
clip. Which crops are closer to the truth depends on the view (``formcam verify`` through the
model, the phantom's 23 cases: 165 of 213 rows within tolerance tracked, 158 with fresh
detections): in rear views tracked crops time contacts within a frame (0.3-0.6 frames; fresh
detections 1.3-1.9) and read pelvic sway closer; in side views they read knee flexion at
contact ~5 deg lower and hip extension ~4 deg higher, failing 9 more rows. So by default
(``views="frontal"``, ``AnalyzeOptions.track_runner=None``) a clip is tracked only when its
first seconds show a rear or front view; ``--track-runner`` tracks in every view and
``--no-track-runner`` never.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import numpy as np
from numpy.typing import NDArray

from formcam.errors import ConfigError
from formcam.pose.backends.base import BackendInfo, PoseBackend, PoseFrame, PoseImage

log = logging.getLogger(__name__)

_TIME_EPS_S = 1e-6
"""Frame times a whole number of seconds apart in exact arithmetic may differ by a rounding error."""

TRACK_VIEWS = ("any", "frontal")
"""Views in which :class:`ChooseThenTrack` tracks between its multi-person passes: ``any``, or
``frontal`` (rear and front views only; a side view gets the full pass on every frame)."""

FRONTAL_MIN = 0.42
"""Shoulder and hip line width over torso length at or above which the first seconds are taken
as a rear/front view for tracking. :mod:`formcam.analysis.view` decides the view at 0.35 over
the whole clip; tracking a side view costs accuracy, so this asks for a clearly frontal one: over
the first 1.5 s of the shared clips side views read 0.12-0.34 (0.34: a panning portrait clip) and
the rear and front views 0.49-0.50."""


def frontal_ratio(keypoints: NDArray[np.float64], names: tuple[str, ...]) -> float:
    """Mean width of the shoulder and hip lines over the torso length (hip midpoint to shoulder
    midpoint) of one person's ``(K, 2)`` keypoints; NaN without the four points."""
    try:
        ls, rs, lh, rh = (keypoints[names.index(n)] for n in ("left_shoulder", "right_shoulder",
                                                               "left_hip", "right_hip"))
    except ValueError:
        return float("nan")
    torso = float(np.hypot(*((ls + rs) / 2 - (lh + rh) / 2)))
    if not np.isfinite(torso) or torso <= 0:
        return float("nan")
    return float((np.hypot(*(ls - rs)) + np.hypot(*(lh - rh))) / 2 / torso)


@dataclass(frozen=True)
class TrackSchedule:
    """When :class:`ChooseThenTrack` runs its multi-person pass.

    Attributes:
        warmup_s: seconds from the first frame during which every frame gets it.
        every_s: seconds between its runs after that, while one person is tracked.
        crowded_s: once its frames have found more than one person over this many seconds
            (from the first such frame to the latest), every frame gets it (the full pass). A
            detector that flickers on a second person would otherwise hand the frames between
            to one-person tracking, which follows either of them; a passer-by seen for less
            does not end the tracking.
    """

    warmup_s: float = 1.5
    every_s: float = 1.0
    crowded_s: float = 0.25

    def __post_init__(self) -> None:
        if not (self.warmup_s >= 0 and self.every_s > 0 and self.crowded_s >= 0):
            raise ConfigError(f"expected warmup_s >= 0, every_s > 0 and crowded_s >= 0 seconds, got "
                              f"{self.warmup_s}, {self.every_s} and {self.crowded_s}")


class ChooseThenTrack:
    """A :class:`~formcam.pose.backends.base.PoseBackend` that runs ``wide`` on a sparse
    schedule and ``narrow`` between (see the module docstring).

    ``narrow`` should return at most one person; if it has a ``reset()`` method it is called
    before ``narrow`` resumes after a crowded stretch. Counts of the frames each backend got
    are kept in :attr:`wide_frames` and :attr:`narrow_frames`.
    """

    @property
    def full_pass(self) -> bool:
        """Whether other people kept showing up, so that every frame now gets the multi-person pass."""
        return self._full

    def __init__(self, wide: PoseBackend, narrow: PoseBackend, schedule: TrackSchedule | None = None, *,
                 views: str = "any") -> None:
        if views not in TRACK_VIEWS:
            raise ConfigError(f"expected views in {TRACK_VIEWS}, got {views!r}")
        self.wide, self.narrow = wide, narrow
        self.schedule = schedule or TrackSchedule()
        self.views = views
        self._start()

    def _start(self) -> None:
        self._t0: float | None = None
        self._last_wide_s = float("-inf")
        self._alone = False  # the last wide frame had exactly one person
        self._lost = True
        self._stale = False  # narrow has not followed the person since a crowded stretch
        self._first_crowded_s: float | None = None  # the first wide frame with more than one person
        self._full = False
        self._ratios: list[float] = []  # frontal_ratio of the biggest person in each warm-up frame
        self._view_checked = self.views == "any"
        self.view_ratio: float | None = None
        """Median :func:`frontal_ratio` over the warm-up (``views="frontal"``), once checked."""
        self.wide_frames = 0
        self.narrow_frames = 0

    @property
    def info(self) -> BackendInfo:
        return self.wide.info

    @property
    def keypoint_names(self) -> tuple[str, ...]:
        return self.wide.keypoint_names

    @property
    def accepts_yuv(self) -> bool:
        return bool(getattr(self.wide, "accepts_yuv", False) and getattr(self.narrow, "accepts_yuv", False))

    def __enter__(self) -> Self:
        self.wide.__enter__()
        try:
            self.narrow.__enter__()
        except BaseException:
            self.wide.__exit__(None, None, None)
            raise
        self._start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.narrow.__exit__(exc_type, exc, tb)
        finally:
            self.wide.__exit__(exc_type, exc, tb)

    def wide_due(self, t_s: float) -> bool:
        """Whether the frame at ``t_s`` gets the multi-person pass."""
        if self._t0 is None or t_s - self._t0 < self.schedule.warmup_s:
            return True
        if not self._view_checked:
            self._check_view()
        if self._full:
            return True
        return not self._alone or self._lost or t_s - self._last_wide_s >= self.schedule.every_s - _TIME_EPS_S

    def _check_view(self) -> None:
        """End of the warm-up with ``views="frontal"``: a view that is not clearly rear/front
        (median :func:`frontal_ratio` below :data:`FRONTAL_MIN`, or no evidence) gets the full
        pass on every frame from now on."""
        self._view_checked = True
        ratios = [r for r in self._ratios if np.isfinite(r)]
        self.view_ratio = float(np.median(ratios)) if ratios else None
        if self.view_ratio is None or self.view_ratio < FRONTAL_MIN:
            self._full = True
            shown = "unknown" if self.view_ratio is None else f"{self.view_ratio:.2f}"
            log.info("not a rear/front view (shoulder and hip width %s of the torso): the multi-person "
                     "pass on every frame", shown)

    def _note_view(self, pose: PoseFrame) -> None:
        """Keep the warm-up frame's :func:`frontal_ratio` of its biggest person."""
        if self._view_checked or pose.n_people == 0:
            return
        y = pose.keypoints[..., 1]
        seen = np.isfinite(y)
        heights = np.where(seen, y, -np.inf).max(axis=1) - np.where(seen, y, np.inf).min(axis=1)
        biggest = int(np.argmax(np.where(np.isfinite(heights), heights, -1.0)))
        self._ratios.append(frontal_ratio(pose.keypoints[biggest], self.keypoint_names))

    def look_ahead(self, image: PoseImage, t_s: float) -> None:
        """Pass the next frame on to ``wide`` if it will probably get it (see
        :func:`formcam.pose.estimate.detect`)."""
        ahead = getattr(self.wide, "look_ahead", None)
        if ahead is not None and self.wide_due(t_s):
            ahead(image, t_s)

    def __call__(self, image: PoseImage, t_s: float) -> PoseFrame:
        if self._t0 is None:
            self._t0 = t_s
        if self.wide_due(t_s):
            pose = self.wide(image, t_s)
            self._note_view(pose)
            self.wide_frames += 1
            self._last_wide_s = t_s
            self._alone = pose.n_people == 1
            self._lost = False
            if pose.n_people > 1:
                self._stale = True
                if self._first_crowded_s is None:
                    self._first_crowded_s = t_s
                crowded = t_s - self._first_crowded_s >= self.schedule.crowded_s - _TIME_EPS_S
                self._full = self._full or crowded  # never undone (nor the view check's)
            return pose
        if self._stale:
            reset = getattr(self.narrow, "reset", None)
            if reset is not None:
                reset()
            self._stale = False
        pose = self.narrow(image, t_s)
        self.narrow_frames += 1
        self._lost = pose.n_people == 0
        return pose
