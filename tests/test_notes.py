"""Quality warnings in plain words: the analysis' own wording maps to a group and a plain text."""

from __future__ import annotations

from dataclasses import replace

from formcam.analysis.core import analyze_series
from formcam.report import plain_notes
from formcam.report.notes import GROUP_ORDER, plain_note
from tests.synthetic import make_runner


def test_left_right_warnings_read_plainly() -> None:
    group, text = plain_note("2 contact(s) given to the other foot than the pose model labelled, so that "
                             "steps alternate (the model swapped the far leg's labels)")
    assert group == "Left and right" and "2 landings" in text
    assert plain_note("1 contact(s) missed between detected ones (a gap of two steps or more): x")[0] \
        == "Left and right"
    assert plain_note("something new the analysis says")[0] == "Other"


def test_every_warning_of_a_slowed_short_clip_is_rewritten() -> None:
    """A real analysis' warnings all land in a named group (none falls through to 'Other')."""
    s, _ = make_runner(fps=30, duration_s=4)
    a = analyze_series(replace(s, t_s=s.t_s * 3.0, fps=10.0))
    notes = plain_notes({"quality": {"warnings": list(a.warnings)}})
    groups = [g for g, _ in notes]
    assert groups and "Other" not in groups and "Slow motion" in groups
    assert groups == sorted(groups, key=GROUP_ORDER.index)
