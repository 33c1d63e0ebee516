"""Compare one case's report with the phantom's truth, and print the rows.

Pure functions over dicts (formcam's ``report.json`` and the phantom's truth record):
:func:`compare` makes the :class:`Row` s of one case, :func:`format_table` the Markdown
table, :func:`summary_line` the count line, :func:`exit_status` the command's exit code.
A row without a tolerance or a true value is :data:`NOT_JUDGED`, never passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from formcam.verify.cases import EVENTS, REAR_METRICS, SIDE_METRICS, TOLERANCES, Case

NOT_JUDGED = "not judged"


@dataclass(frozen=True)
class Row:
    """One compared quantity of one case; ``tolerance`` is the resolved limit (None: none on file)."""

    case: str
    quantity: str
    true: float | None
    measured: float | None
    tolerance: float | None

    @property
    def error(self) -> float | None:
        if self.true is None or self.measured is None:
            return None
        return self.measured - self.true

    @property
    def judged(self) -> bool:
        """A row is judged when it has both a tolerance and a true value (a missing measurement fails)."""
        return self.tolerance is not None and self.true is not None

    @property
    def ok(self) -> bool:
        """Judged and within tolerance; never true for a row that is not judged."""
        err = self.error
        return self.judged and err is not None and abs(err) <= float(self.tolerance or 0.0)

    @property
    def mark(self) -> str:
        return ("✓" if self.ok else "✗") if self.judged else NOT_JUDGED


PLACED_METHODS = frozenset({"midstance"})
"""Contact methods whose contact and toe-off are placed, not timed: the rear view's fallback puts
them around each hip-height minimum with an assumed contact share of the stride (0.35), which is
the phantom's own (250 ms of 706), so judging them as events would pass by construction."""


def event_errors_frames(steps: list[dict[str, Any]], events: dict[str, Any], fps: float) -> dict[str, float]:
    """Median absolute error (frames) of detected events vs the true ones (nearest match per side):
    ``initial_contact`` and ``toe_off`` over the timed contacts (:data:`PLACED_METHODS` left out),
    ``mid_stance`` (halfway between contact and toe-off) over all of them."""
    errs: dict[str, list[float]] = {e: [] for e in EVENTS}
    for side in ("left", "right"):
        ev = events.get(side, {})
        ic, to = (np.asarray(ev.get(k, []), dtype=float) for k in ("ic_s", "to_s"))
        true = {"initial_contact": ic, "toe_off": to, "mid_stance": _true_mid_s(ic, to)}
        for step in (s for s in steps if s.get("side") == side):
            c, t = step.get("contact_s"), step.get("toe_off_s")
            placed = step.get("event_method") in PLACED_METHODS
            got = {"initial_contact": None if placed else c, "toe_off": None if placed else t,
                   "mid_stance": None if c is None or t is None else 0.5 * (c + t)}
            for event, when in got.items():
                if when is not None and true[event].size:
                    errs[event].append(float(np.min(np.abs(true[event] - when))) * fps)
    return {event: float(np.median(e)) for event, e in errs.items() if e}


def _true_mid_s(ic_s: np.ndarray, to_s: np.ndarray) -> np.ndarray:
    """Halfway between each true contact and the first toe-off after it (s)."""
    mids = [0.5 * (a + to_s[to_s > a][0]) for a in ic_s if (to_s > a).any()]
    return np.asarray(mids, dtype=float)


def _row(case: Case, quantity: str, true: float | None, measured: float | None, leg_m: float) -> Row:
    tol = TOLERANCES.get(quantity)
    limit = None if tol is None else tol.limit(fps=case.fps, leg_m=leg_m)
    return Row(case.name, quantity, true, measured, limit)


