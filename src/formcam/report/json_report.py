"""Compose and write ``report.json``.

Top-level keys, in order (names and units are a contract read by other tools):
``formcam_version, input, view, setting, direction, backend, person, quality,
settings, steps, metrics, cues``. ``person`` (how the runner was chosen) and
``settings`` (the options used) are formcam additions to the DESIGN contract.
Keys whose stage did not run (``--keypoints-only``) are ``null`` or empty.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from formcam import __version__


def setting_text(report: dict[str, Any]) -> str:
    """The setting as shown to a user: a runner who stays in place in the picture was filmed on a
    treadmill or by a camera that follows them (the two look alike to the analysis)."""
    setting = str(report.get("setting"))
    decided = (((report.get("quality") or {}).get("decisions") or {}).get("setting") or {}).get("source")
    if setting == "treadmill" and decided == "auto":
        return "treadmill (or a camera following the runner: the runner stays in place in the picture)"
    return setting


def build_report(*, meta: dict[str, Any], quality: dict[str, Any], settings: dict[str, Any],
                 analysis: dict[str, Any] | None = None) -> dict[str, Any]:
    """Assemble the report dict from the pose-stage ``meta`` and the analysis fields."""
    analysis = analysis or {}
    return {
        "formcam_version": __version__,
        "input": meta["input"],
        "view": analysis.get("view"),
        "setting": analysis.get("setting"),
        "direction": analysis.get("direction"),
        "backend": meta["backend"],
        "person": meta.get("person"),
        "quality": quality,
        "settings": settings,
        "steps": analysis.get("steps", []),
        "metrics": analysis.get("metrics", {}),
        "cues": analysis.get("cues", []),
    }


def _clean(obj: Any) -> Any:
    """Replace non-finite floats by None so the JSON is strict."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as strict, indented JSON atomically (temp file + rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(_clean(obj), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _fmt(value: Any, unit: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, int | float):
        return f"{value:.2f}" if abs(value) < 1 else f"{value:.1f}"
    return f"{value} {unit}".strip()


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def analysed_frames_text(report: dict[str, Any], *, always: bool = False) -> str | None:
    """``"analysed every 2nd frame (--max-fps 60): 300 of 600 frames at 60 fps; ..."``, or None
    when every frame was analysed (unless ``always``) or the report does not say."""
    q, inp = report.get("quality") or {}, report.get("input") or {}
    step, fps = q.get("frame_step"), q.get("analysed_fps")
    if step is None or fps is None or (step == 1 and not always):
        return None
    which = "every frame" if step == 1 else f"every {_ordinal(int(step))} frame"
    max_fps = (report.get("settings") or {}).get("max_fps")
    limit = f" (--max-fps {max_fps:g})" if step > 1 and max_fps else ""
    return (f"analysed {which}{limit}: {q.get('analysed_frame_count')} of {inp.get('frame_count')} frames "
            f"at {fps:.3g} fps; events are timed to a fraction of the {q.get('frame_interval_ms', 0):.1f} ms "
            f"frame interval")


def summary_text(report: dict[str, Any]) -> str:
    """A short human summary of a report, for the terminal."""
    inp, q = report["input"], report["quality"]
    lines = [
        f"{Path(inp['path']).name}: {inp['width']}x{inp['height']}, {inp['fps']:.2f} fps, "
        f"{inp['frame_count']} frames ({inp['duration_s']:.1f} s), rotation {inp['rotation_deg']}°",
        f"pose: {report['backend']['name']} {report['backend']['model']}; runner found in "
        f"{100 * q['runner_frames_fraction']:.1f} % of frames (mean score {q['mean_score']:.2f})",
    ]
    analysed = analysed_frames_text(report)
    if analysed:
        lines.append(analysed)
    person = report.get("person") or {}
    if person.get("n_people", 1) > 1:
        lines.append(f"people tracked: {person['n_people']}; runner chosen by {person['method']}")
    if report.get("view"):
        lines.append(f"view: {report['view']}, setting: {setting_text(report)}, "
                     f"direction: {report['direction']}")
    metrics = report.get("metrics") or {}
    shown = [(name, m) for name, m in metrics.items() if m.get("available")]
    if shown:
        lines.append(f"{'metric (unit in the name)':<26}{'value':>10}{'left':>10}{'right':>10}{'steps':>7}")
        for name, m in shown:
            lines.append(f"{name:<26}{_fmt(m.get('value'), ''):>10}{_fmt(m.get('left'), ''):>10}"
                         f"{_fmt(m.get('right'), ''):>10}{m.get('n_steps', 0):>7}")
    for warning in q.get("warnings", []):
        lines.append(f"warning: {warning}")
    for cue in report.get("cues", []):
        lines.append(f"cue [{cue.get('severity')}] {cue.get('id')}: {cue.get('message')}")
    return "\n".join(lines)
