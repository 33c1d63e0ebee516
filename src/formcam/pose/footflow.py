"""Image motion of each foot against the ground, measured during the pose pass.

:class:`FootMotionObserver` is a frame observer for :func:`formcam.pose.detect`: for every
detected person and foot it crops a small grayscale window around the foot in the current
and the previous frame (placed by the heel, toe and ankle keypoints), computes dense
optical flow on it (OpenCV DIS) and keeps only a few numbers per foot and frame
(:data:`formcam.series.FOOT_MOTION_CHANNELS`): the image velocity of points along the sole
(heel to toe) and of a ground / belt window just below the foot. Frames are never kept
beyond the previous one, so memory stays flat; the crop is scaled so that the foot is
about ``work_foot_px`` long, so the cost per foot does not grow with the resolution.

After the runner is chosen, :meth:`FootMotionObserver.runner_motion` picks, frame by
frame, the detection that the runner's track came from (matching keypoints) and gives a
:class:`formcam.series.FootMotion` aligned with the runner's series. Timing contact from
these numbers is the analysis' job (:mod:`formcam.analysis.events_flow`).

Velocities are in full-frame display pixels per analysed frame interval (the displacement
from the previous analysed frame to this one), x right, y down; NaN where the foot was
not found (score below ``min_score``), too small, or on the first frame.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from formcam.series import FOOT_MOTION_CHANNELS, SOLE_FRACTIONS, FootMotion, PoseSeries
from formcam.video import Frame

log = logging.getLogger(__name__)
Arr = NDArray[np.float64]
SIDES = ("left", "right")
N_CH = len(FOOT_MOTION_CHANNELS)
PATCH_FRACTION = 0.05
"""Half-side of the square around each sole point whose median flow is its velocity, in foot lengths."""


def gray_crop(pixels: Any, box: tuple[int, int, int, int]) -> NDArray[np.uint8]:
    """Grayscale crop ``box = (x0, y0, x1, y1)`` (display pixels) of an RGB array or YUV planes."""
    x0, y0, x1, y1 = box
    if isinstance(pixels, np.ndarray):
        return np.asarray(cv2.cvtColor(np.ascontiguousarray(pixels[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY))
    y = np.rot90(pixels.y, -(int(getattr(pixels, "rotation_cw", 0)) // 90))  # luma, display orientation
    return np.ascontiguousarray(y[y0:y1, x0:x1])


def foot_box(pts: Arr, foot_px: float, *, width: int, height: int) -> tuple[int, int, int, int] | None:
    """The crop around one foot: its keypoints ``pts (3, 2)`` widened by the foot length
    (1.2 in x, 0.6 above, 1.1 below, room for the ground window); None if it leaves the frame."""
    x0 = int(np.floor(pts[:, 0].min() - 1.2 * foot_px))
    x1 = int(np.ceil(pts[:, 0].max() + 1.2 * foot_px))
    y0 = int(np.floor(pts[:, 1].min() - 0.6 * foot_px))
    y1 = int(np.ceil(pts[:, 1].max() + 1.1 * foot_px))
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 - x0 < 2 * foot_px or y1 - y0 < foot_px:
        return None
    return x0, y0, x1, y1


def _median_flow(flow: NDArray[np.float32], cx: float, cy: float, r: float) -> tuple[float, float]:
    """Median flow in the square of half-side ``r`` around ``(cx, cy)`` (work pixels); NaN outside."""
    h, w = flow.shape[:2]
    a, b = max(round(cy - r), 0), min(round(cy + r) + 1, h)
    c, d = max(round(cx - r), 0), min(round(cx + r) + 1, w)
    if b - a < 1 or d - c < 1:
        return np.nan, np.nan
    patch = flow[a:b, c:d].reshape(-1, 2)
    return float(np.median(patch[:, 0])), float(np.median(patch[:, 1]))


SOLE_INSET = (0.08, 0.12)
"""Sole points sit this far inside the shoe (foot lengths: along the foot from each end, and up
toward the ankle), so that their flow is the shoe's and not the ground's or the wall's behind it."""


