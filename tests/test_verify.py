"""The verify table builder: every row is judged against a tolerance; none passes by construction."""

from __future__ import annotations

from typing import Any

import pytest

from formcam.phantom import PhantomClip
from formcam.verify import (
    DEFAULT_CASES,
    EVENTS,
    NOT_JUDGED,
    QUICK_CASES,
    REAR_METRICS,
    SIDE_METRICS,
    TOLERANCES,
    Case,
    Row,
    compare,
    exit_status,
    format_table,
    summary_line,
)


def _truth(case: Case) -> dict[str, Any]:
    """The case's true record, from a small short clip (the truth does not depend on size or length)."""
    clip = PhantomClip(case.params(), view=case.view, fps=case.fps, duration_s=3.0, width=160, height=120,
                       clothing=case.clothing, stickers=case.stickers)
    return clip.truth()


def _report(truth: dict[str, Any], *, offset: float, event_shift_s: float) -> dict[str, Any]:
    """A made-up report.json: every metric ``offset`` from the truth, every event ``event_shift_s`` late;
    pelvic drop from the source its case expects (PSIS markers with stickers, else markerless)."""
    metrics = {name: {"available": True, "value": value + offset} for name, value in truth["metrics"].items()}
    metrics["pelvic_drop_deg"]["source"] = "markers" if "psis" in truth.get("stickers", []) else "image"
    for name in ("pelvic_tilt_deg", "pelvic_tilt_range_deg"):  # side-view ASIS/PSIS stickers
        metrics[name]["source"] = "markers"
    steps = [{"side": side, "contact_s": ic + event_shift_s, "toe_off_s": to + event_shift_s}
             for side, ev in truth["events"].items() for ic, to in zip(ev["ic_s"], ev["to_s"], strict=False)]
    return {"quality": {"runner_frames_fraction": 1.0 + offset / 100.0}, "metrics": metrics, "steps": steps}


@pytest.mark.parametrize("case", DEFAULT_CASES + QUICK_CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_value_far_outside_every_tolerance_fails_every_row(case: Case, sign: float) -> None:
    truth = _truth(case)
    rows = compare(case, truth, _report(truth, offset=sign * 1e4, event_shift_s=sign * 1e3))
    side = case.view.startswith("side")
    rear_n = len(REAR_METRICS) - (case.fps < 45)  # rear contact time is withheld below 45 fps
    pelvic = 1 if case.stickers or case.clothing != "plain" else 0  # issue 19's own pelvic-drop row
    if "asis_psis" in case.stickers:  # the tilt cases: runner found, mean tilt and its range
        assert [r.quantity for r in rows] == ["runner_frames_%", "pelvic_tilt_deg", "pelvic_tilt_range_deg"]
    else:
        assert len(rows) == 1 + len(EVENTS) + (len(SIDE_METRICS) if side else rear_n) + pelvic
    assert all(r.judged for r in rows)
    assert [r.quantity for r in rows if r.ok] == []
    assert all(r.mark == "✗" for r in rows)
    assert exit_status(rows) == 1
    assert summary_line(rows) == f"0 of {len(rows)} judged rows within tolerance; 0 rows not judged"


@pytest.mark.parametrize("case", DEFAULT_CASES, ids=lambda c: c.name)
def test_the_truth_itself_passes_every_row(case: Case) -> None:
    truth = _truth(case)
    rows = compare(case, truth, _report(truth, offset=0.0, event_shift_s=0.0))
    assert all(r.ok and r.mark == "✓" for r in rows), [r for r in rows if not r.ok]
    assert exit_status(rows) == 0


def test_a_missing_measurement_fails_and_a_row_without_truth_or_tolerance_is_not_judged() -> None:
    rows = [Row("c", "cadence_spm", 170.0, None, 1.0),          # not measured: judged, fails
            Row("c", "new_metric", 5.0, 5.0, None),             # no tolerance on file
            Row("c", "trunk_lean_deg", None, 7.0, 1.5),         # no truth
            Row("c", "trunk_lean_deg", 7.0, 7.4, 1.5)]
    assert [r.mark for r in rows] == ["✗", NOT_JUDGED, NOT_JUDGED, "✓"]
    assert [r.ok for r in rows] == [False, False, False, True]
    assert summary_line(rows) == "1 of 2 judged rows within tolerance; 2 rows not judged"
    assert exit_status(rows) == 1
    assert exit_status(rows[1:]) == 0  # rows not judged do not fail the command
    table = format_table(rows)
    assert not [line for line in table.splitlines() if "| – |" in line and "✓" in line]
    assert table.count(NOT_JUDGED) == 2


def test_every_printed_quantity_has_a_tolerance_with_a_source() -> None:
    printed = {"runner_frames_%", *SIDE_METRICS, *REAR_METRICS, *(f"{e}_frames" for e in EVENTS),
               "pelvic_drop_markers_deg", "pelvic_drop_markerless_deg", "pelvic_tilt_deg",
               "pelvic_tilt_range_deg"}
    assert printed <= TOLERANCES.keys()
    assert all(tol.source and tol.limit(fps=60.0, leg_m=0.86) > 0 for tol in TOLERANCES.values())


@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0, 120.0, 240.0])
def test_event_tolerances_follow_the_case_frame_rate(fps: float) -> None:
    assert TOLERANCES["initial_contact_frames"].limit(fps=fps, leg_m=0.86) == 1.0
    assert TOLERANCES["toe_off_frames"].limit(fps=fps, leg_m=0.86) == 1.0
    assert TOLERANCES["contact_time_ms"].limit(fps=fps, leg_m=0.86) == pytest.approx(5.0 + 1000.0 / fps)
    assert TOLERANCES["overstride_cm"].limit(fps=fps, leg_m=0.9) == pytest.approx(2.7)


