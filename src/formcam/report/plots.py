"""Static report plots (PNG bytes): per-frame time series and a left/right comparison.

Matplotlib is imported inside the functions and used through ``Figure`` plus the
Agg canvas directly (no pyplot, no global backend switch), so importing this
module is cheap and thread-safe.

* :func:`timeseries_png`: the view's per-frame angles and positions against time
  (side: trunk lean, knee flexion per side, hip height; rear/front: pelvis
  obliquity, lateral trunk lean, hip lateral and vertical position), with each
  foot's stance phase shaded (left blue, right orange) and its initial contact
  (solid line) and toe-off (dotted line) marked. Signs as in ``frames.csv``.
* :func:`left_right_png`: one small panel per available metric with its left and
  right values as bars, the typical range (from the rules) as a grey band.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from formcam.report.csv_report import SIDES, AnalysisLike, FrameTable, frame_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PLOT_DPI = 100
"""Pixels per inch of the PNGs: a 10-inch-wide plot is 1000 px, sharp in the HTML report."""
SIDE_COLOR: Mapping[str, str] = MappingProxyType({"left": "#4696ff", "right": "#ff8c28"})
_SERIES: Mapping[str, tuple[tuple[str, str, tuple[tuple[str, str | None], ...]], ...]] = MappingProxyType({
    "side": (("Trunk lean", "deg, + forward", (("trunk_lean_deg", None),)),
             ("Knee flexion", "deg, 0 = straight", (("knee_flexion_left_deg", "left"),
                                                    ("knee_flexion_right_deg", "right"))),
             ("Hip height", "cm from median, + up", (("hip_mid_height_cm", None),))),
    "rear": (("Pelvis obliquity", "deg, + left hip higher", (("pelvis_obliquity_deg", None),)),
             ("Lateral trunk lean", "deg, + toward runner's left", (("lateral_trunk_lean_deg", None),)),
             ("Hip sideways", "cm from median, + runner's left", (("hip_mid_lateral_cm", None),)),
             ("Hip height", "cm from median, + up", (("hip_mid_height_cm", None),))),
})


def _figure(width_in: float, height_in: float, *, nrows: int, ncols: int, margins_in: tuple[float, ...],
            gaps_in: tuple[float, float]) -> Figure:
    """A figure of ``nrows`` x ``ncols`` panels with fixed margins, in inches.

    ``margins_in`` is ``(left, right, top, bottom)``; ``gaps_in`` the ``(horizontal,
    vertical)`` space between panels. Fixed margins instead of
    ``layout="constrained"``: the panels' text is known here, and the constrained
    solver measures every text artist in an extra draw, half the time of a plot.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    left, right, top, bottom = margins_in
    wgap, hgap = gaps_in
    fig = Figure(figsize=(width_in, height_in), dpi=PLOT_DPI)
    FigureCanvasAgg(fig)
    axes_w = (width_in - left - right - (ncols - 1) * wgap) / ncols
    axes_h = (height_in - top - bottom - (nrows - 1) * hgap) / nrows
    fig.subplots_adjust(left=left / width_in, right=1 - right / width_in, top=1 - top / height_in,
                        bottom=bottom / height_in, wspace=wgap / axes_w, hspace=hgap / axes_h)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _stances(ax: Axes, steps: list[dict[str, Any]]) -> None:
    """Shade each foot's stance and mark its contact (solid) and toe-off (dotted).

    One collection per side and kind instead of an artist per step: with ~75 steps in a
    10 s clip, ``axvline``/``axvspan`` per step cost a second of transform updates.
    The shapes span the axes' height (blended transform) and do not change the limits.
    """
    from matplotlib.collections import LineCollection, PolyCollection

    trans = ax.get_xaxis_transform()
    for side, color in SIDE_COLOR.items():
        mine = [st for st in steps if st.get("side") == side and st.get("contact_s") is not None]
        ics = [float(st["contact_s"]) for st in mine]
        spans = [(float(st["contact_s"]), float(st["toe_off_s"]))
                 for st in mine if st.get("toe_off_s") is not None]
        if spans:
            ax.add_collection(PolyCollection([[(a, 0), (b, 0), (b, 1), (a, 1)] for a, b in spans],
                                             facecolors=color, alpha=0.15, linewidths=0, transform=trans),
                              autolim=False)
            ax.add_collection(LineCollection([[(b, 0), (b, 1)] for _, b in spans], colors=color,
                                             linewidths=0.8, linestyles=":", transform=trans), autolim=False)
        if ics:
            ax.add_collection(LineCollection([[(a, 0), (a, 1)] for a in ics], colors=color, linewidths=0.8,
                                             transform=trans), autolim=False)


