"""The pelvis pass: a second look at a clip's pixels around the runner's pelvis.

After the pose pass has chosen the runner, :func:`pelvis_pass` decodes the clip once more
(the same frames: every ``step``-th) and, in each frame where the runner's hips and
shoulders are known, looks for PSIS markers (:mod:`formcam.pose.markers`) in a window
around the hips and follows the lower back's rotation (:mod:`formcam.pose.pelvis_flow`).
It keeps only a few numbers per frame (:class:`formcam.series.PelvisImage`) and one small
grey crop, never whole frames, so memory does not grow with the clip.

Marker settings (:data:`MARKER_SETTINGS`): ``off`` (markerless only), ``auto`` (use PSIS
markers when found), ``pelvis`` (PSIS markers expected: say so when they are missing),
``pelvis,heels`` (also heel markers: not used yet, the analysis says so). In a side view the
same setting drives :mod:`formcam.pose.side_pass` (ASIS / PSIS stickers, pelvic tilt).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from formcam.errors import ConfigError
from formcam.pose.markers import Dot, PsisTracker, find_dots
from formcam.pose.pelvis_flow import PelvisFlow, seed_region
from formcam.series import PelvisImage, PoseSeries
from formcam.video import Frame, FrameReader

log = logging.getLogger(__name__)
FloatArray = NDArray[np.float64]
MARKER_SETTINGS: tuple[str, ...] = ("auto", "off", "pelvis", "pelvis,heels")
MIN_SCORE = 0.3


def parse_markers(value: str | None, *, name: str = "--markers") -> str:
    """A marker setting from the CLI, the app or ``formcam.toml`` (None: ``auto``).

    Raises:
        ConfigError: not one of :data:`MARKER_SETTINGS` (spaces and order ignored).
    """
    if value is None:
        return "auto"
    tokens = [p.strip().lower() for p in str(value).split(",") if p.strip()]
    norm = "pelvis,heels" if sorted(tokens) == ["heels", "pelvis"] else ",".join(tokens)
    if norm not in MARKER_SETTINGS:
        raise ConfigError(f"{name}: expected one of {', '.join(MARKER_SETTINGS)}, got {value!r}")
    return norm


def _trunk_points(series: PoseSeries, i: int) -> tuple[FloatArray, ...] | None:
    names = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")
    idx = [series.index(n) for n in names]
    if (series.score[i, idx] < MIN_SCORE).any() or not np.isfinite(series.xy[i, idx]).all():
        return None
    return tuple(series.xy[i, k].astype(np.float64) for k in idx)


class PelvisObserver:
    """Per-frame work of the pelvis pass for one runner's ``series``; call it with each frame."""

    def __init__(self, series: PoseSeries, *, markers: str) -> None:
        self.series, self.markers = series, markers
        t = series.n_frames
        self.dots = np.full((t, 2, 2), np.nan)
        self.rot = np.full(t, np.nan)
        self.npts = np.zeros(t, np.int64)
        self.flow, self.tracker = PelvisFlow(), PsisTracker()

    def __call__(self, i: int, rgb: NDArray[np.uint8]) -> None:
        pts = _trunk_points(self.series, i)
        grey = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
        if pts is None:
            self.flow.update(grey, None)
            return
        hl, hr, sl, sr = pts
        self.rot[i], self.npts[i] = self.flow.update(grey, seed_region(hl, hr, sl, sr))
        if self.markers != "off":
            self.dots[i] = self._psis(rgb, hl, hr, sl, sr)

    def _psis(self, rgb: NDArray[np.uint8], hl: FloatArray, hr: FloatArray, sl: FloatArray,
              sr: FloatArray) -> FloatArray:
        hip_mid = 0.5 * (hl + hr)
        hip_dist = float(np.hypot(*(hr - hl)))
        trunk = float(np.hypot(*(0.5 * (sl + sr) - hip_mid)))
        if not (hip_dist > 2 and trunk > 10):
            return np.full((2, 2), np.nan)
        half = max(0.9 * hip_dist, 0.2 * trunk)
        x0, x1 = int(max(hip_mid[0] - half, 0)), int(min(hip_mid[0] + half, rgb.shape[1]))
        y0, y1 = int(max(hip_mid[1] - 0.45 * trunk, 0)), int(min(hip_mid[1] + 0.1 * trunk, rgb.shape[0]))
        if x1 - x0 < 5 or y1 - y0 < 5:
            return np.full((2, 2), np.nan)
        dots = find_dots(rgb[y0:y1, x0:x1], min_diameter_px=max(2.0, 0.015 * trunk),
                         max_diameter_px=max(6.0, 0.1 * trunk))
        moved = [Dot(d.x + x0, d.y + y0, d.diameter_px, d.contrast) for d in dots]
        return self.tracker.update(moved, hip_mid=hip_mid, hip_dist_px=max(hip_dist, 0.3 * trunk))

    def result(self) -> PelvisImage:
        return PelvisImage(dots_px=self.dots, flow_rot_deg=self.rot, flow_points=self.npts,
                           markers=self.markers)


def series_frames(frames: Iterable[Frame], series: PoseSeries) -> Iterator[tuple[int, Frame]]:
    """``(k, frame)`` for each of ``frames`` that is the series' frame ``k``: matched by time
    within a quarter of a frame interval, in order (frames between the series' are skipped)."""
    t = series.t_s
    tol = 0.25 / series.fps
    k = 0
    for frame in frames:
        while k < len(t) and t[k] < frame.t_s - tol:
            k += 1
        if k >= len(t):
            return
        if abs(t[k] - frame.t_s) <= tol:
            yield k, frame
            k += 1


class FrameObserver(Protocol):
    """A second-decode pass's observer: called with each series frame index and its RGB image,
    then asked for its :class:`PelvisImage`."""

    def __call__(self, i: int, rgb: NDArray[np.uint8]) -> None: ...

    def result(self) -> PelvisImage: ...


def run_observer(frames: Iterable[Frame], series: PoseSeries, obs: FrameObserver) -> PelvisImage:
    """Run ``obs`` over ``frames``, matched to the series' frames by time (:func:`series_frames`)."""
    for k, frame in series_frames(frames, series):
        obs(k, frame.image)
    return obs.result()


def observe(frames: Iterable[Frame], series: PoseSeries, *, markers: str) -> PelvisImage:
    """Run :class:`PelvisObserver` over ``frames``, matched to the series' frames by time."""
    return run_observer(frames, series, PelvisObserver(series, markers=markers))


def pelvis_pass(path: str | Path, series: PoseSeries, *, step: int, markers: str) -> PelvisImage:
    """Decode ``path`` again (every ``step``-th frame) and observe the runner's pelvis."""
    with FrameReader(path, step=step) as reader:
        result = observe(reader, series, markers=markers)
    found = np.isfinite(result.dots_px).all(axis=(1, 2))
    log.info("pelvis pass over %s: PSIS pair in %d of %d frames, flow rotation in %d", path, int(found.sum()),
             series.n_frames, int(np.isfinite(result.flow_rot_deg).sum()))
    return result

