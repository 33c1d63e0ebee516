"""Side-view pelvis stickers: find dots by contrast against their immediate ring, follow the
ASIS and PSIS of the near side.

For sagittal pelvic tilt a clinic puts a 1.5-3 cm sticker on the anterior and on the posterior
superior iliac spine (ASIS, PSIS) of the side facing the camera. The PSIS sits on the back,
near the body's outline, so its sticker is often seen half against the background; the
swinging arm hides the ASIS for part of each stride. Hence:

* :func:`find_ring_dots` measures each pixel's contrast against the *least different* part of
  its immediate surroundings (per RGB channel the morphological top-hat, bright or dark,
  whose element is just wider than the largest dot): a dot half on the shorts and half on a
  pale wall counts with its contrast against the wall, not the large one against the shorts,
  and a strip of wall next to the body is not turned into a "dot" by a background estimate that
  is half body. Centres are sub-pixel: each pixel is weighted by how much of it the dot covers
  (its contrast over the dot's own contrast against the same local reference), so a rim against
  a pale background weighs as much as a rim against dark clothing.
* :class:`SideTracker` follows the two stickers separately, with gaps: a hidden sticker is NaN
  in that frame (never guessed); it is taken back only near where the pelvis carries it (its
  last offset from the other sticker, or its last place moved with the hips). Pairs are checked
  for a swap (the front sticker must stay ahead along the runner's facing), and for jumps in
  spacing or angle.

Dots are stored image-left, image-right as for the rear view (:class:`formcam.series.PelvisImage`
with ``view="side"``); the analysis names them ASIS and PSIS from the runner's direction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np
from numpy.typing import NDArray

from formcam.pose.markers import Dot

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SideDot(Dot):
    """A :class:`formcam.pose.markers.Dot` with the mean RGB colour of its core (0..255)."""

    colour: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def scaled(self, k: float, dx: float, dy: float) -> SideDot:
        """The same dot with its centre and size scaled by ``k``, then shifted by (dx, dy) pixels
        (a shrunk crop to frame coordinates)."""
        return replace(self, x=k * self.x + dx, y=k * self.y + dy, diameter_px=k * self.diameter_px)

    def colour_distance(self, other: SideDot) -> float:
        """RGB distance between the two dots' colours."""
        return math.dist(self.colour, other.colour)


MAX_COLOUR_CHANGE = 80.0
"""The two stickers are of one kind, and each keeps its colour: a pair's colours, and a sticker's
colour from frame to frame, differ by at most this RGB distance (light and shade on a white
sticker stay well under it; a red shirt's corner is 300 from white)."""
MIN_RING_CONTRAST = 45.0
"""Smallest RGB distance (0..441) between a dot and the least different part of its ring. A white
sticker against a pale grey wall is about 70, against navy shorts about 340; sensor noise and the
texture of a plain wall stay under about 20."""
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


RING_SAMPLES = 16
MAX_CANDIDATES = 16
"""Contrast peaks measured further per crop (centre, size, shape), those with the most evidence
(contrast times the squared radius at which it peaks): two stickers and what could be taken for
them, in a crop around the hips."""
CORE_PX = 1.2
"""The dot's colour is the mean of its core (pixels within 1.2 px of the centre), not of its whole
disc: a small sticker's blurred rim, mixed with whatever lies behind, would pull a whole-disc
mean toward a pale background's colour."""
MAX_SPREAD = 0.35
"""A dot is one colour: the RGB spread inside the disc must stay under 35 % of its contrast (where
three regions meet, the disc mixes them and their ring differs from the mix: not a dot)."""
RING_SPARE = 1
"""Ring samples allowed to fall on the dot's own blurred rim (a small, slightly oval sticker):
the contrast is that of the second least different sample. A line through the disc touches
the ring at two opposite samples at least, so it still gives no contrast."""
MAX_ELONGATION = 1.8
"""Largest major / minor axis ratio of a dot's coverage: a round sticker seen at up to about 55
deg from face-on; a stripe or an edge is longer."""


def _ring_offsets(radius_px: float) -> NDArray[np.int64]:
    """``(RING_SAMPLES, 2)`` integer (dx, dy) offsets on a circle of ``radius_px``."""
    a = np.linspace(0.0, 2 * np.pi, RING_SAMPLES, endpoint=False)
    return np.rint(np.column_stack([np.cos(a), np.sin(a)]) * radius_px).astype(np.int64)


