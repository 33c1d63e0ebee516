"""Link per-frame detections of several people into tracks.

Pure numpy. The input is a list over frames of ``(P_t, K, 2)`` keypoints and
``(P_t, K)`` scores; the output is a set of tracks, each ``(T, K, 2)`` with NaN
where the person was not seen. Linking is greedy on bounding-box IoU between a
detection and each live track's last box; duplicate detections of one person
in one frame (IoU above ``dup_iou``) are merged first; tracks that do not
overlap in time and meet end to start are stitched.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Tracks:
    """Tracks over ``T`` frames.

    Attributes:
        xy: ``(N, T, K, 2)`` pixels, NaN where track ``n`` is absent.
        score: ``(N, T, K)`` confidence, 0 where absent.
    """

    xy: NDArray[np.float64]
    score: NDArray[np.float64]

    @property
    def n_tracks(self) -> int:
        return int(self.xy.shape[0])

    def present(self) -> NDArray[np.bool_]:
        """``(N, T)`` True where the track has a detection."""
        return np.asarray(np.isfinite(self.xy).any(axis=(2, 3)))


def boxes(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """``(..., K, 2)`` keypoints → ``(..., 4)`` boxes ``x0, y0, x1, y1`` (NaN-aware)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN boxes
        lo = np.nanmin(xy, axis=-2)
        hi = np.nanmax(xy, axis=-2)
    return np.concatenate([lo, hi], axis=-1)


