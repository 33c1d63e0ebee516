"""Side-view pelvis stickers: find dots by contrast against their immediate ring, follow the
ASIS and PSIS of the near side.

For sagittal pelvic tilt a clinic puts a 1.5-3 cm sticker on the anterior and on the posterior
superior iliac spine (ASIS, PSIS) of the side facing the camera. The PSIS sits on the back,
near the body's outline, so its sticker is often seen half against the background; the
swinging arm hides the ASIS for part of each stride. Hence:

* :func:`find_ring_dots` measures, at each pixel, the colour of a small core against 16
  pixels on a ring just outside the dot, and keeps the second *least different* of them
  (:func:`ring_contrast`): a dot half on the shorts and half on a pale wall counts with its
  contrast against the wall, not the large one against the shorts; an outline, a stripe
  (it touches the ring twice) or the corner where three regions meet (the core is not of one
  colour) gives none. Centres are sub-pixel: each pixel is weighted by how much of it the dot
  covers, against the ring pixel in its own direction, so a rim against a pale background
  weighs as much as a rim against dark clothing. Overlapping candidates keep the one with the
  most evidence (contrast times area).
* :class:`formcam.pose.side_tracker.SideTracker` follows the two stickers separately, with
  gaps: a hidden sticker is NaN in that frame (never guessed); it is taken back only near
  where the pelvis carries it. Pairs are checked for a swap (the front sticker must stay ahead
  along the runner's facing) and for changes in spacing, angle, size or colour.

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