def test_strike_cases_are_midfoot_and_forefoot() -> None:
    patterns = {c.name: c.params().strike_pattern for c in DEFAULT_CASES if c.view.startswith("side")}
    assert {"rearfoot", "midfoot", "forefoot"} <= set(patterns.values())


def test_tilt_without_stickers_fails_its_rows() -> None:
    """A tilt case whose report has no sticker value (none found, or another source) fails both rows."""
    case = next(c for c in DEFAULT_CASES if c.name == "tilt-10")
    truth = _truth(case)
    report = _report(truth, offset=0.0, event_shift_s=0.0)
    report["metrics"]["pelvic_tilt_deg"] = {"available": False, "value": None, "source": "markers"}
    report["metrics"]["pelvic_tilt_range_deg"]["source"] = "keypoints"
    rows = {r.quantity: r for r in compare(case, truth, report)}
    assert not rows["pelvic_tilt_deg"].ok and not rows["pelvic_tilt_range_deg"].ok


def test_a_pelvic_value_from_the_wrong_source_fails_its_row() -> None:
    """A marker case whose report fell back to the hip keypoints has no marker value: its row fails."""
    case = next(c for c in DEFAULT_CASES if c.name == "pelvis-9-markers")
    truth = _truth(case)
    report = _report(truth, offset=0.0, event_shift_s=0.0)
    report["metrics"]["pelvic_drop_deg"]["source"] = "keypoints"
    row = [r for r in compare(case, truth, report) if r.quantity == "pelvic_drop_markers_deg"]
    assert len(row) == 1 and row[0].measured is None and not row[0].ok


def test_contacts_placed_around_mid_stance_are_not_judged_as_events() -> None:
    """The rear view's fallback places contact and toe-off around each mid-stance with an assumed
    duty factor, the phantom's own: those are no measured events, so their rows have no value
    (and fail), while the mid-stance row judges what was measured."""
    case = next(c for c in DEFAULT_CASES if c.name == "baseline-rear")
    truth = _truth(case)
    report = _report(truth, offset=0.0, event_shift_s=0.0)
    for step in report["steps"]:
        step["event_method"] = "midstance"
    rows = {r.quantity: r for r in compare(case, truth, report)}
    assert rows["initial_contact_frames"].measured is None and not rows["initial_contact_frames"].ok
    assert rows["toe_off_frames"].measured is None and not rows["toe_off_frames"].ok
    assert rows["mid_stance_frames"].ok and rows["mid_stance_frames"].measured == pytest.approx(0.0, abs=1e-6)
    for step in report["steps"]:  # placed a frame and a half late: the mid-stance row fails
        step["contact_s"] += 1.5 / case.fps
        step["toe_off_s"] += 1.5 / case.fps
    assert not {r.quantity: r for r in compare(case, truth, report)}["mid_stance_frames"].ok