def iou(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pairwise IoU of boxes ``a (M, 4)`` and ``b (N, 4)`` → ``(M, N)``."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(union > 0, inter / union, 0.0)
    return np.nan_to_num(out)


def _dedupe(kp: NDArray[np.float64], sc: NDArray[np.float64], dup_iou: float) -> list[int]:
    """Indices of detections to keep in one frame (highest mean score wins)."""
    order = list(np.argsort(-sc.mean(axis=1)))
    b = boxes(kp)
    keep: list[int] = []
    for i in order:
        if all(iou(b[i : i + 1], b[j : j + 1])[0, 0] < dup_iou for j in keep):
            keep.append(int(i))
    return keep


def centers(xy: NDArray[np.float64], torso_idx: Sequence[int]) -> NDArray[np.float64]:
    """``(..., K, 2)`` → ``(..., 2)`` torso centre (mean of ``torso_idx``), box centre as fallback."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        torso = np.nanmean(xy[..., list(torso_idx), :], axis=-2) if torso_idx else np.nan * xy[..., 0, :]
    b = boxes(xy)
    box_c = np.stack([(b[..., 0] + b[..., 2]) / 2, (b[..., 1] + b[..., 3]) / 2], axis=-1)
    return np.where(np.isfinite(torso), torso, box_c)


def link(keypoints: Sequence[NDArray[np.float64]], scores: Sequence[NDArray[np.float64]], *,
         torso_idx: Sequence[int] = (), max_jump: float = 0.35, dup_iou: float = 0.6,
         max_gap_frames: int = 15) -> Tracks:
    """Greedy nearest-centre tracking of per-frame detections.

    A detection continues the live track whose predicted torso centre (last
    centre plus smoothed velocity × frames since seen) is nearest, if the
    distance is below ``max_jump`` × body height (growing with the frames since
    the track was last seen); otherwise it starts a new track.

    Args:
        keypoints: per frame, ``(P_t, K, 2)`` pixels.
        scores: per frame, ``(P_t, K)``.
        torso_idx: keypoint indices whose mean is the body centre (e.g. hips and shoulders).
        max_jump: largest centre move per frame, as a fraction of body height.
        dup_iou: detections overlapping more than this in one frame are one person.
        max_gap_frames: a track unseen for longer is closed.
    """
    if len(keypoints) != len(scores):
        raise ValueError(f"expected as many score arrays as keypoint arrays, got {len(scores)} and "
                         f"{len(keypoints)}")
    t_len = len(keypoints)
    k = next((kp.shape[1] for kp in keypoints if kp.shape[0]), 0)
    tracks: list[dict[int, int]] = []  # frame -> detection index
    last_c: list[NDArray[np.float64]] = []
    last_v: list[NDArray[np.float64]] = []  # px per frame, smoothed
    last_h: list[float] = []
    last_seen: list[int] = []
    for t, (kp, sc) in enumerate(zip(keypoints, scores, strict=True)):
        keep = _dedupe(kp, sc, dup_iou) if kp.shape[0] else []
        if not keep:
            continue
        det_c = centers(kp[keep], torso_idx)
        b = boxes(kp[keep])
        det_h = b[:, 3] - b[:, 1]
        live = [n for n in range(len(tracks)) if t - last_seen[n] <= max_gap_frames]
        pairs = []
        for d in range(len(keep)):
            for n in live:
                size = max(det_h[d], last_h[n], 1.0)
                predicted = last_c[n] + last_v[n] * (t - last_seen[n])
                dist = float(np.hypot(*(det_c[d] - predicted))) / size
                if dist < max_jump * (1 + 0.25 * (t - last_seen[n] - 1)):
                    pairs.append((dist, d, n))
        taken_d: set[int] = set()
        taken_n: set[int] = set()
        for _, d, n in sorted(pairs):
            if d in taken_d or n in taken_n:
                continue
            taken_d.add(d)
            taken_n.add(n)
            tracks[n][t] = keep[d]
            velocity = (det_c[d] - last_c[n]) / (t - last_seen[n])
            last_v[n] = np.nan_to_num(0.5 * last_v[n] + 0.5 * velocity)
            last_c[n], last_h[n], last_seen[n] = det_c[d], float(det_h[d]), t
        for d in range(len(keep)):
            if d not in taken_d:
                tracks.append({t: keep[d]})
                last_c.append(det_c[d])
                last_v.append(np.zeros(2))
                last_h.append(float(det_h[d]))
                last_seen.append(t)
    xy = np.full((len(tracks), t_len, k, 2), np.nan)
    score = np.zeros((len(tracks), t_len, k))
    for n, frames in enumerate(tracks):
        for t, d in frames.items():
            xy[n, t] = keypoints[t][d]
            score[n, t] = scores[t][d]
    return stitch(Tracks(xy=xy, score=score), torso_idx=torso_idx, max_gap_frames=max_gap_frames * 4)


def stitch(tracks: Tracks, *, torso_idx: Sequence[int] = (), max_gap_frames: int = 60,
           max_jump: float = 0.6, max_shared_frames: int = 3) -> Tracks:
    """Join track fragments of one person.

    Track ``b`` is merged into ``a`` when they share at most ``max_shared_frames``
    frames, ``b``'s first frame follows within ``max_gap_frames`` of a frame of
    ``a``, and ``b``'s torso centre there is within ``max_jump`` × body height of
    ``a``'s, extrapolated at ``a``'s velocity over the gap (a runner crossing
    the frame keeps moving while undetected).
    Longer tracks absorb shorter ones first.
    """
    xy, score = tracks.xy.copy(), tracks.score.copy()
    pres: NDArray[np.bool_] = np.asarray(np.isfinite(xy).any(axis=(2, 3)), dtype=bool)
    order = list(np.argsort(-pres.sum(axis=1)))
    alive: list[int] = []
    for b in order:
        tb = np.flatnonzero(pres[b])
        target = None
        for a in alive:
            if tb.size == 0 or int((pres[a] & pres[b]).sum()) > max_shared_frames:
                continue
            ta = np.flatnonzero(pres[a] & ~pres[b])
            before = ta[ta < tb[0]]
            after = ta[ta > tb[-1]]
            ends = [(before[-1], tb[0])] if before.size else []
            ends += [(after[0], tb[-1])] if after.size else []
            for fa, fb in ends:
                if abs(int(fb) - int(fa)) > max_gap_frames:
                    continue
                ca = _extrapolate(xy[a], ta, int(fa), int(fb), torso_idx)
                cb = centers(xy[b, fb], torso_idx)
                ba = boxes(xy[a, fa])
                if float(np.hypot(*(ca - cb))) <= max_jump * max(float(ba[3] - ba[1]), 1.0):
                    target = a
                    break
            if target is not None:
                break
        if target is None:
            alive.append(int(b))
            continue
        only_b = pres[b] & ~pres[target]
        xy[target, only_b] = xy[b, only_b]
        score[target, only_b] = score[b, only_b]
        pres[target] |= only_b
    alive.sort()
    return Tracks(xy=xy[alive], score=score[alive])


def _extrapolate(track_xy: NDArray[np.float64], frames: NDArray[np.intp], at: int, to: int,
                 torso_idx: Sequence[int], *, window: int = 5) -> NDArray[np.float64]:
    """Torso centre of a track at frame ``at``, moved linearly to frame ``to``."""
    c_at = centers(track_xy[at], torso_idx)
    near = frames[np.argsort(np.abs(frames - at))[:window]]
    if near.size < 2:
        return c_at
    c = centers(track_xy[near], torso_idx)
    velocity = np.polyfit(near.astype(float), c, 1)[0]
    return np.asarray(c_at + np.nan_to_num(velocity) * (to - at))
