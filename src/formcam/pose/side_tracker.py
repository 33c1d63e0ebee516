"""Following the side view's ASIS and PSIS stickers from frame to frame, with gaps (see
:class:`SideTracker`); the dots come from :func:`formcam.pose.side_markers.find_ring_dots`.

Positions are frame pixels (x right, y down); ``facing`` is +1 when the runner faces
image-right, -1 image-left; pairs are ``(2, 2)`` (front = ASIS, back = PSIS).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from formcam.pose.side_markers import MAX_COLOUR_CHANGE, SideDot

FloatArray = NDArray[np.float64]
MAX_TILT_JUMP_DEG = 8.0
"""Largest difference of a pair's line angle from its usual (running mean) angle: a running pelvis
tilts about 5-8 deg peak to peak over a stride (Schache 2002), so about 4 deg either side."""
MAX_SPACING_CHANGE = 0.1
"""Largest relative change of the stickers' spacing from its usual value: they ride on one bone,
and the pelvis's turn about the vertical (about 10 deg) shortens it by under 2 %."""
REACQUIRE_FRAMES = 8
PAIR_TIMEOUT_FRAMES = 40
MAX_SIZE_CHANGE = 0.2
"""A dot more than 20 % smaller (or larger) than the sticker's usual size is partly hidden (by the
arm) or merged with something: its centre would be off, so it is not taken."""


def tilt_deg(front: FloatArray, back: FloatArray, *, facing: int) -> float:
    """Angle (deg) of the back -> front sticker line below the horizontal, + when the front one is
    lower on screen (image y down); ``facing`` +1 when the runner faces image-right, -1 left."""
    return math.degrees(math.atan2(front[1] - back[1], facing * (front[0] - back[0])))


def acquire(dots: list[SideDot], *, hip: FloatArray, trunk_px: float, facing: int,
            colour: FloatArray | None = None) -> FloatArray | None:
    """The likeliest ``(2, 2)`` (front, back) sticker pair among ``dots``, or None.

    Front must be ahead of back along ``facing``, 0.18-0.6 trunk lengths from it (ASIS to PSIS is
    0.33 of the hip-to-shoulder distance on average, anthropometry and the keypoints' scale
    error giving 0.25-0.45), the line within -20..45 deg of tilt, its
    midpoint above the hips' keypoint and within 0.3 trunk lengths of it front to back, the two of
    similar size (within 40 %) and colour (:data:`MAX_COLOUR_CHANGE`), and both of ``colour``
    (RGB) when given: the stickers' colour seen earlier in the clip; the pair with the
    most evidence (the weaker one's contrast times its area), discounted by their colour
    difference (two stickers of one kind), wins.
    """
    best, best_score = None, -1.0
    if colour is not None:
        dots = [d for d in dots if math.dist(d.colour, colour) <= MAX_COLOUR_CHANGE]
    for a in dots:
        for b in dots:
            pa, pb = np.array([a.x, a.y]), np.array([b.x, b.y])
            if a is b or facing * (pa[0] - pb[0]) <= 0:
                continue
            sep = float(np.hypot(*(pa - pb)))
            mid = 0.5 * (pa + pb)
            if not (
                0.25 * trunk_px <= sep <= 0.45 * trunk_px
                and -20.0 <= tilt_deg(pa, pb, facing=facing) <= 45.0
                and mid[1] <= hip[1] + 0.05 * trunk_px
                and abs(mid[0] - hip[0]) <= 0.3 * trunk_px
            ):
                continue
            if (
                max(a.diameter_px, b.diameter_px) > 1.4 * min(a.diameter_px, b.diameter_px)
                or a.colour_distance(b) > MAX_COLOUR_CHANGE
            ):
                continue
            evidence = min(a.contrast * a.diameter_px**2, b.contrast * b.diameter_px**2)
            score = evidence * (1.0 - a.colour_distance(b) / MAX_COLOUR_CHANGE)
            if score > best_score:
                best, best_score = np.stack([pa, pb]), score
    return best