def sole_points(heel: Arr, toe: Arr, ankle: Arr) -> Arr:
    """``(S, 2)`` points from heel to toe at :data:`formcam.series.SOLE_FRACTIONS`, inset
    (:data:`SOLE_INSET`) into the shoe on the ankle's side of the heel-toe line."""
    along = toe - heel
    length = float(np.hypot(*along))
    if length <= 0:
        return np.repeat(heel[None, :], len(SOLE_FRACTIONS), axis=0)
    normal = np.array([-along[1], along[0]]) / length
    if np.dot(ankle - heel, normal) < 0:
        normal = -normal
    a = heel + SOLE_INSET[0] * along + SOLE_INSET[1] * length * normal
    b = toe - SOLE_INSET[0] * along + SOLE_INSET[1] * length * normal
    f = np.asarray(SOLE_FRACTIONS)[:, None]
    return np.asarray(a[None, :] + f * (b - a)[None, :])


def rigid_fit(points: Arr, v: Arr, origin: Arr) -> tuple[float, float, float]:
    """The 2D rigid motion (least squares) that best gives velocities ``v (N, 2)`` at
    ``points (N, 2)``: its velocity ``(ux, uy)`` at ``origin`` and its spin ``om`` (radians per
    frame; the velocity at ``p`` is ``(ux - om (py - oy), uy + om (px - ox))``). NaN if fewer
    than three points were measured."""
    ok = np.isfinite(v).all(axis=1)
    if ok.sum() < 3:
        return np.nan, np.nan, np.nan
    d = points[ok] - origin
    a = np.zeros((2 * d.shape[0], 3))
    a[0::2, 0], a[0::2, 2] = 1.0, -d[:, 1]
    a[1::2, 1], a[1::2, 2] = 1.0, d[:, 0]
    (ux, uy, om), *_ = np.linalg.lstsq(a, v[ok].ravel(), rcond=None)
    return float(ux), float(uy), float(om)


def measure_foot(prev: NDArray[np.uint8], cur: NDArray[np.uint8], pts: Arr, origin: tuple[int, int],
                 scale: float, dis: Any) -> Arr:
    """One foot's channels (:data:`formcam.series.FOOT_MOTION_CHANNELS`) from two gray crops.

    ``pts``: heel, toe, ankle ``(3, 2)`` in the current frame (display pixels); ``origin``:
    the crops' top-left corner; ``scale``: work pixels per display pixel.
    """
    size = (max(round(cur.shape[1] * scale), 8), max(round(cur.shape[0] * scale), 8))
    a = cv2.resize(cur, size, interpolation=cv2.INTER_AREA)
    b = cv2.resize(prev, size, interpolation=cv2.INTER_AREA)
    back = dis.calc(a, b, None)  # at current positions, pointing to where they were
    heel, toe = pts[0], pts[1]
    foot_px = float(np.hypot(*(toe - heel)))
    local = (pts - np.asarray(origin, dtype=np.float64)) * scale
    r = max(1.0, PATCH_FRACTION * foot_px * scale)
    out = np.full(N_CH, np.nan)
    sole = sole_points(local[0], local[1], local[2])
    n = sole.shape[0]
    for k, (x, y) in enumerate(sole):
        vx, vy = _median_flow(back, x, y, r)
        out[2 * k: 2 * k + 2] = (-vx / scale, -vy / scale)
    out[2 * n: 2 * n + 3] = rigid_fit(sole / scale, out[: 2 * n].reshape(n, 2), local[0] / scale)
    out[2 * n + 3: 2 * n + 5] = toe - heel
    # ground / belt window: below the lowest sole point, as wide as the foot and a bit more
    low = float(max(local[0, 1], local[1, 1]))
    gx0, gx1 = min(local[0, 0], local[1, 0]) - 0.3 * foot_px * scale, max(local[0, 0], local[1, 0]) + \
        0.3 * foot_px * scale
    gy0, gy1 = low + 0.45 * foot_px * scale, low + 1.0 * foot_px * scale
    if gy1 <= back.shape[0] + 0.25 * foot_px * scale and gy0 < back.shape[0] - 2:
        g = back[max(int(gy0), 0):min(int(gy1), back.shape[0]), max(int(gx0), 0):max(int(gx1), 1)]
        if g.size:
            flat = g.reshape(-1, 2)
            out[-3:-1] = (-float(np.median(flat[:, 0])) / scale, -float(np.median(flat[:, 1])) / scale)
    out[-1] = foot_px
    return out