def ring_contrast(img: FloatArray, radius_px: float) -> FloatArray:
    """``(H, W)`` contrast of a disc of ``radius_px`` centred on each pixel against the least
    different of :data:`RING_SAMPLES` pixels on a ring 1.5 px outside it, bar :data:`RING_SPARE`
    (RGB distance); 0 where the disc is not of one colour (:data:`MAX_SPREAD`)."""
    h, w = img.shape[:2]
    src = img.astype(np.float32)
    r_in = min(max(radius_px - 0.5, 0.7), CORE_PX)
    k = 2 * math.ceil(r_in) + 1
    yy, xx = np.mgrid[:k, :k] - k // 2
    disc = (np.hypot(xx, yy) <= r_in + 1e-9).astype(np.float32)
    disc /= disc.sum()
    mean = cv2.filter2D(src, -1, disc, borderType=cv2.BORDER_REPLICATE)
    sq = cv2.filter2D(src * src, -1, disc, borderType=cv2.BORDER_REPLICATE)
    spread = np.sqrt(np.clip(np.sum(sq - mean * mean, axis=2), 0.0, None))  # RGB spread inside the disc
    offsets = _ring_offsets(radius_px + 1.5)
    m = int(np.abs(offsets).max())
    padded = cv2.copyMakeBorder(src, m, m, m, m, cv2.BORDER_REPLICATE)
    ring = np.stack([padded[m + dy : m + dy + h, m + dx : m + dx + w] for dx, dy in offsets])
    d = ring - mean[None]
    d2 = np.einsum("sijk,sijk->sij", d, d)
    contrast = np.sqrt(np.partition(d2, RING_SPARE, axis=0)[RING_SPARE])
    return np.asarray(np.where(spread <= MAX_SPREAD * contrast, contrast, 0.0), dtype=np.float64)


def _centre(img: FloatArray, cx: float, cy: float, radius_px: float) -> tuple[float, float, float, float]:
    """Sub-pixel centre, coverage area (px^2) and elongation (major / minor axis, 1 for a disc) of
    the dot near (cx, cy): each pixel within the ring is weighted by the share of it the dot
    covers, against the ring pixel in its own direction."""
    h, w = img.shape[:2]
    ring_r = radius_px + 1.5
    x0, x1 = max(int(cx - ring_r), 0), min(int(cx + ring_r) + 2, w)
    y0, y1 = max(int(cy - ring_r), 0), min(int(cy + ring_r) + 2, h)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    dist = np.hypot(xx - cx, yy - cy)
    ang = np.arctan2(yy - cy, xx - cx)
    bx = np.clip(np.rint(cx + ring_r * np.cos(ang)).astype(int), 0, w - 1)
    by = np.clip(np.rint(cy + ring_r * np.sin(ang)).astype(int), 0, h - 1)
    back = img[by, bx]
    dot = img[round(cy), round(cx)]
    span = dot - back
    cover = np.clip(
        np.sum((img[y0:y1, x0:x1] - back) * span, axis=2) / np.maximum(np.sum(span * span, axis=2), 1e-6),
        0.0,
        1.0,
    )
    cover = np.where(dist <= ring_r - 0.75, cover, 0.0)
    total = float(cover.sum())
    if total <= 0:
        return cx, cy, 0.0, np.inf
    mx, my = float((cover * xx).sum()) / total, float((cover * yy).sum()) / total
    dx, dy = xx - mx, yy - my
    cov = (
        np.array(
            [
                [np.sum(cover * dx * dx), np.sum(cover * dx * dy)],
                [np.sum(cover * dx * dy), np.sum(cover * dy * dy)],
            ]
        )
        / total
    )
    lo, hi = np.linalg.eigvalsh(cov)
    return mx, my, total, math.sqrt(hi / max(lo, 1e-6))


