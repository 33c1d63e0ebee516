"""``report.html``: one self-contained file a therapist can open, print or save as PDF.

No external resources: images are base64 ``data:`` URIs, CSS is inline (with a print
stylesheet), there is no script. Every text from the report or the rules is escaped
with :func:`html.escape`. Sections: findings (cues with their key frames), summary
against typical ranges, key frames, plots, general advice, quality, settings, the
disclaimer with red flags, and the formcam version.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from formcam.report.cues import DISCLAIMER, RED_FLAGS, Rule, RuleSet
from formcam.report.json_report import analysed_frames_text, setting_text
from formcam.report.notes import count_notes, plain_notes
from formcam.report.pelvis_plot import SOURCE_LABELS

NAMES: Mapping[str, str] = MappingProxyType({
    "cadence_spm": "Cadence", "contact_time_ms": "Contact time", "trunk_lean_deg": "Forward trunk lean",
    "overstride_cm": "Overstride", "overstride_ratio": "Overstride (leg lengths)",
    "shank_angle_ic_deg": "Shank angle at contact", "knee_flexion_ic_deg": "Knee flexion at contact",
    "hip_extension_deg": "Hip extension", "vertical_oscillation_cm": "Vertical oscillation",
    "foot_strike_angle_deg": "Foot strike angle", "pelvic_drop_deg": "Pelvic drop",
    "lateral_trunk_lean_deg": "Sideways trunk lean", "pelvic_sway_cm": "Sideways hip sway",
    "pelvic_tilt_deg": "Anterior pelvic tilt (+ = front of the pelvis lower)",
    "pelvic_tilt_range_deg": "Pelvic tilt range per stride"})
_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2125;max-width:1040px;
margin:0 auto;padding:1.2em;background:#fafafa}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;border-bottom:2px solid #ddd;padding-bottom:.2em;
margin-top:1.6em}
table{border-collapse:collapse;width:100%;font-size:.9em;background:#fff}
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f0f2f4}
td.n{text-align:right;white-space:nowrap}
.card{background:#fff;border:1px solid #ddd;border-left:6px solid #999;border-radius:4px;padding:.6em .9em;
margin:.8em 0;break-inside:avoid}
.concern{border-left-color:#d63c3c}.watch{border-left-color:#e8a317}.info{border-left-color:#78a0d2}
.badge{display:inline-block;font-size:.75em;font-weight:700;text-transform:uppercase;padding:.1em .5em;
border-radius:3px;color:#fff;background:#999;margin-right:.4em}
.badge.concern{background:#d63c3c}.badge.watch{background:#c98a00}.badge.info{background:#5f88bd}
.small{font-size:.85em;color:#555}img{max-width:100%;height:auto;border:1px solid #ccc}
.card img{max-width:min(100%,440px)}
figure{margin:.6em 0;break-inside:avoid}figcaption{font-size:.85em;color:#444}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:.8em}
.note{background:#fff8e1;border:1px solid #f0d98c;padding:.6em .9em;border-radius:4px}
.flags{background:#fdecea;border:1px solid #f2b8b5;padding:.6em .9em;border-radius:4px}
@media print{body{background:#fff;max-width:none;padding:0;font-size:10pt}
h2{break-after:avoid}.grid{grid-template-columns:1fr 1fr}a{color:inherit;text-decoration:none}}
@page{margin:14mm}
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _num(v: Any, digits: int = 1) -> str:
    if v is None:
        return "–"
    return f"{v:.{digits}f}" if isinstance(v, int | float) and not isinstance(v, bool) else _e(v)


def _digits(unit: str) -> int:
    return 0 if unit in ("ms", "steps/min") else 2 if unit == "fraction of leg length" else 1


def _img(data: bytes, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">'


def _limits(rule: Rule) -> str:
    parts = []
    for word, (lo, hi) in (("watch", rule.watch), ("concern", rule.concern)):
        if rule.direction == "abs":
            parts.append(f"{word} beyond ±{hi:g}")
        else:
            sides = (f"< {lo:g}" if lo is not None else "", f"> {hi:g}" if hi is not None else "")
            parts.append(f"{word} " + " or ".join(t for t in sides if t))
    asym = " (left/right difference, %)" if rule.measure == "asymmetry_pct" else ""
    heur = "; heuristic" if rule.heuristic else ""
    return _e(f"{', '.join(parts)}{asym}; SDD {rule.sdd:g}{heur}")


def _summary(report: dict[str, Any], rules: RuleSet) -> str:
    by_metric: dict[str, list[Rule]] = {}
    for r in rules.rules:
        by_metric.setdefault(r.metric, []).append(r)
    status = {c["metric"]: c["severity"] for c in report.get("cues") or []}
    rows: list[str] = []
    missing: dict[str, list[str]] = {}
    for name, m in (report.get("metrics") or {}).items():
        unit, d = str(m.get("unit", "")), _digits(str(m.get("unit", "")))
        typ = rules.typical.get(name)
        typ_txt = f"{typ[0]:g}–{typ[1]:g}" if typ else "–"
        lim = "<br>".join(_limits(r) for r in by_metric.get(name, [])) or "–"
        if not m.get("available"):
            missing.setdefault(str(m.get("reason") or "not measured"), []).append(NAMES.get(name, name))
            continue
        sev = status.get(name)
        flag = f'<span class="badge {sev}">{_e(sev)}</span>' if sev else ""
        if m.get("source"):
            src = SOURCE_LABELS.get(m["source"], m["source"])
            src = "ASIS/PSIS stickers" if name.startswith("pelvic_tilt") else src
            flag += f"<br><span class=small>from {_e(src)}</span>"
        rows.append(f"<tr><td>{_e(NAMES.get(name, name))} {flag}</td><td class=n><b>{_num(m.get('value'), d)}"
                    f"</b></td><td class=n>{_num(m.get('left'), d)}</td><td class=n>{_num(m.get('right'), d)}"
                    f"</td><td>{_e(unit)}</td><td class=n>{_e(m.get('n_steps', 0))}</td>"
                    f"<td class=n>{_e(typ_txt)}</td><td class=small>{lim}</td></tr>")
    gaps = "".join(f"<p class=small>Not available ({_e(why)}): {_e(', '.join(names))}.</p>"
                   for why, names in missing.items())
    return ("<table><tr><th>metric</th><th>value (median)</th><th>left</th><th>right</th><th>unit</th>"
            "<th>steps</th><th>typical</th><th>cue thresholds</th></tr>" + "".join(rows) + "</table>" + gaps +
            "<p class=small>A cue level counts only when the value passes its threshold by at least the "
            "smallest detectable difference (SDD); a smaller excess is shown as <i>info</i>. Typical ranges "
            "and thresholds marked heuristic are not validated cut-offs.</p>")


def _cues(report: dict[str, Any], kf_by_name: dict[str, dict[str, Any]]) -> str:
    cues = report.get("cues") or []
    if not cues:
        return "<p>No metric reached a watch or concern level in this clip.</p>"
    out = []
    for c in cues:
        sev = str(c.get("severity"))
        kf = kf_by_name.get(f"cue_{c.get('id')}")
        fig = (f"<figure>{_img(Path(kf['path']).read_bytes(), kf['caption'])}<figcaption>"
               f"{_e(kf['caption'])}</figcaption></figure>") if kf else ""
        frames = ", ".join(str(f) for f in c.get("frames") or []) or "–"
        out.append(f'<div class="card {_e(sev)}"><p><span class="badge {_e(sev)}">{_e(sev)}</span>'
                   f"{_e(c.get('message'))}</p><p><b>What to work on:</b> {_e(c.get('advice'))}</p>"
                   f"<p class=small>Basis: {_e(c.get('basis', ''))} Evidence: contact frames of the "
                   f"worst steps, worst first: "
                   f"{_e(frames)}.</p>{fig}</div>")
    return "".join(out)


def _dl(items: dict[str, Any]) -> str:
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in items.items())
    return f"<table>{rows}</table>"


def event_sources_text(sources: dict[str, dict[str, int]]) -> str:
    """Which source timed the events: "initial contact: 15 from the shoe's image motion, 3 from
    the keypoints; toe-off: ..." (issue 20)."""
    parts = []
    for key, name in (("initial_contact", "initial contact"), ("toe_off", "toe-off")):
        got = sources.get(key) or {}
        parts.append(f"{name}: {got.get('flow', 0)} from the shoe's image motion, "
                     f"{got.get('keypoints', 0)} from the keypoints")
    return "; ".join(parts)


