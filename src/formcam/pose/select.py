"""Choose the runner among the people tracked in a clip.

Each track is scored on three things a runner has and a bystander (a coach,
a cyclist in the background, a passer-by) usually lacks:

* ``presence``: fraction of the clip's frames in which the track is seen;
* ``size``: median box height as a fraction of the frame height;
* ``periodicity``: how strongly the legs move in a running rhythm: the peak
  of the normalised autocorrelation of the ankle-to-ankle vector (divided by
  box height) at a stride period of 0.4–1.5 s, times its amplitude relative to
  a running stride (capped at 1).

``score = presence × sqrt(size) × (0.2 + 0.8 × periodicity)``. The user can
override the choice with a rank (1 = best score) or with a box drawn around
the runner: the track whose boxes, early in the track, overlap it most.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.errors import ConfigError, NoRunnerError
from formcam.pose.tracking import Tracks, boxes, iou

log = logging.getLogger(__name__)

_AMPLITUDE_REF = 0.15  # ankle separation std / body height of an easy run (side view ≈ 0.2)


@dataclass(frozen=True)
class PersonChoice:
    """How to pick the runner: ``auto``, a 1-based ``rank``, or a pixel ``box`` (x, y, w, h)."""

    rank: int | None = None
    box_px: tuple[float, float, float, float] | None = None

    @classmethod
    def parse(cls, text: str | None) -> PersonChoice:
        """Parse ``auto``, ``N`` / ``rank:N``, or ``x,y,w,h`` / ``box:x,y,w,h``."""
        if text is None or text.strip().lower() in ("", "auto"):
            return cls()
        body = re.sub(r"^(rank|box):", "", text.strip().lower())
        parts = [p for p in re.split(r"[,\s]+", body) if p]
        try:
            if len(parts) == 1:
                rank = int(parts[0])
                if rank < 1:
                    raise ValueError
                return cls(rank=rank)
            if len(parts) == 4:
                x, y, w, h = (float(p) for p in parts)
                if w <= 0 or h <= 0:
                    raise ValueError
                return cls(box_px=(x, y, w, h))
        except ValueError:
            pass
        raise ConfigError(f"--person: expected 'auto', a rank like 2, or a box 'x,y,w,h' in pixels, "
                          f"got {text!r}")

    def describe(self) -> str:
        if self.rank is not None:
            return f"rank {self.rank} (user)"
        if self.box_px is not None:
            return "box {} (user)".format(",".join(f"{v:g}" for v in self.box_px))
        return "auto"


@dataclass(frozen=True)
class Candidate:
    """Scores of one tracked person."""

    track: int
    presence: float
    size: float
    periodicity: float
    score: float
    first_frame: int
    first_box_px: tuple[float, float, float, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "track": self.track, "presence": round(self.presence, 4), "size": round(self.size, 4),
            "periodicity": round(self.periodicity, 4), "score": round(self.score, 4),
            "first_frame": self.first_frame,
            "first_box_px": [round(v, 1) for v in self.first_box_px],
        }


def periodicity(signal: NDArray[np.float64], fps: float, *, min_period_s: float = 0.4,
                max_period_s: float = 1.5) -> float:
    """Peak normalised autocorrelation of ``signal (T,)`` at lags in the stride range.

    NaNs are filled by linear interpolation; fewer than two periods of valid
    data give 0.
    """
    ok = np.isfinite(signal)
    if ok.sum() < 2 * max(3, int(min_period_s * fps)):
        return 0.0
    idx = np.arange(signal.size)
    x = np.interp(idx, idx[ok], signal[ok])
    x = x - x.mean()
    denom = float(np.dot(x, x))
    if denom <= 0:
        return 0.0
    lo = max(1, round(min_period_s * fps))
    hi = min(x.size // 2, round(max_period_s * fps))
    if hi <= lo:
        return 0.0
    ac = [float(np.dot(x[:-lag], x[lag:])) / denom * x.size / (x.size - lag) for lag in range(lo, hi + 1)]
    return float(np.clip(max(ac), 0.0, 1.0))


def score_tracks(tracks: Tracks, *, fps: float, frame_height: int,
                 ankle_idx: tuple[int, int]) -> list[Candidate]:
    """Score every track; see the module docstring for the formula."""
    present = tracks.present()
    t_len = present.shape[1]
    out: list[Candidate] = []
    for n in range(tracks.n_tracks):
        frames = np.flatnonzero(present[n])
        if frames.size == 0:
            continue
        b = boxes(tracks.xy[n, frames])
        height = np.nanmedian(b[:, 3] - b[:, 1])
        presence = frames.size / t_len
        size = float(np.clip(height / frame_height, 0.0, 1.0))
        left, right = ankle_idx
        span = tracks.xy[n, frames[0] : frames[-1] + 1]
        sep = (span[:, left, :] - span[:, right, :]) / max(height, 1.0)
        per = 0.0
        for axis in (0, 1):
            amp = float(np.nanstd(sep[:, axis])) if np.isfinite(sep[:, axis]).any() else 0.0
            per = max(per, periodicity(sep[:, axis], fps) * min(1.0, amp / _AMPLITUDE_REF))
        score = presence * np.sqrt(size) * (0.2 + 0.8 * per)
        fb = b[0]
        out.append(Candidate(track=n, presence=presence, size=size, periodicity=per, score=float(score),
                             first_frame=int(frames[0]),
                             first_box_px=(float(fb[0]), float(fb[1]), float(fb[2] - fb[0]),
                                           float(fb[3] - fb[1]))))
    out.sort(key=lambda c: -c.score)
    return out


def choose(candidates: list[Candidate], tracks: Tracks, choice: PersonChoice, *,
           fps: float) -> Candidate:
    """Pick the runner's candidate according to ``choice``.

    Raises:
        NoRunnerError: nobody was tracked.
        ConfigError: the requested rank does not exist or the box touches nobody.
    """
    if not candidates:
        raise NoRunnerError("no person was detected in any frame")
    if choice.rank is not None:
        if choice.rank > len(candidates):
            raise ConfigError(f"--person rank {choice.rank}: expected 1..{len(candidates)} "
                              f"({len(candidates)} people tracked)")
        return candidates[choice.rank - 1]
    if choice.box_px is not None:
        x, y, w, h = choice.box_px
        target = np.array([[x, y, x + w, y + h]])
        window = max(1, round(fps))
        best: tuple[float, Candidate] | None = None
        for cand in candidates:
            frames = np.flatnonzero(tracks.present()[cand.track])[:window]
            overlap = float(iou(target, boxes(tracks.xy[cand.track, frames])).max())
            if best is None or overlap > best[0]:
                best = (overlap, cand)
        if best is None or best[0] <= 0.0:
            raise ConfigError(f"--person box {choice.describe()}: no tracked person overlaps it")
        return best[1]
    return candidates[0]
