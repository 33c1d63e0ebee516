"""Interactive time-series charts (Altair, which ships with Streamlit; plotly is not needed).

One signal at a time, left and right in their own colours, with the gait
events as vertical rules (contacts solid, toe-offs dashed). Drag to pan,
scroll to zoom, hover for values.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

SIDE_COLORS: dict[str, str] = {"left": "#1f77b4", "right": "#d62728", "both": "#444444"}


def signal_chart(signals: pd.DataFrame, events: pd.DataFrame, signal: str, *,
                 show_events: bool = True, height: int = 320) -> Any:
    """An Altair chart of ``signal`` (a label in ``signals["signal"]``) with the events."""
    data = signals[signals["signal"] == signal]
    present = set(data["side"]) | (set(events["side"]) if show_events and not events.empty else set())
    sides = [s for s in ("left", "right", "both") if s in present]
    color = alt.Color("side:N", title="side",
                      scale=alt.Scale(domain=sides, range=[SIDE_COLORS[s] for s in sides]))
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=1.6)
        .encode(x=alt.X("t_s:Q", title="time (s)"),
                y=alt.Y("value:Q", title=signal, scale=alt.Scale(zero=False)),
                color=color,
                tooltip=[alt.Tooltip("t_s:Q", title="time (s)", format=".3f"),
                         alt.Tooltip("frame:Q", title="frame"), alt.Tooltip("side:N"),
                         alt.Tooltip("value:Q", title=signal, format=".1f")])
        .add_params(zoom)
    )
    if not show_events or events.empty:
        return lines.properties(height=height)
    rules = (
        alt.Chart(events)
        .mark_rule(opacity=0.45)
        .encode(x="t_s:Q",
                color=color,
                strokeDash=alt.StrokeDash("event:N", title="event",
                                          scale=alt.Scale(domain=["contact", "toe-off"],
                                                          range=[[1, 0], [4, 3]])),
                tooltip=[alt.Tooltip("event:N"), alt.Tooltip("side:N"),
                         alt.Tooltip("t_s:Q", title="time (s)", format=".3f"),
                         alt.Tooltip("frame:Q", title="frame")])
    )
    return alt.layer(rules, lines).resolve_scale(color="shared").properties(height=height)
