"""Per-step pelvic drop from each source, side by side (rear / front views; issue 19).

:func:`pelvic_drop_steps_png` plots, for every step, the pelvic drop the report used (its
``source``: PSIS markers, markerless image tracking or hip keypoints) next to the
keypoint-based and markerless values kept in the step (``pelvic_drop_keypoints_deg``,
``pelvic_drop_markerless_deg``), so a therapist can judge whether they agree.
"""

from __future__ import annotations

from typing import Any

from formcam.report.plots import SIDE_COLOR, _figure, _png

SOURCE_LABELS = {"markers": "PSIS markers", "image": "markerless (lower back tracked)",
                 "keypoints": "hip keypoints"}
_SERIES: tuple[tuple[str, str, str, str | None], ...] = (
    ("pelvic_drop_keypoints_deg", "hip keypoints", "x", None),
    ("pelvic_drop_markerless_deg", "markerless (lower back tracked)", "s", None))


def pelvic_drop_steps_png(report: dict[str, Any]) -> bytes | None:
    """PNG of each step's pelvic drop by source against time; None without per-source values."""
    steps = [s for s in report.get("steps") or [] if s.get("contact_s") is not None]
    if not any(s.get("pelvic_drop_keypoints_deg") is not None for s in steps):
        return None
    source = (report.get("metrics") or {}).get("pelvic_drop_deg", {}).get("source", "keypoints")
    fig = _figure(10.0, 3.6, nrows=1, ncols=1, margins_in=(0.75, 0.15, 0.3, 1.25), gaps_in=(0.0, 0.0))
    ax = fig.subplots(1, 1)
    series: list[tuple[str, str, str, str | None]] = [
        ("pelvic_drop_deg", f"used: {SOURCE_LABELS.get(source, source)}", "o", None)]
    series += [s for s in _SERIES if not (source == "keypoints" and s[0] == "pelvic_drop_keypoints_deg")
               and not (source == "image" and s[0] == "pelvic_drop_markerless_deg")]
    for key, label, marker, colour in series:
        for side in ("left", "right"):
            pts = [(s["contact_s"], s[key]) for s in steps
                   if s.get("side") == side and s.get(key) is not None]
            if not pts:
                continue
            t, v = zip(*pts, strict=True)
            ax.plot(t, v, marker, ms=6 if marker == "o" else 5, color=colour or SIDE_COLOR[side], ls="none",
                    mfc="none" if marker != "o" else None, label=f"{label}, {side} stance")
    ax.axhline(0, color="#444444", lw=0.6)
    ax.set_ylabel("deg, + swing-side hip lower", fontsize=8)
    ax.set_xlabel("time of contact (s)")
    ax.set_title("Pelvic drop per step, by source", fontsize=10, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.22), ncol=3, fontsize=7, frameon=False)
    ax.grid(alpha=0.3)
    return _png(fig)