def _notes_html(report: dict[str, Any]) -> str:
    """The quality warnings as plain, grouped notes in one collapsed section, with the analysis'
    own wording in a nested one."""
    notes = plain_notes(report)
    raw = (report.get("quality") or {}).get("warnings") or []
    if not notes:
        return "<p>No measurement problems were noticed.</p>"
    groups = "".join(f"<p><b>{_e(g)}</b></p><ul>{''.join(f'<li>{_e(x)}</li>' for x in texts)}</ul>"
                     for g, texts in notes)
    tech = "".join(f"<li>{_e(w)}</li>" for w in raw)
    return (f"<details class=notes><summary>{count_notes(notes)} note(s) on how this was measured"
            f"</summary>{groups}<details><summary>Technical detail</summary><ul>{tech}</ul></details>"
            "</details>")


def render_html(report: dict[str, Any], *, rules: RuleSet, plots: dict[str, bytes] | None = None,
                keyframes: list[dict[str, Any]] | None = None, files: list[str] | None = None) -> str:
    """The complete HTML document (str).

    Args:
        report: the report dict, with ``cues`` already evaluated.
        rules: the rules used (typical ranges, thresholds, general advice, source files).
        plots: title -> PNG bytes. keyframes: ``[{name, frame, path, caption}]`` (PNG files).
        files: names of the other output files, listed for the reader.
    """
    inp, q = report.get("input") or {}, report.get("quality") or {}
    scale = q.get("scale") or {}
    kfs = list(keyframes or [])
    by_name = {k["name"]: k for k in kfs}
    shown: dict[str, dict[str, Any]] = {}  # one figure per file, first name wins
    for k in kfs:
        if not k["name"].startswith("cue_"):
            shown.setdefault(str(k["path"]), k)
    gallery = "".join(f"<figure>{_img(Path(k['path']).read_bytes(), k['caption'])}<figcaption>"
                      f"{_e(k['caption'])}</figcaption></figure>" for k in shown.values())
    plot_html = "".join(f"<figure>{_img(data, title)}<figcaption>{_e(title)}</figcaption></figure>"
                        for title, data in (plots or {}).items())
    warnings = _notes_html(report)
    clip = {"file": Path(str(inp.get("path", ""))).name, "size": f"{inp.get('width')}×{inp.get('height')}",
            "frame rate": f"{_num(inp.get('fps'), 2)} fps", "frames": inp.get("frame_count"),
            "duration": f"{_num(inp.get('duration_s'), 1)} s", "view": report.get("view"),
            "setting": setting_text(report), "direction": report.get("direction")}
    quality = {"runner found in": f"{100 * float(q.get('runner_frames_fraction') or 0):.0f} % of frames",
               "mean keypoint score": _num(q.get("mean_score"), 2),
               "scale": (f"runner height {scale.get('height_cm')} cm ({scale.get('source')})"
                         if scale else "–"),
               "frames analysed": analysed_frames_text(report, always=True) or "–",
               "steps used": len(report.get("steps") or [])}
    if report.get("view") == "side" and q.get("event_sources"):
        quality["contact timing"] = event_sources_text(q["event_sources"])
    settings = {**(report.get("settings") or {}),
                "pose backend": f"{(report.get('backend') or {}).get('name')} "
                                f"{(report.get('backend') or {}).get('model')}",
                "rules": ", ".join(rules.sources)}
    advice = "".join(f"<li>{_e(a)}</li>" for a in rules.general_advice)
    flags = "".join(f"<li>{_e(f)}</li>" for f in RED_FLAGS)
    version = _e(report.get("formcam_version", ""))
    other = f"<p class=small>Other outputs in this folder: {_e(', '.join(files))}.</p>" if files else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>formcam report: {_e(clip['file'])}</title><style>{_CSS}</style></head><body>
