"""Which foot landed: left/right assignment of contacts so that steps alternate.

Running alternates feet, so once the contacts are in time order the only unknown is
one bit per run of contacts: which foot lands at the even steps. Each contact gets a
*step number* ``n``: the previous one plus ``round(gap / step)`` (at least 1). A gap
of about two (three) steps is one (two) missed contact(s): the contacts on either
side are then the same foot, and the missing ones are counted, never hidden by
giving two consecutive steps to one foot. A gap of more than ``max_missed + 1``
steps starts a new run, whose bit is decided on its own.

The bit of a run is the sign of a weighted vote over its contacts (``+`` = left at
the even steps), from evidence that does not trust any single frame's labels:

* *Stance foot label*: during a stance the foot on the ground is the lower of the two
  foot tracks in the image (label-free); the label of that track votes, weighted by
  how far apart the two feet are (both labels on one foot: no vote).
* *Detected label*: the label whose track was timed (half a vote).
* *Depth order* (side view): the near foot is the better seen one (higher keypoint
  scores) and, with the camera above the ground, its stance is lower in the image.
  The stance foot's score and level are compared with the neighbouring stances
  (a curvature residual, so a panning or zooming camera's trend cancels); their
  alternation, when it stands clear of the noise (``|t| >= 3``) and is large enough
  (:data:`DEPTH_MIN_AMPLITUDE`), says at which
  parity the near foot lands, and the near foot is the runner's right foot when the
  runner faces image-right (left when facing left) for an unmirrored video.

``confidence`` is ``|vote| / total weight`` (0: the evidence cancels, 1: unanimous).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from formcam.analysis.clean import LEG_PARTS
from formcam.analysis.events_fit import pt
from formcam.series import PoseSeries

Arr = NDArray[np.float64]
LABEL_WEIGHT = 0.5
"""Weight of the label a contact was timed on (the stance-foot label counts up to 1)."""
SIDE_CONFIDENCE_MIN = 0.2
"""Below this agreement of the evidence on which foot is which, per-side values are withheld."""
DEPTH_WEIGHT = 1.0
"""Weight per contact of a depth cue that stands clear of its noise (full at |t| >= 5, none below 3)."""
DEPTH_MIN_AMPLITUDE: tuple[float, float] = (0.03, 0.01)
"""Smallest near/far alternation used: keypoint score, stance level (leg lengths; a camera 1 m
up at 3 m sees the far foot's stance ~0.05 leg lengths higher)."""


@dataclass(frozen=True)
class SideAssignment:
    """Feet of time-ordered contacts.

    Attributes:
        left: ``(N,)`` True where the contact is the left foot.
        step_number: ``(N,)`` step index (consecutive steps differ by 1; a missed contact by 2).
        run: ``(N,)`` index of the run of contacts (a new run after a long gap).
        n_missed: contacts missed inside runs (gaps of 2 or more steps).
        confidence: smallest ``|vote| / weight`` over runs, in [0, 1].
    """

    left: NDArray[np.bool_]
    step_number: NDArray[np.int64]
    run: NDArray[np.int64]
    n_missed: int
    confidence: float


def step_numbers(ic_s: Arr, step_s: float, *,
                 max_missed: int = 2) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(step number, run index) of contacts at sorted IC times ``ic_s`` (s); ``step_s``: step period (s)."""
    n = np.zeros(ic_s.size, dtype=np.int64)
    run = np.zeros(ic_s.size, dtype=np.int64)
    for k in range(1, ic_s.size):
        inc = max(1, round(float(ic_s[k] - ic_s[k - 1]) / step_s))
        if inc > max_missed + 1:
            run[k], n[k] = run[k - 1] + 1, 0
        else:
            run[k], n[k] = run[k - 1], n[k - 1] + inc
    return n, run


def alternation_t(x: Arr, n: NDArray[np.int64], *, min_amplitude: float = 0.0) -> float:
    """t statistic of ``x`` alternating with the step parity (+ : larger at even steps).

    Uses the curvature residual ``x[k] - (x[k-1] + x[k+1]) / 2`` (twice the alternation
    amplitude) of contacts whose neighbours are one step away (a linear trend cancels);
    NaN where too few (< 4) or where the amplitude is below ``min_amplitude``.
    """
    r = []
    for k in range(1, x.size - 1):
        if n[k] - n[k - 1] == 1 and n[k + 1] - n[k] == 1 and np.isfinite(x[k - 1:k + 2]).all():
            r.append((x[k] - (x[k - 1] + x[k + 1]) / 2) * (1.0 if n[k] % 2 == 0 else -1.0))
    if len(r) < 4:
        return float("nan")
    arr = np.asarray(r)
    sd = float(np.std(arr, ddof=1))
    if not abs(np.mean(arr)) / 2 >= min_amplitude or sd <= 0:
        return float("nan")
    return float(np.mean(arr) / (sd / np.sqrt(arr.size)))


def assign_sides(ic_s: Arr, step_s: float, *, stance_vote: Arr, detected_left: NDArray[np.bool_],
                 depth: tuple[Arr, Arr] | None = None, near_left: bool | None = None,
                 max_missed: int = 2) -> SideAssignment:
    """Feet of contacts at sorted IC times ``ic_s`` (see module docstring).

    Args:
        ic_s: ``(N,)`` sorted initial-contact times (s).
        step_s: step period (s).
        stance_vote: ``(N,)`` in [-1, 1]: + the stance foot's track is labelled left,
            magnitude = how clearly the two feet are apart.
        detected_left: ``(N,)`` the label each contact was timed on.
        depth: ``(score, level)``, ``(N,)`` each: the stance foot's mean keypoint score
            and its image level (y down, leg lengths); None outside side views.
        near_left: whether the near foot is the left one (None: depth not used).
    """
    n, run = step_numbers(ic_s, step_s, max_missed=max_missed)
    parity = np.where(n % 2 == 0, 1.0, -1.0)
    votes = np.clip(stance_vote, -1, 1) + LABEL_WEIGHT * np.where(detected_left, 1.0, -1.0)
    weights = np.abs(np.clip(stance_vote, -1, 1)) + LABEL_WEIGHT
    left = np.zeros(ic_s.size, dtype=bool)
    conf = 1.0
    for r in np.unique(run):
        sel = run == r
        v, w = float(np.sum(votes[sel] * parity[sel])), float(np.sum(weights[sel]))
        if depth is not None and near_left is not None:
            for x, amp in zip(depth, DEPTH_MIN_AMPLITUDE, strict=True):  # near: higher score, lower
                t = alternation_t(x[sel], n[sel], min_amplitude=amp)
                if np.isfinite(t) and abs(t) >= 3:
                    d = DEPTH_WEIGHT * min(1.0, (abs(t) - 3) / 2) * int(sel.sum())
                    v += d * np.sign(t) * (1.0 if near_left else -1.0)
                    w += d
        even_left = v >= 0
        left[sel] = (parity[sel] > 0) == even_left
        conf = min(conf, abs(v) / w if w > 0 else 0.0)
    missed = int(sum(max(0, int(n[k] - n[k - 1]) - 1) for k in range(1, n.size) if run[k] == run[k - 1]))
    return SideAssignment(left=left, step_number=n, run=run, n_missed=missed, confidence=float(conf))


def stance_evidence(foot_y: tuple[Arr, Arr], leg_score: tuple[Arr, Arr], windows: list[tuple[int, int]],
                    detected_left: NDArray[np.bool_], leg_px: float) -> tuple[Arr, Arr, Arr]:
    """Per contact: (stance vote, stance foot score, stance foot level in leg lengths).

    Args:
        foot_y: ``(T,)`` foot y (px, y down) of the left and the right track.
        leg_score: ``(T,)`` mean keypoint score of the left and the right leg.
        windows: ``[ic, to]`` frame ranges of the stances.
        detected_left: the label each contact was timed on (used where the feet are too
            close to tell which track is on the ground).
        leg_px: leg length (px).
    The stance vote is ``clip(dy / (0.1 leg), -1, 1)``, ``dy`` = median left minus right
    foot y over the stance (+ : the left track is the lower, i.e. on the ground).
    """
    n = len(windows)
    vote, score, level = np.zeros(n), np.full(n, np.nan), np.full(n, np.nan)
    for k, (a, b) in enumerate(windows):
        ys = [y[a:b + 1][np.isfinite(y[a:b + 1])] for y in foot_y]
        if ys[0].size and ys[1].size:
            vote[k] = float(np.clip((np.median(ys[0]) - np.median(ys[1])) / (0.1 * leg_px), -1, 1))
        j = (0 if vote[k] > 0 else 1) if abs(vote[k]) >= 0.5 else (0 if detected_left[k] else 1)
        if ys[j].size:
            level[k] = float(np.median(ys[j])) / leg_px
        sc = leg_score[j][a:b + 1]
        score[k] = float(np.mean(sc)) if sc.size else np.nan
    return vote, score, level


def stance_windows(ic: Arr, to: Arr, step_number: NDArray[np.int64],
                   step_frames: float) -> list[tuple[int, int]]:
    """Half-open frame ranges that belong to each stance: from mid-flight before its IC to
    mid-flight after its TO (0.15 steps where the neighbour is not one step away)."""
    out = []
    for k in range(ic.size):
        pad = 0.15 * step_frames
        before = ic[k] - to[k - 1] if k > 0 and step_number[k] - step_number[k - 1] == 1 else -1.0
        after = ic[k + 1] - to[k] if k + 1 < ic.size and step_number[k + 1] - step_number[k] == 1 else -1.0
        lo = ic[k] - (before / 2 if 0 < before < step_frames else pad)
        hi = to[k] + (after / 2 if 0 < after < step_frames else pad)
        out.append((max(int(np.floor(lo)), 0), int(np.ceil(hi)) + 1))
    return out


def feet_of_stances(series: PoseSeries, ic: Arr, to: Arr, ic_s: Arr, detected_left: NDArray[np.bool_],
                    step_s: float, *, side_view: bool, forward_sign: int, leg_px: float
                    ) -> tuple[SideAssignment, tuple[tuple[int, int], ...]]:
    """Feet of time-ordered contacts (IC / TO frames ``ic`` / ``to``, IC times ``ic_s``) in
    ``series`` (pixels, y down), and the frame ranges whose leg labels must be swapped so
    that each stance foot carries its foot's labels: the stances given to the other foot
    than the label they were timed on (that track is the one that landed)."""
    wins = [(int(np.floor(a)), int(np.ceil(b))) for a, b in zip(ic, to, strict=True)]
    with warnings.catch_warnings():  # frames with neither foot point: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        foot_y = [np.nanmean(np.stack([pt(series, f"{s}_{p}")[:, 1] for p in ("heel", "foot_index")]),
                             axis=0) for s in ("left", "right")]
    leg_sc = [np.mean(np.stack([series.score[:, series.index(f"{s}_{p}")] for p in LEG_PARTS]), axis=0)
              for s in ("left", "right")]
    vote, score, level = stance_evidence((foot_y[0], foot_y[1]), (leg_sc[0], leg_sc[1]), wins,
                                         detected_left, leg_px)
    got = assign_sides(ic_s, step_s, stance_vote=vote, detected_left=detected_left,
                       depth=(score, level) if side_view else None,
                       near_left=forward_sign < 0 if side_view else None)
    spans = stance_windows(ic, to, got.step_number, step_s * float(series.fps))
    return got, tuple(spans[k] for k in range(ic.size) if detected_left[k] != got.left[k])
