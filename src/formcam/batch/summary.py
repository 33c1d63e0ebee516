"""The batch summary: one row per video in ``summary.csv`` (and Parquet), and a trend plot.

Columns: ``path, status, error, withheld, view, setting, direction,
duration_s, frame_count, runner_frames_fraction``, then for every metric of
:data:`formcam.analysis.metrics.METRICS` its summary value and left/right values (the
metric names carry their unit: ``cadence_spm``, ``knee_flexion_ic_deg_left``,
...), then ``cues`` (cue ids, ``;``-separated). Rows are sorted by path, so an
interrupted-and-resumed batch writes the same summary as an uninterrupted one.

``status`` is ``ok`` (every metric of the clip's view measured), ``partial`` (some
withheld: ``withheld`` lists them with the reasons) or ``error`` (nothing measured, or
the video could not be analysed: ``error`` says why).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import re
from pathlib import Path
from typing import Any

from formcam.analysis import FRONTAL_METRICS, METRICS, SIDE_METRICS

log = logging.getLogger(__name__)

BASE_COLUMNS = ("path", "status", "error", "withheld", "view", "setting", "direction", "duration_s",
                "frame_count", "runner_frames_fraction")
TREND_METRICS = ("cadence_spm", "overstride_cm", "trunk_lean_deg", "knee_flexion_ic_deg", "pelvic_drop_deg")
_DATE = re.compile(r"(20\d\d)[-_.]?([01]\d)[-_.]?([0-3]\d)")


def columns() -> list[str]:
    cols = list(BASE_COLUMNS)
    for name in METRICS:
        cols += [name, f"{name}_left", f"{name}_right"]
    return [*cols, "cues"]


def error_row(rel: str, message: str) -> dict[str, Any]:
    return {"path": rel, "status": "error", "error": message}


def expected_metrics(view: str | None) -> tuple[str, ...]:
    """The metrics a clip of ``view`` should give (cadence, contact time and the view's own)."""
    return ("cadence_spm", "contact_time_ms", *(SIDE_METRICS if view == "side" else FRONTAL_METRICS))


def status_of(report: dict[str, Any]) -> tuple[str, str, str]:
    """``(status, error, withheld)`` of a finished report (see the module docstring)."""
    metrics = report.get("metrics") or {}
    missing = [(n, str(metrics.get(n, {}).get("reason") or "not measured"))
               for n in expected_metrics(report.get("view")) if not metrics.get(n, {}).get("available")]
    withheld = "; ".join(f"{n}: {why}" for n, why in missing)
    if not any(m.get("available") for m in metrics.values()):
        return "error", f"no metric could be measured ({grouped_reasons(missing) or 'no analysis'})", withheld
    return ("partial" if missing else "ok"), "", withheld


def grouped_reasons(missing: list[tuple[str, str]]) -> str:
    """``"reason: metric, metric; reason: metric"``: each distinct reason once, in order of
    first appearance (a short clip gives the same reason for most metrics)."""
    by_reason: dict[str, list[str]] = {}
    for name, why in missing:
        by_reason.setdefault(why, []).append(name)
    return "; ".join(f"{why}: {', '.join(names)}" for why, names in by_reason.items())


def report_row(rel: str, report: dict[str, Any]) -> dict[str, Any]:
    """Summary row of one finished report."""
    inp, quality = report.get("input", {}), report.get("quality", {})
    status, error, withheld = status_of(report)
    row: dict[str, Any] = {
        "path": rel, "status": status, "error": error, "withheld": withheld, "view": report.get("view"),
        "setting": report.get("setting"), "direction": report.get("direction"),
        "duration_s": inp.get("duration_s"), "frame_count": inp.get("frame_count"),
        "runner_frames_fraction": quality.get("runner_frames_fraction"),
    }
    for name, metric in (report.get("metrics") or {}).items():
        if metric.get("available"):
            row[name] = metric.get("value")
            row[f"{name}_left"] = metric.get("left")
            row[f"{name}_right"] = metric.get("right")
    row["cues"] = ";".join(c["id"] for c in report.get("cues", []) if "id" in c)
    return row


def write_summary(rows: list[dict[str, Any]], out: Path) -> list[Path]:
    """Write ``summary.csv`` (atomically) and ``summary.parquet`` if pyarrow is installed."""
    rows = sorted(rows, key=lambda r: str(r["path"]))
    cols = columns()
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: ("" if row.get(c) is None else row.get(c)) for c in cols})
    path = out / "summary.csv"
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
    written = [path]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return written
    table = pa.table({c: [None if r.get(c) in (None, "") else str(r.get(c)) if c in ("error", "cues")
                          else r.get(c) for r in rows] for c in cols})
    pq.write_table(table, out / "summary.parquet")
    return [*written, out / "summary.parquet"]


def session_date(root: Path, rel: str) -> dt.date:
    """A date in the file name (2024-05-01, 20240501, ...) or else the file's modification date."""
    match = _DATE.search(rel)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    return dt.date.fromtimestamp((root / rel).stat().st_mtime)


def write_trend(rows: list[dict[str, Any]], root: Path, out: Path) -> Path | None:
    """Plot the key metrics over session dates (``trend.png``) when ≥ 2 videos succeeded."""
    ok = [r for r in rows if r["status"] in ("ok", "partial")]
    if len(ok) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dated = sorted(((session_date(root, str(r["path"])), r) for r in ok), key=lambda x: x[0])
    shown = [m for m in TREND_METRICS if sum(r.get(m) is not None for _, r in dated) >= 2]
    if not shown:
        return None
    fig, axes = plt.subplots(len(shown), 1, figsize=(7, 2.2 * len(shown)), sharex=True, squeeze=False)
    for ax, metric in zip(axes[:, 0], shown, strict=True):
        points = [(d, r[metric]) for d, r in dated if r.get(metric) is not None]
        ax.plot([p[0] for p in points], [p[1] for p in points], "o-")
        ax.set_ylabel(metric, fontsize=8)
        ax.grid(alpha=0.3)
    axes[0, 0].set_title("formcam: key metrics per session")
    fig.autofmt_xdate()
    path = out / "trend.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path