<h1>Running-form report</h1>
<p class=small>{_e(clip['file'])} · {_e(report.get('view') or 'no')} view · formcam {version}</p>
<p class=note>{_e(DISCLAIMER)} Stop and see a professional if any red flag below applies.</p>
<h2>Findings and cues</h2>{_cues(report, by_name)}
<h2>Summary</h2>{_summary(report, rules)}
<h2>Key frames</h2><div class=grid>{gallery or '<p>none</p>'}</div>
<h2>Plots</h2>{plot_html or '<p>none</p>'}
<h2>General advice for runners with back pain</h2><ul>{advice}</ul>
<h2>Measurement notes</h2>{warnings}{_dl(quality)}
<h2>Clip and settings</h2>{_dl(clip)}{_dl(settings)}{other}
<h2>Red flags: see a doctor or physiotherapist</h2>
<div class=flags><p>Get checked before continuing to run if you have:</p><ul>{flags}</ul></div>
<p class=small>formcam {version}. Form feedback from 2D video, not a diagnosis.</p>
</body></html>
"""


def write_html(path: str | Path, report: dict[str, Any], *, rules: RuleSet,
               plots: dict[str, bytes] | None = None, keyframes: list[dict[str, Any]] | None = None,
               files: list[str] | None = None) -> Path:
    """Write :func:`render_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(render_html(report, rules=rules, plots=plots, keyframes=keyframes, files=files),
                    encoding="utf-8")
    return path
