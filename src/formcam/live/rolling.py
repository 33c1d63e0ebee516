"""Rolling numbers: the last seconds of a live runner's keypoints through ``analyze``'s own analysis.

:class:`RollingWindow` keeps the keypoints of the frames the pose model took over the last
``span_s`` seconds. Those frames are irregular (a frame the model could not take in time was
dropped), and the analysis filters on a uniform time base, so :func:`uniform_series` resamples
them onto an even grid at the achieved rate before :func:`rolling_numbers` hands them to
:func:`formcam.analysis.analyze_series` (the one implementation of every metric) and the cue
rules (:func:`formcam.report.add_cues`).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.analysis import analyze_series
from formcam.errors import FormcamError
from formcam.report import add_cues
from formcam.series import PoseSeries

Arr = NDArray[np.float64]

SIDE_NUMBERS: tuple[str, ...] = ("cadence_spm", "trunk_lean_deg", "overstride_cm", "knee_flexion_ic_deg")
FRONTAL_NUMBERS: tuple[str, ...] = ("cadence_spm", "pelvic_drop_deg", "pelvic_sway_cm")
"""The metrics shown live, by view (side; rear or front)."""


class RollingWindow:
    """Keypoints of one runner over the last ``span_s`` seconds of source time.

    Args:
        keypoint_names: the ``K`` names (the backend's).
        width, height: frame size in pixels.
        span_s: how much of the past is kept (seconds).
    """

    def __init__(self, keypoint_names: tuple[str, ...], *, width: int, height: int,
                 span_s: float = 10.0) -> None:
        self.names, self.width, self.height, self.span_s = keypoint_names, width, height, span_s
        self._rows: deque[tuple[float, Arr, Arr]] = deque()

    def add(self, t_s: float, xy: Arr, score: Arr) -> None:
        """One frame's keypoints: ``xy (K, 2)`` pixels (NaN = missing), ``score (K,)``; ``t_s`` increasing."""
        self._rows.append((float(t_s), np.asarray(xy, dtype=np.float64), np.asarray(score, dtype=np.float64)))
        while self._rows and self._rows[0][0] < t_s - self.span_s:
            self._rows.popleft()

    def __len__(self) -> int:
        return len(self._rows)

    def series(self) -> PoseSeries | None:
        """The window on a uniform time base (:func:`uniform_series`); None with fewer than 2 frames."""
        if len(self._rows) < 2:
            return None
        t = np.array([r[0] for r in self._rows])
        xy = np.stack([r[1] for r in self._rows])
        score = np.stack([r[2] for r in self._rows])
        return uniform_series(t, xy, score, keypoints=self.names, width=self.width, height=self.height)


def uniform_series(t_s: Arr, xy: Arr, score: Arr, *, keypoints: tuple[str, ...], width: int, height: int,
                   max_gap_s: float = 0.25) -> PoseSeries:
    """Resample irregular frames onto an even grid at their mean rate.

    Args:
        t_s: ``(T,)`` increasing times (s).
        xy: ``(T, K, 2)`` pixels, NaN = missing; score: ``(T, K)`` in [0, 1].
        max_gap_s: a grid time between two seen samples further apart than this stays missing
            (NaN, score 0): no motion is invented across a long gap.

    Returns:
        A :class:`PoseSeries` with ``fps = (T - 1) / (t_s[-1] - t_s[0])``, first time ``t_s[0]``,
        keypoints linearly interpolated per coordinate.
    """
    fps = (t_s.size - 1) / float(t_s[-1] - t_s[0])
    grid = t_s[0] + np.arange(t_s.size) / fps
    out_xy = np.full((grid.size, *xy.shape[1:]), np.nan)
    out_score = np.zeros((grid.size, xy.shape[1]))
    for k in range(xy.shape[1]):
        seen = np.isfinite(xy[:, k]).all(axis=1)
        if seen.sum() < 2:
            continue
        ts = t_s[seen]
        right = np.clip(np.searchsorted(ts, grid), 1, ts.size - 1)
        near = (ts[right] - ts[right - 1] <= max_gap_s) & (grid >= ts[0]) & (grid <= ts[-1])
        for c in range(xy.shape[2]):
            out_xy[near, k, c] = np.interp(grid[near], ts, xy[seen, k, c])
        out_score[near, k] = np.interp(grid[near], ts, score[seen, k])
    return PoseSeries(xy=out_xy, score=out_score, t_s=grid, keypoints=keypoints, width=width, height=height,
                      fps=fps)


@dataclass(frozen=True)
class RollingNumbers:
    """The window's numbers: ``view`` (None when not analysed), ``values`` by metric name (None:
    not measured), the active ``cues`` (id and message), ``n_steps``, and ``reason`` when the
    window could not be analysed."""

    view: str | None
    values: dict[str, float | None] = field(default_factory=dict)
    cues: list[dict[str, Any]] = field(default_factory=list)
    n_steps: int = 0
    reason: str | None = None


def rolling_numbers(series: PoseSeries, *, view: str | None = None, height_cm: float | None = None,
                    rules: str | None = None) -> RollingNumbers:
    """Analyse the window with ``analyze``'s analysis and cue rules (real time: ``time_scale=1``).

    A window the analysis refuses (too few frames with the runner, no steps yet) gives a
    :class:`RollingNumbers` with its ``reason``, not an error.
    """
    try:
        fields = analyze_series(series, view=view, height_cm=height_cm, time_scale=1.0).to_report_fields()
    except FormcamError as exc:
        return RollingNumbers(view=None, reason=str(exc))
    report = {"metrics": fields["metrics"], "steps": fields["steps"], "view": fields["view"],
              "quality": {"analysed_fps": series.fps}}
    cues = [{"id": c.get("id"), "message": c.get("message")} for c in add_cues(report, rules)]
    names = SIDE_NUMBERS if fields["view"] == "side" else FRONTAL_NUMBERS
    values = {n: _value(fields["metrics"].get(n)) for n in names}
    return RollingNumbers(view=fields["view"], values=values, cues=cues, n_steps=len(fields["steps"]))


def _value(metric: dict[str, Any] | None) -> float | None:
    if not metric or not metric.get("available"):
        return None
    v = metric.get("value")
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else None