class FootMotionObserver:
    """Frame observer (``observer(frame, keypoints, scores)``) that measures foot motion.

    Args:
        keypoint_names: the backend's keypoint names (must include each side's heel,
            foot_index and ankle).
        min_score: keypoints below this confidence are treated as missing.
        min_foot_px: feet shorter than this (heel to toe, display pixels) are not measured.
        work_foot_px: the crop is scaled so that the foot is about this long (at most 1:1
            upscaled by 1.5).
    """

    def __init__(self, keypoint_names: tuple[str, ...], *, min_score: float = 0.3, min_foot_px: float = 8.0,
                 work_foot_px: float = 24.0) -> None:
        self.idx = {s: [keypoint_names.index(f"{s}_{p}") for p in ("heel", "foot_index", "ankle")]
                    for s in SIDES}
        self.min_score, self.min_foot_px, self.work_foot_px = min_score, min_foot_px, work_foot_px
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)  # type: ignore[attr-defined]
        self.prev: Any = None
        self.motion: list[NDArray[np.float32]] = []  # per frame (P_t, 2, C)
        self.keypoints: list[NDArray[np.float32]] = []  # per frame (P_t, 6, 2): the feet, for matching

    def __call__(self, frame: Frame, keypoints: Arr, scores: Arr) -> None:
        pixels = frame.pixels
        n = keypoints.shape[0]
        out = np.full((n, 2, N_CH), np.nan, dtype=np.float32)
        feet = np.full((n, 6, 2), np.nan, dtype=np.float32)
        height, width = pixels.shape[:2]
        for p in range(n):
            for j, side in enumerate(SIDES):
                idx = self.idx[side]
                pts = np.asarray(keypoints[p, idx], dtype=np.float64)
                feet[p, 3 * j: 3 * j + 3] = pts
                if self.prev is None or not np.isfinite(pts).all() or (scores[p, idx] < self.min_score).any():
                    continue
                out[p, j] = self._foot(pixels, pts, width=width, height=height)
        self.motion.append(out)
        self.keypoints.append(feet)
        self.prev = pixels

    def _foot(self, pixels: Any, pts: Arr, *, width: int, height: int) -> Arr:
        foot_px = float(np.hypot(*(pts[1] - pts[0])))
        if foot_px < self.min_foot_px:
            return np.full(N_CH, np.nan)
        box = foot_box(pts, foot_px, width=width, height=height)
        if box is None:
            return np.full(N_CH, np.nan)
        scale = min(self.work_foot_px / foot_px, 1.5)
        return measure_foot(gray_crop(self.prev, box), gray_crop(pixels, box), pts, (box[0], box[1]),
                            scale, self.dis)

    def runner_motion(self, series: PoseSeries, *, max_px: float = 3.0) -> FootMotion:
        """The runner's foot motion, frame by frame from the detection whose feet match the
        runner's series (within ``max_px``); NaN where none does (gaps, other people)."""
        idx = [i for s in SIDES for i in self.idx[s]]
        mine = series.xy[:, idx]
        out = np.full((series.n_frames, 2, N_CH), np.nan, dtype=np.float32)
        for t in range(min(series.n_frames, len(self.motion))):
            if self.keypoints[t].shape[0] == 0 or not np.isfinite(mine[t]).any():
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a person without feet: all NaN
                d = np.nanmax(np.abs(self.keypoints[t] - mine[t][None]), axis=(1, 2))
            best = int(np.nanargmin(np.where(np.isfinite(d), d, np.inf)))
            if np.isfinite(d[best]) and d[best] <= max_px:
                out[t] = self.motion[t][best]
        return FootMotion(values=out)
