"""Per-frame data of an analysis: the :class:`FrameTable` and its ``frames.csv``.

The table is built from the *cleaned* pose series and the report (view, direction,
steps, scale), so it needs no more than what a keypoints replay gives. Kinematics
are recomputed with :func:`formcam.analysis.kinematics.compute_kinematics` on that series,
which gives exactly the analysis' own per-frame values.

Columns (units are part of the names; empty cell = not measured or not measurable
in this view; signs as in :mod:`formcam.analysis.kinematics`):

=============================  ====================================================
frame, t_s                     index in the pose series (= video frame), time in s
trunk_lean_deg                 side view; + forward
knee_flexion_{side}_deg        side view; 0 straight, + flexed
thigh_angle_{side}_deg         side view; hip->knee vs vertical, + knee ahead of hip
shank_angle_{side}_deg         side view; knee->ankle vs vertical, + ankle ahead
foot_angle_{side}_deg          side view; heel->toe vs horizontal, + toes up
ankle_ahead_{side}_cm          side view; ankle ahead of the hip midpoint, + ahead
pelvis_obliquity_deg           rear/front view; + runner's left hip higher
lateral_trunk_lean_deg         rear/front view; + toward the runner's left
hip_mid_x_px, hip_mid_y_px     hip midpoint in image pixels (x right, y down)
hip_mid_height_cm              hip midpoint height relative to its clip median, + up
hip_mid_lateral_cm             rear/front view; relative to the median, + runner's left
stance_{side}                  1 between that foot's initial contact and toe-off
event                          ``IC_L``, ``TO_R``... (``;``-separated) at the event frame
=============================  ====================================================
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from formcam.analysis import Kinematics, compute_kinematics
from formcam.series import PoseSeries

Arr = NDArray[np.float64]
SIDES: tuple[str, str] = ("left", "right")
_LEG = ("hip", "knee", "ankle", "heel", "foot_index")


class HasSeries(Protocol):
    """Anything carrying the cleaned pose series, e.g. :class:`formcam.analysis.core.Analysis`."""

    @property
    def series(self) -> PoseSeries: ...


AnalysisLike = HasSeries | PoseSeries


@dataclass(frozen=True)
class FrameTable:
    """Per-frame values of one clip (``T`` rows; see the module docstring for columns).

    Attributes:
        series: the cleaned pose series.
        kin: its kinematics.
        view: ``side``, ``rear`` or ``front``.
        columns: column name -> ``(T,)`` values (NaN = empty), in CSV order after frame, t_s.
        stance: side -> ``(T,)`` bool.
        events: ``(T,)`` event labels per frame (``""`` if none).
        near_side: the leg nearer the camera (``None`` in rear/front view when undecided).
    """

    series: PoseSeries
    kin: Kinematics
    view: str
    columns: dict[str, Arr]
    stance: dict[str, NDArray[np.bool_]]
    events: list[str]
    near_side: str | None


def series_of(analysis_like: AnalysisLike) -> PoseSeries:
    """The cleaned series of an ``Analysis`` (or a series given directly)."""
    return analysis_like if isinstance(analysis_like, PoseSeries) else analysis_like.series


def px_per_cm(report: dict[str, Any]) -> float:
    """Scale of the report (``quality.scale.px_per_cm``), NaN when absent."""
    scale = (report.get("quality") or {}).get("scale") or {}
    v = scale.get("px_per_cm")
    return float(v) if isinstance(v, int | float) and v > 0 else math.nan


def near_side(series: PoseSeries, view: str, forward_sign: int, *, min_diff: float = 0.02) -> str | None:
    """Leg nearer the camera in a side view (None in rear/front views, where both legs are
    equally near): the leg with the higher mean keypoint score (by ``min_diff`` or more),
    else the runner's right when facing image-right (the camera then sees the right side)."""
    if view != "side":
        return None
    mean = {s: float(np.nanmean(series.score[:, [series.index(f"{s}_{p}") for p in _LEG]])) for s in SIDES}
    if abs(mean["left"] - mean["right"]) >= min_diff:
        return max(mean, key=lambda s: mean[s])
    return "right" if forward_sign > 0 else "left"