def timeseries_png(analysis_like: AnalysisLike | FrameTable, report: dict[str, Any]) -> bytes:
    """Time-series figure of the clip (see module docstring) as PNG bytes."""
    table = analysis_like if isinstance(analysis_like, FrameTable) else frame_table(analysis_like, report)
    panels = _SERIES["side" if table.view == "side" else "rear"]
    t = table.series.t_s
    steps = list(report.get("steps") or [])
    fig = _figure(10.0, 1.9 * len(panels) + 0.6, nrows=len(panels), ncols=1,
                  margins_in=(0.75, 0.15, 0.3, 0.55), gaps_in=(0.0, 0.35))
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (title, unit, cols) in zip(axes, panels, strict=True):
        _stances(ax, steps)
        for col, side in cols:
            y = table.columns[col]
            ax.plot(t, y, color=SIDE_COLOR[side] if side else "#222222", lw=1.4, label=side or None)
        if any(side for _, side in cols):
            ax.legend(loc="upper right", fontsize=8, frameon=False)
        ax.set_ylabel(unit, fontsize=8)
        ax.set_title(title, fontsize=10, loc="left")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time (s); shaded: stance (blue left, orange right), solid: contact, dotted: toe-off")
    return _png(fig)


def left_right_png(report: dict[str, Any], *, typical: dict[str, tuple[float, float, str]] | None = None,
                   ncols: int = 3) -> bytes | None:
    """Left/right bar panels of every available metric with both sides; None if there is none."""
    metrics = report.get("metrics") or {}
    names = [n for n, m in metrics.items()
             if m.get("available") and m.get("left") is not None and m.get("right") is not None]
    if not names:
        return None
    nrows = math.ceil(len(names) / ncols)
    fig = _figure(10.0, 2.1 * nrows + 0.3, nrows=nrows, ncols=ncols, margins_in=(0.5, 0.1, 0.42, 0.3),
                  gaps_in=(0.6, 0.72))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, name in zip(axes, names, strict=False):
        m = metrics[name]
        vals = [float(m["left"]), float(m["right"])]
        if typical and name in typical:
            lo, hi, _ = typical[name]
            ax.axhspan(lo, hi, color="#bbbbbb", alpha=0.35, lw=0)
        bars = ax.bar(list(SIDES), vals, color=[SIDE_COLOR[s] for s in SIDES], width=0.6)
        ax.bar_label(bars, labels=[f"{v:.3g}" for v in vals], fontsize=8)
        ax.axhline(0, color="#444444", lw=0.6)
        ax.set_title(f"{name}\n({m.get('unit', '')})", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.margins(y=0.2)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    return _png(fig)


def write_plots(analysis_like: AnalysisLike | FrameTable, report: dict[str, Any], out_dir: str | Path, *,
                typical: dict[str, tuple[float, float, str]] | None = None) -> dict[str, Path]:
    """Write ``timeseries.png`` and ``left_right.png`` (when there are sided metrics) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"timeseries": out / "timeseries.png"}
    files["timeseries"].write_bytes(timeseries_png(analysis_like, report))
    lr = left_right_png(report, typical=typical)
    if lr is not None:
        files["left_right"] = out / "left_right.png"
        files["left_right"].write_bytes(lr)
    return files