class SideTracker:
    """Follows the front (ASIS) and back (PSIS) stickers frame to frame, each with its own gaps
    (see the module doc). :meth:`update` returns ``(2, 2)`` (front, back), NaN rows where hidden.

    Candidates for each sticker are dots that keep at least half its usual contrast, its usual
    size within :data:`MAX_SIZE_CHANGE` and colour within :data:`MAX_COLOUR_CHANGE`, near its
    last place moved with the hips (0.07 trunk lengths when it was seen in the previous frame,
    twice that after a gap). The two are chosen together: a pair must not be swapped (front
    ahead along the facing), keep the usual spacing within :data:`MAX_SPACING_CHANGE` and the
    usual line angle within :data:`MAX_TILT_JUMP_DEG`; the nearest such pair wins. A sticker
    alone is taken only when no pair fits and it was seen in the previous frame. With neither seen
    for :data:`REACQUIRE_FRAMES` frames, or no pair for :data:`PAIR_TIMEOUT_FRAMES`, the pair
    is looked for afresh (:func:`acquire`), of the colour of the first pair found: stickers do
    not change colour within a clip, while a pair of dark corners (where the swinging arm, the
    shirt and the shorts meet) can pass for them once the true pair is hidden (phantom tilt-10
    case: twice re-acquired on navy shorts, 46 % of frames with both stickers).
    """

    def __init__(self, facing: int) -> None:
        self.facing = facing
        self.last = np.full((2, 2), np.nan)  # last seen place of each sticker
        self.hip = np.full((2, 2), np.nan)  # the hips' keypoint when each was last seen
        self.fresh = np.zeros(2, dtype=bool)  # seen in the previous frame
        self.sep, self.tilt = 0.0, 0.0  # usual spacing (px) and line angle (deg)
        self.contrast, self.diam = np.zeros(2), np.ones(2)  # usual contrast and diameter (px) of each
        self.colour = np.zeros((2, 3))  # usual RGB colour of each
        self.kind: FloatArray | None = None  # the stickers' colour (RGB), from the first pair found
        self.misses = self.since_pair = REACQUIRE_FRAMES + 1

    def update(self, dots: list[SideDot], *, hip: FloatArray, trunk_px: float) -> FloatArray:
        if self.misses > REACQUIRE_FRAMES or self.since_pair > PAIR_TIMEOUT_FRAMES:
            pair = acquire(dots, hip=hip, trunk_px=trunk_px, facing=self.facing, colour=self.kind)
            if pair is not None:
                self._keep(pair, hip, dots)
                return pair
            self.fresh[:], self.misses = False, self.misses + 1
            return np.full((2, 2), np.nan)
        gate = max(0.07 * trunk_px, 3.0)
        pred = self.last + (hip - self.hip)  # each sticker moved with the hips since it was last seen
        cands = [self._candidates(dots, pred[k], gate * (1.0 if self.fresh[k] else 2.0), k) for k in (0, 1)]
        best: tuple[float, SideDot | None, SideDot | None] = (np.inf, None, None)
        for df, f in cands[0]:
            for db, b in cands[1]:
                if f is not b and self._pair_ok(f, b) and df + db < best[0]:
                    best = (df + db, f, b)
        if best[1] is None:  # no pair fits: a sticker alone, only one followed from the previous frame
            singles = [(cands[k][0][0], k) for k in (0, 1) if cands[k] and self.fresh[k]]
            found: list[SideDot | None] = [None, None]
            if singles:
                _, k = min(singles)
                found[k] = cands[k][0][1]
            return self._store(found, hip)
        return self._store([best[1], best[2]], hip)

    def _candidates(
        self, dots: list[SideDot], pred: FloatArray, radius: float, k: int
    ) -> list[tuple[float, SideDot]]:
        """Dots within ``radius`` of ``pred`` (nearest first) with distances in units of ``radius``."""
        if not np.isfinite(pred).all():
            return []
        out = [
            (math.hypot(d.x - pred[0], d.y - pred[1]) / radius, d)
            for d in dots
            if d.contrast >= 0.5 * self.contrast[k]
            and abs(d.diameter_px / self.diam[k] - 1.0) <= MAX_SIZE_CHANGE
            and math.dist(d.colour, self.colour[k]) <= MAX_COLOUR_CHANGE
        ]
        return sorted([c for c in out if c[0] <= 1.0], key=lambda c: c[0])

    def _pair_ok(self, front: SideDot, back: SideDot) -> bool:
        f, b = np.array([front.x, front.y]), np.array([back.x, back.y])
        if self.facing * (f[0] - b[0]) <= 0 or front.colour_distance(back) > MAX_COLOUR_CHANGE:
            return False  # swapped, or not two of one kind
        sep = float(np.hypot(*(f - b)))
        return (
            abs(sep / self.sep - 1.0) <= MAX_SPACING_CHANGE
            and abs(tilt_deg(f, b, facing=self.facing) - self.tilt) <= MAX_TILT_JUMP_DEG
        )

    def _store(self, found: list[SideDot | None], hip: FloatArray) -> FloatArray:
        out = np.full((2, 2), np.nan)
        for k, d in enumerate(found):
            self.fresh[k] = d is not None
            if d is not None:
                out[k] = self.last[k] = (d.x, d.y)
                self.hip[k] = hip
                self.contrast[k] = 0.8 * self.contrast[k] + 0.2 * d.contrast
                self.colour[k] = 0.9 * self.colour[k] + 0.1 * np.array(d.colour)
                self.diam[k] = 0.9 * self.diam[k] + 0.1 * d.diameter_px
        if found[0] is not None and found[1] is not None:
            self.sep = 0.9 * self.sep + 0.1 * float(np.hypot(*(out[0] - out[1])))
            self.tilt = 0.9 * self.tilt + 0.1 * tilt_deg(out[0], out[1], facing=self.facing)
            self.since_pair = 0
        else:
            self.since_pair += 1
        self.misses = 0 if self.fresh.any() else self.misses + 1
        return out

    def _keep(self, pair: FloatArray, hip: FloatArray, dots: list[SideDot]) -> None:
        self.last, self.hip, self.fresh[:] = pair.copy(), np.stack([hip, hip]), True
        self.sep, self.tilt = (
            float(np.hypot(*(pair[0] - pair[1]))),
            tilt_deg(pair[0], pair[1], facing=self.facing),
        )
        for k in (0, 1):
            dot = next(d for d in dots if math.hypot(d.x - pair[k, 0], d.y - pair[k, 1]) < 1e-6)
            self.contrast[k], self.diam[k], self.colour[k] = dot.contrast, dot.diameter_px, dot.colour
        if self.kind is None:
            self.kind = self.colour.mean(axis=0)
        self.misses = self.since_pair = 0
