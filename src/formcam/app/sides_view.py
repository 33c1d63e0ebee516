"""The Compare tab's "left and right" mode: two side-view reports, one from each side of the
runner, compared leg by leg (:mod:`formcam.app.two_sides`)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from formcam.app import catalog
from formcam.app.compare_view import pick_two
from formcam.app.processing import guarded
from formcam.app.state import Entry
from formcam.app.two_sides import DIFFERS, EVEN, SCATTERED, UNCLEAR, LegRow, compare_sides


def _table(rows: list[LegRow]) -> list[dict[str, Any]]:
    def rnd(x: float | None) -> float | None:
        return None if x is None else round(x, 2)

    return [{"Metric": catalog.card_label(r.name, ""), "Both legs": rnd(r.value),
             "Right − left": rnd(r.difference), "± 2 SE": rnd(None if r.se is None else 2 * r.se),
             "Limit": rnd(r.limit), "Verdict": r.verdict,
             "Steps (left / right)": f"{r.n_left} / {r.n_right}"} for r in rows]


def render_two_sides(current: Entry | None) -> None:
    """Pick the two side-view reports, then the table."""
    st.markdown(
        "One side view does not compare the legs: the pose model sees the leg nearer the camera "
        "and the one behind it differently. Film the runner from **each side** (same speed), analyse "
        "both clips, and choose their reports here: each leg is taken from the clip where it is the "
        "near leg, so the two carry the same bias and their difference is fair. A difference counts "
        "only when it exceeds the metric's smallest detectable difference (3 % for cadence) by more "
        "than twice its standard error from the steps' scatter.")
    chosen = pick_two(current, ("One side", "sides_a", True), ("The other side", "sides_b", False),
                      waiting="Choose both reports to compare the legs.")
    if chosen is None:
        return
    a, b = chosen
    got, error = guarded(lambda: compare_sides(a, b), what="comparing the legs", name="the two reports")
    if error or got is None:
        st.error(error or "the two reports could not be compared")
        return
    rows, warnings = got
    for note in warnings:
        st.warning(note)
    differs = [catalog.card_label(r.name, "") for r in rows if r.verdict == DIFFERS]
    even = [catalog.card_label(r.name, "") for r in rows if r.verdict == EVEN]
    if differs:
        st.success("Left and right differ: " + "; ".join(differs))
    if even:
        st.info("Left and right within measurement noise: " + "; ".join(even))
    scattered = [catalog.card_label(r.name, "") for r in rows if r.verdict in (SCATTERED, UNCLEAR)]
    if scattered:
        st.warning("Not clear from these steps (film longer clips): " + "; ".join(scattered))
    st.dataframe(_table(rows), hide_index=True, width="stretch", key="sides_table")