def _median(a: Arr) -> float:
    return float(np.nanmedian(a)) if np.isfinite(a).any() else math.nan


def frame_table(analysis_like: AnalysisLike, report: dict[str, Any]) -> FrameTable:
    """Build the per-frame table of a cleaned series and its report."""
    series = series_of(analysis_like)
    view = str(report.get("view") or "side")
    fwd = -1 if report.get("direction") == "left" else 1
    kin = compute_kinematics(series, forward_sign=fwd)
    t = series.t_s
    n = series.n_frames
    nan = np.full(n, np.nan)
    side, frontal = view == "side", view != "side"
    scale = px_per_cm(report)
    cols: dict[str, Arr] = {"trunk_lean_deg": kin.trunk_lean_deg if side else nan}
    for j, s in enumerate(SIDES):
        cols[f"knee_flexion_{s}_deg"] = kin.knee_flexion_deg[:, j] if side else nan
    for j, s in enumerate(SIDES):
        cols[f"thigh_angle_{s}_deg"] = kin.thigh_angle_deg[:, j] if side else nan
        cols[f"shank_angle_{s}_deg"] = kin.shank_angle_deg[:, j] if side else nan
        cols[f"foot_angle_{s}_deg"] = kin.foot_angle_deg[:, j] if side else nan
        cols[f"ankle_ahead_{s}_cm"] = kin.ankle_ahead_px[:, j] / scale if side else nan
    cols["pelvis_obliquity_deg"] = kin.pelvis_obliquity_deg if frontal else nan
    cols["lateral_trunk_lean_deg"] = kin.lateral_trunk_lean_deg if frontal else nan
    hip = (series.point("left_hip") + series.point("right_hip")) / 2
    cols["hip_mid_x_px"], cols["hip_mid_y_px"] = hip[:, 0], hip[:, 1]
    v, w = kin.hip_mid_uv_px[:, 1], kin.hip_mid_w_px
    cols["hip_mid_height_cm"] = (v - _median(v)) / scale
    cols["hip_mid_lateral_cm"] = (w - _median(w)) / scale if frontal else nan
    stance = {s: np.zeros(n, dtype=bool) for s in SIDES}
    labels: list[list[str]] = [[] for _ in range(n)]
    for st in report.get("steps") or []:
        s = st.get("side")
        if s not in stance:
            continue
        if st.get("contact_s") is not None and st.get("toe_off_s") is not None:
            stance[s] |= (t >= st["contact_s"]) & (t < st["toe_off_s"])
        for key, tag in (("contact_frame", "IC"), ("toe_off_frame", "TO")):
            f = st.get(key)
            if f is not None and 0 <= int(f) < n:
                labels[int(f)].append(f"{tag}_{s[0].upper()}")
    return FrameTable(series=series, kin=kin, view=view, columns=cols, stance=stance,
                      events=[";".join(x) for x in labels], near_side=near_side(series, view, fwd))


def _cell(x: float, digits: int) -> str:
    return "" if not math.isfinite(x) else f"{x:.{digits}f}"


def frames_csv_text(table: FrameTable, *, digits: int = 3) -> str:
    """The CSV text: header ``frame,t_s,<columns>,stance_left,stance_right,event``, one row per frame."""
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    names = list(table.columns)
    wr.writerow(["frame", "t_s", *names, "stance_left", "stance_right", "event"])
    for i in range(table.series.n_frames):
        wr.writerow([i, f"{table.series.t_s[i]:.6f}",
                     *(_cell(float(table.columns[c][i]), digits) for c in names),
                     int(table.stance["left"][i]), int(table.stance["right"][i]), table.events[i]])
    return buf.getvalue()


def write_frames_csv(path: str | Path, analysis_like: AnalysisLike | FrameTable,
                     report: dict[str, Any]) -> Path:
    """Write ``frames.csv`` (UTF-8) for an analysis (or a ready table); return the path."""
    table = analysis_like if isinstance(analysis_like, FrameTable) else frame_table(analysis_like, report)
    path = Path(path)
    path.write_text(frames_csv_text(table), encoding="utf-8")
    return path
