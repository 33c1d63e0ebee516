"""Which frames of a clip are analysed: the runner's running segment and whether the trunk is framed.

:func:`running_segment` finds the longest stretch with the runner tracked and moving
(used by :mod:`formcam.analysis.core` for events and view decisions); :func:`shows_trunk`
tells a clip framed from the waist down; :func:`pd_fill` is the NaN interpolation they use.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from formcam.analysis.kinematics import leg_length_px
from formcam.series import PoseSeries

MIN_TRUNK_FRACTION = 0.2
"""Below this share of the hip frames showing the shoulders too, the clip is analysed as
framed from the waist down (legs only): leg metrics measured, trunk metrics unavailable."""


def shows_trunk(series: PoseSeries, *, min_score: float = 0.3) -> bool:
    """Whether the shoulders are in view: in at least :data:`MIN_TRUNK_FRACTION` of the
    frames that show the hips (False for a clip framed from the waist down)."""
    hips = int(series.present(min_score=min_score, trunk=False).sum())
    both = int(series.present(min_score=min_score).sum())
    return hips == 0 or both >= MIN_TRUNK_FRACTION * hips


def running_segment(series: PoseSeries, *, min_score: float = 0.3, bridge_s: float = 0.5,
                    window_s: float = 1.0, min_motion: float = 0.15, trunk: bool = True) -> tuple[int, int]:
    """Half-open frame range ``[s0, s1)`` that is analysed for events and decisions.

    The longest run of frames where the runner's hips and (with ``trunk``) shoulders
    are found (score >= ``min_score``) and the legs move like running: the range of the
    ankle-to-ankle offset (x and y, px) over a centred ``window_s`` window is at
    least ``min_motion`` leg lengths. That excludes a frozen video frame (e.g. a
    paused player in a screen recording: the model re-estimates the same image
    with ~1-3 px jitter) and standing or crouching (starting blocks). Gaps up to
    ``bridge_s`` are bridged. The whole clip when nothing qualifies.
    """
    ok = np.asarray(series.present(min_score=min_score, trunk=trunk), dtype=bool)
    xy = np.where((series.score >= min_score)[..., None], series.xy, np.nan)
    d = xy[:, series.index("left_ankle")] - xy[:, series.index("right_ankle")]
    leg = leg_length_px(replace(series, xy=xy))
    w = max(3, round(window_s * series.fps))
    if np.isfinite(leg) and np.isfinite(d).any():
        rng = np.zeros(series.n_frames)
        for c in range(2):
            col = pd_fill(d[:, c])
            rng = np.maximum(rng, maximum_filter1d(col, w) - minimum_filter1d(col, w))
        ok &= rng >= min_motion * leg
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return 0, series.n_frames
    gap = max(1, round(bridge_s * series.fps))
    breaks = np.flatnonzero(np.diff(idx) > gap + 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]]) + 1
    k = int(np.argmax(ends - starts))
    return int(starts[k]), int(ends[k])


def pd_fill(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Linear interpolation of NaNs (ends held); all-NaN stays NaN."""
    ok = np.isfinite(x)
    if ok.all() or not ok.any():
        return x
    i = np.arange(x.size, dtype=np.float64)
    return np.asarray(np.interp(i, i[ok], x[ok]))