def find_ring_dots(
    patch: NDArray[np.uint8],
    *,
    min_diameter_px: float,
    max_diameter_px: float,
    min_contrast: float = MIN_RING_CONTRAST,
) -> list[SideDot]:
    """Round dots in ``patch`` ``(H, W, 3)`` uint8 RGB that differ from the least different part
    of their immediate ring by at least ``min_contrast``, strongest first (see the module doc).
    Centres in patch pixels (x right, y down), sub-pixel."""
    if patch.shape[0] < 5 or patch.shape[1] < 5:
        return []
    img = patch.astype(np.float64)
    radii = np.geomspace(max(0.5 * min_diameter_px, 1.0), 0.5 * max_diameter_px, 4)
    stack = np.stack([ring_contrast(img, float(r)) for r in radii])
    best, which = stack.max(axis=0).astype(np.float32), stack.argmax(axis=0)
    peaks = (best > min_contrast) & (best >= cv2.dilate(best, np.ones((3, 3), np.uint8)))
    dots: list[SideDot] = []
    ys, xs = np.nonzero(peaks)
    rank = np.argsort(-best[ys, xs] * radii[which[ys, xs]] ** 2)[:MAX_CANDIDATES]  # most evidence first
    for py, px in zip(ys[rank], xs[rank], strict=True):
        r = float(radii[which[py, px]])
        cx, cy, area, elong = _centre(img, float(px), float(py), r)
        if math.hypot(cx - px, cy - py) > 0.5:  # re-centre the ring on the dot once
            cx, cy, area, elong = _centre(img, cx, cy, r)
        d_eq = 2.0 * math.sqrt(area / math.pi)
        round_ = elong <= MAX_ELONGATION and math.hypot(cx - px, cy - py) <= r
        if min_diameter_px <= d_eq <= max_diameter_px and round_:
            core = img[max(py - 1, 0) : py + 2, max(px - 1, 0) : px + 2].reshape(-1, 3).mean(axis=0)
            rgb = (float(core[0]), float(core[1]), float(core[2]))
            dots.append(SideDot(cx, cy, d_eq, float(best[py, px]), colour=rgb))
    kept: list[SideDot] = []
    # one dot per sticker: where candidates overlap, the one with the most evidence (contrast times
    # area) wins, so the whole sticker beats a fragment of its rim that contrasts more
    for d in sorted(dots, key=lambda d: -d.contrast * d.diameter_px**2):
        if all(math.hypot(d.x - k.x, d.y - k.y) > 0.5 * (d.diameter_px + k.diameter_px) for k in kept):
            kept.append(d)
    return sorted(kept, key=lambda d: -d.contrast)


def tilt_deg(front: FloatArray, back: FloatArray, *, facing: int) -> float:
    """Angle (deg) of the back -> front sticker line below the horizontal, + when the front one is
    lower on screen (image y down); ``facing`` +1 when the runner faces image-right, -1 left."""
    return math.degrees(math.atan2(front[1] - back[1], facing * (front[0] - back[0])))


def acquire(dots: list[SideDot], *, hip: FloatArray, trunk_px: float, facing: int) -> FloatArray | None:
    """The likeliest ``(2, 2)`` (front, back) sticker pair among ``dots``, or None.

    Front must be ahead of back along ``facing``, 0.18-0.6 trunk lengths from it (ASIS to PSIS is
    0.33 of the hip-to-shoulder distance on average, anthropometry and the keypoints' scale
    error giving 0.25-0.45), the line within -20..45 deg of tilt, its
    midpoint above the hips' keypoint and within 0.3 trunk lengths of it front to back, the two of
    similar size (within 40 %) and colour (:data:`MAX_COLOUR_CHANGE`); the pair with the
    most evidence (the weaker one's contrast times its area), discounted by their colour
    difference (two stickers of one kind), wins.
    """
    best, best_score = None, -1.0
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
    is looked for afresh (:func:`acquire`).
    """

    def __init__(self, facing: int) -> None:
        self.facing = facing
        self.last = np.full((2, 2), np.nan)  # last seen place of each sticker
        self.hip = np.full((2, 2), np.nan)  # the hips' keypoint when each was last seen
        self.fresh = np.zeros(2, dtype=bool)  # seen in the previous frame
        self.sep, self.tilt = 0.0, 0.0  # usual spacing (px) and line angle (deg)
        self.contrast, self.diam = np.zeros(2), np.ones(2)  # usual contrast and diameter (px) of each
        self.colour = np.zeros((2, 3))  # usual RGB colour of each
        self.misses = self.since_pair = REACQUIRE_FRAMES + 1

    def update(self, dots: list[SideDot], *, hip: FloatArray, trunk_px: float) -> FloatArray:
        if self.misses > REACQUIRE_FRAMES or self.since_pair > PAIR_TIMEOUT_FRAMES:
            pair = acquire(dots, hip=hip, trunk_px=trunk_px, facing=self.facing)
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
        self.misses = self.since_pair = 0
