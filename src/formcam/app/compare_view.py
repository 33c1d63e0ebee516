"""The "Compare" tab: two analyses side by side, with changes judged against their SDDs."""

from __future__ import annotations

from typing import Any

import streamlit as st

from formcam.app import catalog
from formcam.app.compare import (
    MIN_STEPS,
    NOISE,
    REAL,
    SDD,
    MetricChange,
    compare_reports,
    context_warnings,
    load_report,
    table_rows,
)
from formcam.app.processing import guarded
from formcam.app.state import Entry

UPLOAD = "Upload a report.json"
CURRENT = "Current analysis"


def _pick(label: str, key: str, current: Entry | None, *, prefer_current: bool) -> dict[str, Any] | None:
    """A report chosen by the user: the current analysis or an uploaded ``report.json``."""
    options = [CURRENT, UPLOAD] if prefer_current else [UPLOAD, CURRENT]  # stable: keeps the choice
    mode = st.radio(label, options, key=f"{key}_mode", horizontal=True)
    if mode == CURRENT:
        if current is None:
            st.caption("No analysis yet: analyse a video in the Analyse tab, or upload a report.json.")
            return None
        st.caption(f"{current.name}")
        return current.report
    upload = st.file_uploader(f"{label}: report.json written by formcam", type=["json"], key=f"{key}_file")
    if upload is None:
        return None
    report, error = guarded(lambda: load_report(upload.getvalue(), upload.name),
                            what="reading the report", name=upload.name)
    if error:
        st.error(error)
    return report


def pick_two(current: Entry | None, first: tuple[str, str, bool], second: tuple[str, str, bool], *,
             waiting: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Two reports chosen side by side, each ``(label, key, prefer_current)`` (see :func:`_pick`);
    None, with ``waiting`` shown, until both are chosen."""
    got = []
    for column, (label, key, prefer) in zip(st.columns(2), (first, second), strict=True):
        with column:
            got.append(_pick(label, key, current, prefer_current=prefer))
    a, b = got
    if a is None or b is None:
        st.info(waiting)
        return None
    return a, b


SESSIONS = "Before and after (two sessions)"
SIDES = "Left and right (two side views)"


def render_compare(current: Entry | None) -> None:
    """The tab: before/after sessions, or the two legs from two side views."""
    mode = st.radio("What to compare", [SESSIONS, SIDES], key="cmp_mode", horizontal=True)
    if mode == SIDES:
        from formcam.app.sides_view import render_two_sides

        st.header("Compare the legs")
        render_two_sides(current)
        return
    _render_sessions(current)


def _render_sessions(current: Entry | None) -> None:
    """Pick *before* and *after*, then the table of changes."""
    st.header("Compare two sessions")
    st.markdown(
        "For therapists and coaches: compare a runner's report before and after a change "
        "(training, cue, footwear). A change is called **real** only when it is larger than the "
        "metric's *smallest detectable difference* (SDD), the session-to-session noise of 2D video "
        "(Dingenen 2018). Smaller changes are within measurement noise: for example, a change in "
        "pelvic drop under about 3° is not a real change.")
    chosen = pick_two(current, ("Before", "cmp_before", False), ("After", "cmp_after", True),
                      waiting="Choose both reports to see the comparison.")
    if chosen is None:
        return
    before, after = chosen
    for note in context_warnings(before, after):
        st.warning(note)
    changes = compare_reports(before, after)
    labels = {c.name: catalog.card_label(c.name, c.unit) for c in changes}
    def said(c: MetricChange) -> str:
        return f"{labels[c.name]} {catalog.format_value(c.name, c.value.delta, c.unit, signed=True)}"

    real = [said(c) for c in changes if c.value.verdict == REAL]
    noise = [said(c) for c in changes if c.value.verdict == NOISE]
    if real:
        st.success("Real change: " + "; ".join(real))
    if noise:
        st.info("Within measurement noise (not a real change): " + "; ".join(noise))
    st.dataframe(table_rows(changes, labels), hide_index=True, width="stretch", key="cmp_table")
    st.caption("SDDs used: " + "; ".join(f"{catalog.info_for(n).label} {s.value:g}° ({s.source})"
                                         for n, s in SDD.items())
               + f". Metrics without a published SDD show their change without a verdict. "
                 f"Fewer than {MIN_STEPS} steps per analysis make any comparison less reliable.")