def compare(case: Case, truth: dict[str, Any], report: dict[str, Any]) -> list[Row]:
    """The rows of one case: ``report`` (formcam's report.json) against ``truth`` (the phantom's record).

    Pure: the table builder that :func:`run_case` uses, testable on made-up reports.
    """
    leg_m = float(truth["metrics"].get("leg_length_m", 0.0))
    fraction = report.get("quality", {}).get("runner_frames_fraction")
    rows = [_row(case, "runner_frames_%", 100.0, None if fraction is None else 100 * fraction, leg_m)]
    names: tuple[str, ...] = SIDE_METRICS if case.view.startswith("side") else REAR_METRICS
    if not case.view.startswith("side") and case.fps < 45:  # withheld by design there (flight-coarse)
        names = tuple(n for n in names if n != "contact_time_ms")
    if "asis_psis" in case.stickers:  # the tilt cases judge the tilt alone (the rest is the baseline's)
        return rows + _tilt_rows(case, truth, report, leg_m)
    for name in names:
        metric = report.get("metrics", {}).get(name, {})
        measured = metric.get("value") if metric.get("available") else None
        rows.append(_row(case, name, truth["metrics"].get(name), measured, leg_m))
    if case.stickers or case.clothing != "plain":
        rows.append(_pelvic_row(case, truth, report, leg_m))
    errs = event_errors_frames(report.get("steps", []), truth["events"], case.fps)
    rows.extend(_row(case, f"{event}_frames", 0.0, errs.get(event), leg_m) for event in EVENTS)
    return rows


def _pelvic_row(case: Case, truth: dict[str, Any], report: dict[str, Any], leg_m: float) -> Row:
    """The pelvic case's own row: pelvic drop held to issue 19's tolerance for its source
    (markers 1 deg, markerless 2 deg); no value when the report used another source."""
    want = "markers" if "psis" in case.stickers and case.markers != "off" else "image"
    quantity = "pelvic_drop_markers_deg" if want == "markers" else "pelvic_drop_markerless_deg"
    metric = report.get("metrics", {}).get("pelvic_drop_deg", {})
    ok = metric.get("available") and metric.get("source") == want
    return _row(case, quantity, truth["metrics"].get("pelvic_drop_deg"), metric.get("value") if ok else None,
                leg_m)


def _tilt_rows(case: Case, truth: dict[str, Any], report: dict[str, Any], leg_m: float) -> list[Row]:
    """The tilt case's rows: mean anterior tilt and its per-stride range from the stickers (no
    value when the report has none, or from another source)."""
    rows = []
    for name in ("pelvic_tilt_deg", "pelvic_tilt_range_deg"):
        metric = report.get("metrics", {}).get(name, {})
        ok = metric.get("available") and metric.get("source") == "markers"
        rows.append(_row(case, name, truth["metrics"].get(name), metric.get("value") if ok else None, leg_m))
    return rows


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def format_table(rows: list[Row]) -> str:
    """Markdown table: case, quantity, true, measured, error, tolerance, verdict (✓, ✗ or not judged)."""
    lines = ["| case | quantity | true | measured | error | tolerance | ok |",
             "|---|---|---:|---:|---:|---:|:-:|"]
    for r in rows:
        tol = "–" if r.tolerance is None else f"±{r.tolerance:.3g}"
        lines.append(f"| {r.case} | {r.quantity} | {_num(r.true)} | {_num(r.measured)} | "
                     f"{_num(r.error)} | {tol} | {r.mark} |")
    return "\n".join(lines)


def summary_line(rows: list[Row]) -> str:
    """The count line: "N of M judged rows within tolerance; K rows not judged"."""
    judged = [r for r in rows if r.judged]
    n_ok = sum(r.ok for r in judged)
    return (f"{n_ok} of {len(judged)} judged rows within tolerance; "
            f"{len(rows) - len(judged)} rows not judged")


def exit_status(rows: list[Row]) -> int:
    """1 when a judged row is outside its tolerance, else 0 (rows not judged do not count)."""
    return int(any(r.judged and not r.ok for r in rows))
