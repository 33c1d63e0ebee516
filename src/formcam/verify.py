"""``formcam verify``: measure formcam against phantom runners with known form.

Like a clinical phantom, each case renders a runner whose true metric values
and gait events are known (:mod:`formcam.phantom`), runs the full pipeline
on the rendered video (real pose model) and compares. A case varies one form
fault at a realistic magnitude and frame rate. Every metric with a tolerance
is checked; the command fails (exit 1) when any error exceeds it.

``--source truth`` feeds the phantom's true keypoints instead of the pose
model, which separates the analysis's own error from the pose model's.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcam.phantom import PhantomParams, render_phantom

log = logging.getLogger(__name__)

TOLERANCES: dict[str, float] = {
    "trunk_lean_deg": 3.0,
    "knee_flexion_ic_deg": 3.0,
    "pelvic_drop_deg": 3.0,
    "overstride_cm": 3.0,
    "cadence_spm": 1.0,
}
"""Largest end-to-end error allowed per metric (issue #4); events: ``EVENT_TOL_FRAMES`` at 60 fps."""
EVENT_TOL_FRAMES = 1.0
SIDE_METRICS = ("cadence_spm", "contact_time_ms", "trunk_lean_deg", "overstride_cm", "knee_flexion_ic_deg",
                "hip_extension_deg", "vertical_oscillation_cm", "foot_strike_angle_deg")
REAR_METRICS = ("cadence_spm", "pelvic_drop_deg", "lateral_trunk_lean_deg", "pelvic_sway_cm")


@dataclass(frozen=True)
class Case:
    """One phantom recording: a name, the changed parameters, view and frame rate."""

    name: str
    view: str
    fps: float
    changes: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 8.0

    def params(self) -> PhantomParams:
        return dataclasses.replace(PhantomParams(), **self.changes)

    @property
    def size(self) -> tuple[int, int]:
        return (960, 540) if self.view.startswith("side") else (540, 960)


DEFAULT_CASES: tuple[Case, ...] = (
    Case("baseline", "side_right", 60),
    Case("baseline-30fps", "side_right", 30),
    Case("baseline-120fps", "side_right", 120, duration_s=5.0),
    Case("overstride", "side_right", 60, {"overstride_cm": 24.0, "knee_flexion_ic_deg": 10.0}),
    Case("excessive-lean", "side_left", 60, {"trunk_lean_deg": 15.0}),
    Case("low-cadence", "side_right", 60, {"cadence_spm": 152.0, "contact_time_ms": 280.0,
                                           "speed_mps": 2.8}),
    Case("baseline-rear", "rear", 60),
    Case("pelvic-drop", "rear", 60, {"pelvic_drop_deg": 9.0}),
    Case("pelvic-drop-30fps", "rear", 30, {"pelvic_drop_deg": 9.0}),
)
QUICK_CASES: tuple[Case, ...] = (Case("quick-side", "side_right", 60, duration_s=4.0),)


@dataclass(frozen=True)
class Row:
    """One compared quantity of one case."""

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
    def ok(self) -> bool:
        if self.tolerance is None:
            return True
        return self.error is not None and abs(self.error) <= self.tolerance


def event_errors_frames(steps: list[dict[str, Any]], events: dict[str, Any], fps: float) -> dict[str, float]:
    """Median absolute error (frames) of detected IC and TO vs the true ones (nearest match per side)."""
    out: dict[str, float] = {}
    for key, true_key in (("contact_s", "ic_s"), ("toe_off_s", "to_s")):
        errs: list[float] = []
        for side in ("left", "right"):
            true_t = np.asarray(events.get(side, {}).get(true_key, []), dtype=float)
            for step in steps:
                if step.get("side") == side and step.get(key) is not None and true_t.size:
                    errs.append(float(np.min(np.abs(true_t - step[key]))) * fps)
        if errs:
            out["initial_contact" if key == "contact_s" else "toe_off"] = float(np.median(errs))
    return out


def run_case(case: Case, workdir: Path, *, source: str = "model") -> list[Row]:
    """Render ``case``, analyse it, and compare with the truth."""
    from formcam.pipeline import AnalyzeOptions, analyze_keypoints, analyze_video

    params = case.params()
    width, height = case.size
    video = workdir / f"{case.name}.mp4"
    truth = render_phantom(video, params, view=case.view, fps=case.fps, duration_s=case.duration_s,
                           width=width, height=height, noise_sigma=1.0, seed=1)
    options = AnalyzeOptions(height_cm=params.height_cm)
    if source == "truth":
        result = analyze_keypoints(video.with_suffix(".truth.npz"), workdir / case.name, options)
    else:
        result = analyze_video(video, workdir / case.name, options)
    report = result.report
    rows = [Row(case.name, "runner_frames_%", 100.0, 100 * report["quality"]["runner_frames_fraction"],
                1.0 if source == "model" else None)]
    names = SIDE_METRICS if case.view.startswith("side") else REAR_METRICS
    for name in names:
        metric = report["metrics"].get(name, {})
        measured = metric.get("value") if metric.get("available") else None
        rows.append(Row(case.name, name, truth["metrics"].get(name), measured, TOLERANCES.get(name)))
    if case.view.startswith("side"):
        tol = EVENT_TOL_FRAMES if case.fps == 60 else None
        errs = event_errors_frames(report["steps"], truth["events"], case.fps)
        for event in ("initial_contact", "toe_off"):
            rows.append(Row(case.name, f"{event}_frames", 0.0, errs.get(event), tol))
    return rows


def run_cases(cases: tuple[Case, ...], *, source: str = "model", workdir: Path | None = None) -> list[Row]:
    """Run every case (in ``workdir`` or a temporary folder) and return all rows."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="formcam-verify-") as tmp:
        base = workdir or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        for case in cases:
            log.info("verify: %s (%s, %g fps)", case.name, case.view, case.fps)
            rows.extend(run_case(case, base, source=source))
    return rows


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def format_table(rows: list[Row]) -> str:
    """Markdown table: case, quantity, true, measured, error, tolerance, pass."""
    lines = ["| case | quantity | true | measured | error | tolerance | ok |",
             "|---|---|---:|---:|---:|---:|:-:|"]
    for r in rows:
        tol = "–" if r.tolerance is None else f"±{r.tolerance:g}"
        mark = "✓" if r.ok else "✗"
        lines.append(f"| {r.case} | {r.quantity} | {_num(r.true)} | {_num(r.measured)} | "
                     f"{_num(r.error)} | {tol} | {mark} |")
    return "\n".join(lines)
