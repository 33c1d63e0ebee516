"""Skin markers (stickers) in the image: find high-contrast dots, and follow the PSIS pair.

Clinical 2D running analysis puts 1.5-3 cm stickers on the posterior superior iliac spines
(PSIS; Dingenen 2018, REFERENCES.md). Here a dot is a small round patch that differs from
its surroundings by at least ``min_contrast`` in RGB (any colour: white on dark shorts, a
coloured dot on a white shoe): the local background is a median filter wider than the
largest dot, the dot a connected region of the difference, its centre the
difference-weighted centroid (sub-pixel). Patches are ``(H, W, 3)`` uint8 RGB; centres are
pixels in the patch (x right, y down) unless stated.

:class:`PsisTracker` keeps the pair (image-left and image-right dot) from frame to frame:
it acquires a pair by geometry (roughly level, about a hip width or less apart, between
the hips and above them), then gates each dot to its previous place. A frame where one dot
is missing (occluded), the two gated dots merge, their order flips (a swap) or the pair's
spacing or angle jumps is reported as not found (NaN) for the dot(s) concerned; after
:data:`REACQUIRE_FRAMES` such frames the pair is looked for afresh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
MIN_CONTRAST = 90.0
"""Smallest mean RGB distance (0..441) between a dot and its local background. White on
navy is about 340, a printed spot 1.3x lighter than navy shorts about 105."""
REACQUIRE_FRAMES = 5
MAX_PAIR_ANGLE_DEG = 25.0
MAX_ANGLE_JUMP_DEG = 12.0


@dataclass(frozen=True)
class Dot:
    """One dot: centre (px), equivalent diameter (px) and mean contrast (RGB distance)."""

    x: float
    y: float
    diameter_px: float
    contrast: float


def _odd(n: float) -> int:
    k = max(5, math.ceil(n))
    return k if k % 2 else k + 1


def find_dots(patch: NDArray[np.uint8], *, min_diameter_px: float, max_diameter_px: float,
              min_contrast: float = MIN_CONTRAST) -> list[Dot]:
    """Round high-contrast dots in ``patch`` whose equivalent diameter is in the given range,
    strongest first."""
    if patch.shape[0] < 5 or patch.shape[1] < 5:
        return []
    bg = cv2.medianBlur(np.ascontiguousarray(patch), _odd(2.5 * max_diameter_px))
    diff = np.linalg.norm(patch.astype(np.float32) - bg.astype(np.float32), axis=2)
    mask = (diff > min_contrast).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    dots: list[Dot] = []
    for i in range(1, n):
        x0, y0, w, h, area = stats[i].tolist()
        d_eq = 2.0 * math.sqrt(area / math.pi)
        if not min_diameter_px <= d_eq <= max_diameter_px or max(w, h) > 1.8 * min(w, h) + 1:
            continue
        if area < 0.45 * w * h:
            continue
        contrast = float(diff[labels == i].mean())
        # centroid over the region grown by one pixel (its anti-aliased rim), weighted by contrast
        xa, ya = max(x0 - 1, 0), max(y0 - 1, 0)
        xb, yb = min(x0 + w + 1, diff.shape[1]), min(y0 + h + 1, diff.shape[0])
        grown = cv2.dilate((labels[ya:yb, xa:xb] == i).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        wgt = np.where(grown, np.clip(diff[ya:yb, xa:xb] - 0.5 * min_contrast, 0.0, None), 0.0)
        if wgt.sum() <= 0:
            continue
        yy, xx = np.mgrid[ya:yb, xa:xb]
        total = float(wgt.sum())
        dots.append(Dot(float((wgt * xx).sum()) / total, float((wgt * yy).sum()) / total, d_eq, contrast))
    return sorted(dots, key=lambda d: -d.contrast)


def pair_angle_deg(a: FloatArray, b: FloatArray) -> float:
    """Angle (deg) of the line from ``a`` to ``b`` against image-horizontal, + when ``b`` is higher
    on screen (image y down)."""
    return math.degrees(math.atan2(-(b[1] - a[1]), b[0] - a[0]))


def acquire_pair(dots: list[Dot], *, hip_mid: FloatArray, hip_dist_px: float) -> FloatArray | None:
    """The likeliest PSIS pair among ``dots`` as ``(2, 2)`` (image-left, image-right), or None.

    A pair must be roughly level (within :data:`MAX_PAIR_ANGLE_DEG`), 0.25-1.3 hip widths apart
    (the PSIS are about half the hip-joint width apart), centred within 0.35 hip widths of the
    hips' midpoint horizontally, and of similar size; the pair with the highest weaker contrast wins.
    """
    best, best_score = None, -1.0
    for i in range(len(dots)):
        for j in range(i + 1, len(dots)):
            a, b = sorted((dots[i], dots[j]), key=lambda d: d.x)
            pa, pb = np.array([a.x, a.y]), np.array([b.x, b.y])
            sep = float(np.hypot(*(pb - pa)))
            if not 0.25 * hip_dist_px <= sep <= 1.3 * hip_dist_px:
                continue
            if abs(pair_angle_deg(pa, pb)) > MAX_PAIR_ANGLE_DEG:
                continue
            if abs(0.5 * (pa[0] + pb[0]) - hip_mid[0]) > 0.35 * hip_dist_px:
                continue
            if max(a.diameter_px, b.diameter_px) > 1.8 * min(a.diameter_px, b.diameter_px):
                continue
            score = min(a.contrast, b.contrast)
            if score > best_score:
                best, best_score = np.stack([pa, pb]), score
    return best


class PsisTracker:
    """Follows the image-left and image-right PSIS dots from frame to frame (see the module doc).

    Each dot is looked for near where it was, within a gate widened by how far the hips moved
    since (a fast bounce at 30 fps), among dots at least half as contrasted as the pair so far
    (so a faint printed spot next to a hidden sticker is not taken for it)."""

    def __init__(self) -> None:
        self.prev: FloatArray | None = None  # (2, 2) last confirmed pair
        self.hip = np.zeros(2)  # the hips' midpoint when it was confirmed
        self.contrast = 0.0  # running contrast of the pair
        self.misses = 0

    def _acquire(self, dots: list[Dot], hip_mid: FloatArray, hip_dist_px: float) -> FloatArray:
        pair = acquire_pair(dots, hip_mid=hip_mid, hip_dist_px=hip_dist_px)
        if pair is None:
            self.misses += 1
            return np.full((2, 2), np.nan)
        self.prev, self.hip, self.misses = pair, hip_mid.copy(), 0
        self.contrast = min(d.contrast for d in dots if np.hypot(d.x - pair[0, 0], d.y - pair[0, 1]) < 1e-6
                            or np.hypot(d.x - pair[1, 0], d.y - pair[1, 1]) < 1e-6)
        return pair.copy()

    def update(self, dots: list[Dot], *, hip_mid: FloatArray, hip_dist_px: float) -> FloatArray:
        """``(2, 2)`` centres (image-left, image-right) in this frame, NaN rows where not found."""
        out = np.full((2, 2), np.nan)
        if self.prev is None or self.misses > REACQUIRE_FRAMES:
            return self._acquire(dots, hip_mid, hip_dist_px)
        prev = self.prev
        sep = float(np.hypot(*(prev[1] - prev[0])))
        gate = max(0.35 * sep, 4.0) + float(np.hypot(*(hip_mid - self.hip)))  # wider when the hips moved
        strong = [d for d in dots if d.contrast >= 0.5 * self.contrast]
        pts = np.array([[d.x, d.y] for d in strong]) if strong else np.zeros((0, 2))
        picks: list[int | None] = []
        for k in range(2):
            dist = np.hypot(*(pts - prev[k]).T) if len(pts) else np.zeros(0)
            picks.append(int(np.argmin(dist)) if len(dist) and dist.min() <= gate else None)
        if picks[0] is not None and picks[0] == picks[1]:  # both gates chose one dot: a merge
            self.misses += 1
            return out
        found = [None if p is None else pts[p] for p in picks]
        if found[0] is not None and found[1] is not None:
            new = np.stack([found[0], found[1]])
            new_sep = float(np.hypot(*(new[1] - new[0])))
            jump = abs(pair_angle_deg(new[0], new[1]) - pair_angle_deg(prev[0], prev[1]))
            if new[0, 0] >= new[1, 0] or not 0.7 * sep <= new_sep <= 1.4 * sep or jump > MAX_ANGLE_JUMP_DEG:
                self.misses += 1  # a swap, a merge or a jump: trust neither
                return out
            c = min(strong[p].contrast for p in picks if p is not None)
            self.prev, self.hip, self.misses = new, hip_mid.copy(), 0
            self.contrast = 0.8 * self.contrast + 0.2 * c
            return new.copy()
        for k in range(2):  # one dot hidden: keep the other, move the pair with it
            if found[k] is not None:
                out[k] = found[k]
                self.prev, self.hip = prev + (found[k] - prev[k]), hip_mid.copy()
        self.misses += 1
        return out
