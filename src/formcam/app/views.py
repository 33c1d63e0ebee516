"""Rendering of one analysis: summary, warnings, metric cards, cues, media, plots and downloads.

Each ``render_*`` function draws one section from an :class:`~formcam.app.state.Entry`
and degrades gracefully when the report lacks a key (``cues``, ``keyframes``,
``disclaimer``) or a file was not written (``html``, ``csv``, ``video``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from formcam.app import catalog
from formcam.app.plots import signal_chart
from formcam.app.state import Entry
from formcam.app.timeseries import event_table, signal_help, signal_table
from formcam.report import count_notes, plain_notes, setting_text

log = logging.getLogger(__name__)

SEVERITY: dict[str, tuple[str, str, str]] = {  # severity -> (badge colour, icon, label)
    "concern": ("red", "🔴", "Concern"),
    "watch": ("orange", "🟠", "Watch"),
    "info": ("blue", "🔵", "Info"),
}
DOWNLOADS: tuple[tuple[tuple[str, ...], str, str], ...] = (  # file kinds (aliases), label, mime
    (("html",), "Report (HTML)", "text/html"),
    (("report",), "Report (JSON)", "application/json"),
    (("csv", "frames_csv"), "Per-frame data (CSV)", "text/csv"),
    (("video",), "Annotated video (MP4)", "video/mp4"),
    (("keypoints",), "Keypoints (NPZ)", "application/octet-stream"),
)
DEFAULT_DISCLAIMER = ("formcam gives running-form feedback, not a diagnosis. See a health professional when "
                      "pain persists, spreads down the legs, or comes with numbness, tingling or weakness.")
CARDS_PER_ROW = 4


def render_summary(entry: Entry) -> None:
    """Results header: the clip, what was decided about it, and how the result was obtained."""
    r = entry.report
    inp = r.get("input") or {}
    st.header("Results")
    facts = [f"**{entry.name}**", f"{inp.get('width')}×{inp.get('height')}",
             f"{float(inp.get('fps') or 0):.0f} fps", f"{float(inp.get('duration_s') or 0):.1f} s"]
    if r.get("view"):
        facts += [f"{r['view']} view", setting_text(r), f"direction {r.get('direction')}"]
    backend = r.get("backend") or {}
    facts.append(f"model {backend.get('model', '?')}")
    facts.append(f"{len(r.get('steps') or [])} steps")
    st.markdown(" · ".join(facts))
    how = ("pose estimation" if entry.how == "pose" else "re-analysed from the cached keypoints")
    st.caption(f"{how}, {entry.elapsed_s:.1f} s")


def render_notes(report: dict[str, Any]) -> None:
    """How the results were measured: the quality warnings in plain words, grouped, in one
    collapsed section (the analysis' own wording inside it)."""
    notes = plain_notes(report)
    if not notes:
        st.caption("No measurement problems were noticed.")
        return
    with st.expander(f"ℹ️ {count_notes(notes)} note(s) on how this was measured", expanded=False):
        for group, texts in notes:
            st.markdown(f"**{group}**\n" + "\n".join(f"- {x}" for x in texts))
        st.caption("Technical detail: " + " · ".join(str(w) for w in
                                                      (report.get("quality") or {}).get("warnings") or []))


def _card(name: str, entry: dict[str, Any]) -> None:
    info = catalog.info_for(name)
    unit = entry.get("unit")
    help_text = info.help + (f"\n\nTypical {info.typical[0]:g}–{info.typical[1]:g} ({info.source})."
                             if info.typical else "")
    with st.container(border=True):
        st.metric(catalog.card_label(name, unit), catalog.card_value(name, entry.get("value"), unit),
                  help=help_text)
        sides = (f"L {catalog.format_number(name, entry.get('left'))} · "
                 f"R {catalog.format_number(name, entry.get('right'))} · {entry.get('n_steps', 0)} steps")
        st.caption(sides)
        status = catalog.range_status(name, entry.get("value"))
        if status is not None:
            colour = "green" if status[0] == "within" else "orange"
            st.markdown(f":{colour}[{status[0]} {status[1]}]")


def render_metric_cards(report: dict[str, Any]) -> None:
    """One card per available metric (value, left/right, steps, typical range); the rest listed."""
    rows = catalog.metric_rows(report)
    available = [(n, e) for n, e in rows if e.get("available") and e.get("value") is not None]
    missing = [(n, e) for n, e in rows if not (e.get("available") and e.get("value") is not None)]
    st.subheader("Metrics")
    if not available:
        st.info("No metric could be measured in this clip (see the notes below).")
    for start in range(0, len(available), CARDS_PER_ROW):
        cols = st.columns(CARDS_PER_ROW)
        for col, (name, entry) in zip(cols, available[start:start + CARDS_PER_ROW], strict=False):
            with col:
                _card(name, entry)
    if missing:
        with st.expander(f"Not measured in this clip ({len(missing)})"):
            for name, entry in missing:
                st.markdown(f"- **{catalog.info_for(name).label}**: {entry.get('reason') or 'not available'}")


def _keyframes(report: dict[str, Any], out_dir: Path) -> list[dict[str, Any]]:
    """Key frames whose image exists, each with an absolute ``file``."""
    found: list[dict[str, Any]] = []
    for kf in report.get("keyframes") or []:
        if isinstance(kf, dict) and kf.get("path"):
            file = out_dir / str(kf["path"])
            if file.is_file():
                found.append({**kf, "file": file})
    return found


def render_cues(report: dict[str, Any], out_dir: Path) -> None:
    """The cue list: an expander per cue with its severity, message, advice and key frames."""
    st.subheader("Cues")
    cues = [c for c in report.get("cues") or [] if isinstance(c, dict)]
    if not cues:
        st.success("No form cues were raised for this clip.")
        return
    keyframes = _keyframes(report, out_dir)
    for i, cue in enumerate(cues):
        colour, icon, label = SEVERITY.get(str(cue.get("severity")), ("gray", "⚪", str(cue.get("severity"))))
        with st.expander(f"{icon} {label} · {cue.get('message', cue.get('id', 'cue'))}", expanded=i == 0):
            st.badge(label, color=colour)  # type: ignore[arg-type]
            if cue.get("advice"):
                st.markdown(f"**What to try:** {cue['advice']}")
            metric = cue.get("metric")
            if metric:
                unit = ((report.get("metrics") or {}).get(metric) or {}).get("unit")
                st.caption(f"{catalog.info_for(metric).label}: "
                           f"{catalog.format_value(metric, cue.get('value'), unit)} "
                           f"(threshold {catalog.format_value(metric, cue.get('threshold'), unit)})")
            if cue.get("basis"):
                st.caption(f"Basis: {cue['basis']}")
            frames = {f for f in cue.get("frames") or [] if isinstance(f, int)}
            cue_id = str(cue.get("id") or "\0")
            shots = [kf for kf in keyframes
                     if kf.get("frame") in frames or kf.get("cue") == cue_id or cue_id in str(kf.get("name"))]
            if shots:
                st.image([str(kf["file"]) for kf in shots],
                         caption=[str(kf.get("caption") or kf.get("name") or "") for kf in shots], width=260)
            elif frames:
                st.caption("Frames: " + ", ".join(str(f) for f in sorted(frames)[:12]))


def render_media(entry: Entry) -> None:
    """The annotated video and the key frames, when they were written."""
    video = entry.files.get("video")
    keyframes = _keyframes(entry.report, entry.out_dir)
    if (video is None or not video.is_file()) and not keyframes:
        return
    st.subheader("Video and key frames")
    if video is not None and video.is_file():
        st.video(str(video))
    if keyframes:
        st.image([str(kf["file"]) for kf in keyframes],
                 caption=[str(kf.get("caption") or kf.get("name") or "") for kf in keyframes], width=240)


def render_plots(entry: Entry) -> None:
    """Interactive per-frame plots with gait events (data computed once per analysis)."""
    if "signals" not in entry.extra:
        entry.extra["signals"] = signal_table(entry.series, entry.report)
        entry.extra["events"] = event_table(entry.report)
    signals, events = entry.extra["signals"], entry.extra["events"]
    st.subheader("Over time")
    if signals.empty:
        st.info("No per-frame data to plot for this analysis.")
        return
    labels = list(dict.fromkeys(signals["signal"]))
    left, right = st.columns([3, 1])
    with left:
        choice = st.selectbox("Signal", labels, key="plot_signal")
    with right:
        show_events = st.checkbox("Show contacts and toe-offs", value=True, key="plot_events")
    chosen = choice if choice in labels else labels[0]
    st.caption(signal_help().get(chosen, ""))
    st.altair_chart(signal_chart(signals, events, chosen, show_events=show_events), width="stretch")


def _reader(path: Path) -> Callable[[], bytes]:
    return lambda: path.read_bytes()


def render_downloads(entry: Entry) -> None:
    """A download button for each main output file that exists (plots and key frames are in the HTML)."""
    present: list[tuple[str, Path, str, str]] = []
    for kinds, label, mime in DOWNLOADS:
        path = next((p for k in kinds if (p := entry.files.get(k)) is not None and p.is_file()), None)
        if path is not None:
            present.append((kinds[0], path, label, mime))
    if not present:
        return
    st.subheader("Downloads")
    row = st.container(horizontal=True)
    for kind, path, label, mime in present:
        row.download_button(label, data=_reader(path), file_name=path.name, mime=mime,
                            key=f"dl_{kind}", on_click="ignore", help=path.name)


def render_disclaimer(report: dict[str, Any]) -> None:
    """The report's disclaimer (or formcam's default one)."""
    st.caption(str(report.get("disclaimer") or DEFAULT_DISCLAIMER))
