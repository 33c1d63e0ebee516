"""Markerless pelvic rotation in the image: points tracked on the lower back and waistband.

The pose model places each hip from the thigh's outline, so its hip line follows the
swinging thigh more than the pelvis. What moves with the pelvis in a rear (or front)
view is the cloth and skin between the hips and the waist: the waistband, the top of the
shorts, the lower back. :class:`PelvisFlow` seeds corner features (Shi-Tomasi) in that
region, :func:`seed_region` (from 10 % to 40 % of the way from the hips' midpoint to the
shoulders' midpoint, 0.75 hip widths either side: above the thighs, below most of the
shirt), follows them to the next frame with pyramidal Lucas-Kanade optical flow
(forward-backward checked) and fits one rotation + scale + shift to them (RANSAC, so a few
points on a swinging arm or a flapping shirt are outliers). The rotation between
consecutive frames (deg, + counter-clockwise on screen) is what it reports; summed over
time it is the pelvis's in-plane rotation up to a slow drift, which the analysis removes.

Only the previous frame's grey crop and the tracked points are kept, never whole frames.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
MIN_POINTS = 8
MAX_POINTS = 60
FB_MAX_PX = 0.7
RANSAC_PX = 1.0
_LK = {"winSize": (15, 15), "maxLevel": 2,
       "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)}


def seed_region(hip_l: FloatArray, hip_r: FloatArray, sh_l: FloatArray, sh_r: FloatArray) -> FloatArray:
    """``(4, 2)`` corners (px) of the quadrilateral where pelvis-following points are sought."""
    hip_mid, sh_mid = 0.5 * (hip_l + hip_r), 0.5 * (sh_l + sh_r)
    up = sh_mid - hip_mid
    across = hip_r - hip_l
    lo, hi = hip_mid + 0.10 * up, hip_mid + 0.40 * up
    return np.stack([lo - 0.75 * across, lo + 0.75 * across, hi + 0.75 * across, hi - 0.75 * across])


def _box(quad: FloatArray, shape: tuple[int, ...], margin_px: float) -> tuple[int, int, int, int]:
    x0, y0 = np.floor(quad.min(axis=0) - margin_px).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0) + margin_px).astype(int)
    return max(x0, 0), max(y0, 0), min(x1, shape[1]), min(y1, shape[0])


def rotation_deg(src: FloatArray, dst: FloatArray) -> tuple[float, int]:
    """Rotation (deg, + counter-clockwise on screen) of the similarity that maps ``src`` to ``dst``
    (``(N, 2)`` px, image y down), and its number of RANSAC inliers; NaN when under
    :data:`MIN_POINTS` points agree."""
    if len(src) < MIN_POINTS:
        return math.nan, 0
    m, inliers = cv2.estimateAffinePartial2D(src.astype(np.float32), dst.astype(np.float32),
                                             method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PX)
    n = int(inliers.sum()) if inliers is not None else 0
    if m is None or n < MIN_POINTS:
        return math.nan, n
    return -math.degrees(math.atan2(m[1, 0], m[0, 0])), n


class PelvisFlow:
    """Frame-to-frame rotation of the pelvis region (see the module doc); feed frames in order."""

    def __init__(self) -> None:
        self.prev: NDArray[np.uint8] | None = None  # grey crop of the previous frame
        self.origin = np.zeros(2)  # its top-left corner in the frame, px
        self.points = np.zeros((0, 2))  # tracked points, frame px

    def reset(self) -> None:
        self.prev, self.points = None, np.zeros((0, 2))

    def update(self, grey: NDArray[np.uint8], quad: FloatArray | None) -> tuple[float, int]:
        """Rotation since the previous frame (deg) and the points behind it, for the grey frame
        ``grey`` ``(H, W)`` whose seed region is ``quad`` (None: runner not seen; tracking restarts)."""
        if quad is None or not np.isfinite(quad).all():
            self.reset()
            return math.nan, 0
        rot, n = math.nan, 0
        margin = 0.3 * float(np.hypot(*(quad[1] - quad[0])))
        if self.prev is not None and len(self.points) >= MIN_POINTS:
            x0, y0 = int(self.origin[0]), int(self.origin[1])
            cur = grey[y0:y0 + self.prev.shape[0], x0:x0 + self.prev.shape[1]]
            if cur.shape == self.prev.shape:
                p0 = (self.points - self.origin).astype(np.float32).reshape(-1, 1, 2)
                p1, st, _ = cv2.calcOpticalFlowPyrLK(self.prev, cur, p0, None, **_LK)  # type: ignore[call-overload]
                pb, st_b, _ = cv2.calcOpticalFlowPyrLK(cur, self.prev, p1, None, **_LK)  # type: ignore[call-overload]
                fb = np.hypot(*(pb - p0).reshape(-1, 2).T)
                ok = (st.ravel() == 1) & (st_b.ravel() == 1) & (fb < FB_MAX_PX)
                src, dst = p0.reshape(-1, 2)[ok], p1.reshape(-1, 2)[ok]
                rot, n = rotation_deg(src, dst)
                self.points = dst.astype(np.float64) + self.origin
                self.points = self.points[_inside(self.points, quad)]
        x0, y0, x1, y1 = _box(quad, grey.shape, margin)
        if x1 - x0 < 8 or y1 - y0 < 8:
            self.reset()
            return rot, n
        self.prev, self.origin = np.ascontiguousarray(grey[y0:y1, x0:x1]), np.array([x0, y0], float)
        if len(self.points) < max(MIN_POINTS * 2, MAX_POINTS // 2):
            self.points = self._seed(quad)
        return rot, n

    def _seed(self, quad: FloatArray) -> FloatArray:
        assert self.prev is not None
        mask = np.zeros(self.prev.shape, np.uint8)
        cv2.fillConvexPoly(mask, np.round(quad - self.origin).astype(np.int32), 255)
        size = float(np.hypot(*(quad[1] - quad[0])))
        pts = cv2.goodFeaturesToTrack(self.prev, maxCorners=MAX_POINTS, qualityLevel=0.01,
                                      minDistance=max(2.0, size / 25), mask=mask, blockSize=5)
        if pts is None:
            return np.zeros((0, 2))
        return np.asarray(pts.reshape(-1, 2), dtype=np.float64) + self.origin


def _inside(points: FloatArray, quad: FloatArray) -> NDArray[np.bool_]:
    contour = quad.astype(np.float32).reshape(-1, 1, 2)
    return np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), False) >= 0 for x, y in points],
                    dtype=bool)


