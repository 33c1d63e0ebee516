"""The side-view sticker pass: a second look at the pixels around a side-view runner's pelvis.

When markers are wanted (``--markers auto`` or ``pelvis``) and the clip is a side view, the
pipeline decodes the clip once more (the pose pass's frames) and, in each frame where the
runner's hips and shoulders are known, looks for the ASIS and PSIS stickers
(:mod:`formcam.pose.side_markers`) in a crop around the hips only: from 0.5 trunk lengths
(hip to shoulder) above the hips' keypoint to 0.15 below, 0.55 ahead and behind. The
result is a :class:`formcam.series.PelvisImage` with ``view="side"`` whose two dots are the
image-left and image-right stickers (NaN where hidden); its flow fields are unused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from formcam.pose.pelvis_pass import run_observer
from formcam.pose.side_markers import find_ring_dots
from formcam.pose.side_tracker import SideTracker
from formcam.series import PelvisImage, PoseSeries
from formcam.video import Frame, FrameReader

log = logging.getLogger(__name__)
FloatArray = NDArray[np.float64]
MIN_SCORE = 0.3
STICKER_TRUNK = (0.024, 0.076)
"""Sticker diameters searched, in trunk lengths (hip to shoulder keypoints, about 0.29 of
stature): 1.5 cm on a 200 cm runner is 0.026, 3 cm on a 150 cm runner 0.069; the margin
absorbs the keypoints' 10 % scale error. Smaller bright specks (an anti-aliased outline, a
highlight) are not stickers."""


WORK_TRUNK_PX = 140.0
"""Crops of a runner whose trunk is longer than this are shrunk to it first (INTER_AREA): the
stickers stay 3.4-11 px across, the work stays small, and the sticker line (about 46 px there)
is still measured to a fraction of a degree."""


def facing_sign(series: PoseSeries) -> int:
    """+1 when the runner faces image-right, -1 image-left, 0 when the feet do not say: the sign
    of the median heel -> toe direction over both feet (in a side view the toes point forward)."""
    d = []
    for side in ("left", "right"):
        heel, toe = series.index(f"{side}_heel"), series.index(f"{side}_foot_index")
        ok = (series.score[:, heel] >= MIN_SCORE) & (series.score[:, toe] >= MIN_SCORE)
        d.append(np.asarray(series.xy[ok, toe, 0] - series.xy[ok, heel, 0], dtype=np.float64))
    dx = np.concatenate(d)
    dx = dx[np.isfinite(dx)]
    if dx.size < 3 or abs(float(np.mean(np.sign(dx)))) < 0.3:
        return 0
    return 1 if float(np.median(dx)) > 0 else -1


def _hip_trunk(series: PoseSeries, i: int) -> tuple[FloatArray, float] | None:
    idx = [series.index(n) for n in ("left_hip", "right_hip", "left_shoulder", "right_shoulder")]
    if (series.score[i, idx] < MIN_SCORE).any() or not np.isfinite(series.xy[i, idx]).all():
        return None
    p = series.xy[i, idx].astype(np.float64)
    hip = 0.5 * (p[0] + p[1])
    trunk = float(np.hypot(*(0.5 * (p[2] + p[3]) - hip)))
    return (hip, trunk) if trunk > 20 else None


class SideObserver:
    """Per-frame work of the side pass for one runner's ``series``; call it with each frame."""

    def __init__(self, series: PoseSeries, *, markers: str) -> None:
        self.series, self.markers = series, markers
        self.facing = facing_sign(series)
        self.dots = np.full((series.n_frames, 2, 2), np.nan)
        self.tracker = SideTracker(self.facing or 1)

    def __call__(self, i: int, rgb: NDArray[np.uint8]) -> None:
        got = _hip_trunk(self.series, i) if self.facing else None
        if got is None:
            return
        hip, trunk = got
        h, w = rgb.shape[:2]
        x0, x1 = int(max(hip[0] - 0.55 * trunk, 0)), int(min(hip[0] + 0.55 * trunk, w))
        y0, y1 = int(max(hip[1] - 0.5 * trunk, 0)), int(min(hip[1] + 0.15 * trunk, h))
        if x1 - x0 < 5 or y1 - y0 < 5:
            return
        crop, f = rgb[y0:y1, x0:x1], min(1.0, WORK_TRUNK_PX / trunk)  # a big runner: look at a smaller copy
        if f < 1.0:
            crop = np.asarray(
                cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_AREA), dtype=np.uint8
            )
        dots = find_ring_dots(
            crop,
            min_diameter_px=max(2.0, STICKER_TRUNK[0] * trunk * f),
            max_diameter_px=max(5.0, STICKER_TRUNK[1] * trunk * f),
        )
        moved = [d.scaled(1.0 / f, x0, y0) for d in dots]
        front_back = self.tracker.update(moved, hip=hip, trunk_px=trunk)
        self.dots[i] = front_back[::-1] if self.facing > 0 else front_back  # image-left, image-right

    def result(self) -> PelvisImage:
        t = self.series.n_frames
        return PelvisImage(
            dots_px=self.dots,
            flow_rot_deg=np.full(t, np.nan),
            flow_points=np.zeros(t, np.int64),
            markers=self.markers,
            view="side",
        )


def observe_side(frames: Iterable[Frame], series: PoseSeries, *, markers: str) -> PelvisImage:
    """Run :class:`SideObserver` over ``frames``, matched to the series' frames by time."""
    return run_observer(frames, series, SideObserver(series, markers=markers))


def side_pass(path: str | Path, series: PoseSeries, *, step: int, markers: str) -> PelvisImage:
    """Decode ``path`` again (every ``step``-th frame) and follow the side-view pelvis stickers."""
    with FrameReader(path, step=step) as reader:
        result = observe_side(reader, series, markers=markers)
    seen: NDArray[np.bool_] = np.asarray(np.isfinite(result.dots_px).all(axis=2), dtype=bool)
    log.info(
        "side sticker pass over %s: image-left %d, image-right %d, both %d of %d frames",
        path,
        int(seen[:, 0].sum()),
        int(seen[:, 1].sum()),
        int(seen.all(axis=1).sum()),
        series.n_frames,
    )
    return result
