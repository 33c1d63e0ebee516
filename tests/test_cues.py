"""Cue rules: loading and overriding the TOML, severity levels, the SDD rule, evidence frames."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from formcam.errors import ConfigError
from formcam.phantom import PhantomClip, PhantomParams
from formcam.pipeline import analyze_keypoints
from formcam.report.cues import RED_FLAGS, Rule, RuleSet, disclaimer, evaluate, load_rules


def _metric(value: float | None, left: float | None = None, right: float | None = None, *, n: int = 12,
            unit: str = "deg", available: bool = True) -> dict[str, Any]:
    return {"value": value, "unit": unit, "left": value if left is None else left,
            "right": value if right is None else right, "n_steps": n if available else 0,
            "available": available, "reason": None if available else "needs a rear or front view"}


def _steps(metric: str, values: list[float], *, start: int = 10, every: int = 20) -> list[dict[str, Any]]:
    return [{"side": "left" if k % 2 == 0 else "right", "contact_frame": start + every * k,
             "toe_off_frame": start + every * k + 15, metric: v} for k, v in enumerate(values)]


def _one(cues: list[dict[str, Any]], rule_id: str) -> dict[str, Any] | None:
    hits = [c for c in cues if c["id"] == rule_id]
    assert len(hits) <= 1
    return hits[0] if hits else None


def _pelvic(value: float, n: int = 12) -> list[dict[str, Any]]:
    steps = _steps("pelvic_drop_deg", [value] * n)
    return evaluate({"pelvic_drop_deg": _metric(value, n=n)}, steps, "rear")


# ---- loading ---------------------------------------------------------------------------------------

def test_shipped_rules_are_complete_and_grounded() -> None:
    rules = load_rules()
    ids = {r.id for r in rules.rules}
    assert {"overstride", "trunk-lean", "knee-extended-at-contact", "low-hip-extension", "low-cadence",
            "pelvic-drop", "lateral-trunk-lean", "pelvic-sway"} <= ids
    for r in rules.rules:
        assert r.cue.endswith(".") and len(r.cue) < 100, r.id  # one short sentence
        assert r.advice and r.basis and r.sdd >= 0 and r.views
    by_id = {r.id: r for r in rules.rules}
    assert by_id["pelvic-drop"].sdd == 2.8 and "Bramah 2018" in by_id["pelvic-drop"].basis
    assert "glute medius" in by_id["pelvic-drop"].advice
    assert "5–10 %" in by_id["overstride"].advice and "Heiderscheit 2011" in by_id["overstride"].basis
    assert "hip-flexor" in by_id["low-hip-extension"].advice
    assert "side planks" in by_id["lateral-trunk-lean"].advice
    assert rules.typical["trunk_lean_deg"][:2] == (3.0, 11.0)
    assert rules.general_advice and rules.sources == ("formcam/report/rules.toml",)


def test_override_merges_by_id_adds_and_disables(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("""
[rules.pelvic-drop]
watch = 6.0
concern = 9.0

[rules.lateral-trunk-lean]
enabled = false

[rules.sway-tight]
label = "Hip sway"
metric = "pelvic_sway_cm"
views = ["rear"]
direction = "high"
watch = 3.0
concern = 4.0
sdd = 0.5
cue = "Keep the hips travelling straight."
advice = "Side planks."
basis = "My clinic's heuristic."
heuristic = true

[typical]
pelvic_drop_deg = { range = [3, 7] }
""")
    rules = load_rules(path)
    by_id = {r.id: r for r in rules.rules}
    drop = by_id["pelvic-drop"]
    assert drop.watch == (None, 6.0) and drop.concern == (None, 9.0)
    assert drop.sdd == 2.8 and drop.cue == load_rules().rules[[r.id for r in load_rules().rules].index(
        "pelvic-drop")].cue  # untouched keys are kept
    assert "lateral-trunk-lean" not in by_id and by_id["sway-tight"].watch == (None, 3.0)
    assert rules.typical["pelvic_drop_deg"][:2] == (3.0, 7.0)
    assert rules.sources[-1] == str(path)


@pytest.mark.parametrize(("text", "expect"), [
    ("[rules.pelvic-drop]\nwatchh = 6.0\n", "rule 'pelvic-drop': expected keys among"),
    ("[rules.pelvic-drop]\nwatch = \"six\"\n", "rule 'pelvic-drop': expected watch to be a number or a list"),
    ("[rules.pelvic-drop]\nviews = \"rear\"\n", "rule 'pelvic-drop': expected views to be a list of strings"),
    ("[rules.pelvic-drop]\nsdd = true\n", "rule 'pelvic-drop': expected sdd to be a number, got bool"),
    ("[rules.pelvic-drop]\nconcern = 3.0\n", "rule 'pelvic-drop': expected concern beyond watch"),
    ("[rules.pelvic-drop]\nmetric = \"pelvic_tilt_deg\"\n", "rule 'pelvic-drop': expected metric one of"),
    ("[rules.trunk-lean]\nwatch = 12.0\n", "rule 'trunk-lean': expected watch as [low, high]"),
    ("[rules.pelvic-drop]\ndirection = \"up\"\n", "rule 'pelvic-drop': expected direction one of"),
    ("[rules.new-one]\nmetric = \"cadence_spm\"\n", "rule 'new-one': expected keys"),
    ("[rules]\npelvic-drop = 5\n", "rule 'pelvic-drop': expected a table, got int"),
    ("[rulez.pelvic-drop]\nwatch = 5\n", "expected top-level keys"),
    ("[rules.pelvic-drop\nwatch = 5\n", "expected a TOML rules file"),
    ("[rules.overstride]\nshow_with = \"overstride_mm\"\n", "rule 'overstride': expected show_with one of"),
    ("[rules.low-cadence]\nplausible = [230, 130]\n", "rule 'low-cadence': expected plausible as"),
    ("[general]\nadvise = [\"x\"]\n", "general: expected advice to be a list of strings"),
    ("[typical]\npelvic_drop_deg = [4, 6]\n", "typical 'pelvic_drop_deg': expected a report metric with"),
])
def test_bad_rules_file_gives_one_line_config_error(tmp_path: Path, text: str, expect: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: ") and expect in msg and "\n" not in msg
    assert "got" in msg


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the rules file"):
        load_rules(tmp_path / "nope.toml")


# ---- severity and the SDD rule ----------------------------------------------------------------------

@pytest.mark.parametrize(("value", "severity"), [
    (4.0, None), (5.0, None),  # at or under watch 5°: no cue
    (6.5, "info"), (7.7, "info"),  # past watch by less than SDD 2.8°
    (7.8, "watch"), (9.7, "watch"),  # past watch by >= SDD, concern (7°) by less than SDD
    (9.8, "concern"), (12.0, "concern"),
])
def test_pelvic_drop_severity_levels(value: float, severity: str | None) -> None:
    cue = _one(_pelvic(value), "pelvic-drop")
    assert (cue["severity"] if cue else None) == severity
    if cue:
        assert set(cue) == {"id", "severity", "metric", "value", "threshold", "message", "advice", "frames",
                            "basis"}
        assert cue["metric"] == "pelvic_drop_deg" and cue["value"] == pytest.approx(value)
        assert cue["message"].startswith("Keep your hips level")
        assert "heuristic" in cue["basis"]


def test_exceedance_within_sdd_is_not_called_a_problem() -> None:
    cue = _one(_pelvic(6.5), "pelvic-drop")
    assert cue is not None and cue["severity"] == "info" and cue["threshold"] == 5.0
    assert "smallest detectable difference (2.8°)" in cue["message"]
    assert "not a clear finding" in cue["message"]
    watch = _one(_pelvic(8.0), "pelvic-drop")
    assert watch is not None and "above the watch level of 5.0°" in watch["message"]


def test_low_both_and_abs_directions() -> None:
    knee = evaluate({"knee_flexion_ic_deg": _metric(4.0)}, _steps("knee_flexion_ic_deg", [4.0] * 12), "side")
    assert _one(knee, "knee-extended-at-contact")["severity"] == "watch"  # type: ignore[index]
    low = evaluate({"trunk_lean_deg": _metric(-0.5)}, [], "side")
    high = evaluate({"trunk_lean_deg": _metric(18.0)}, [], "side")
    ok = evaluate({"trunk_lean_deg": _metric(7.0)}, [], "side")
    assert _one(low, "trunk-lean")["severity"] == "concern"  # type: ignore[index]
    assert _one(high, "trunk-lean")["severity"] == "concern"  # type: ignore[index]
    assert _one(ok, "trunk-lean") is None
    lean = evaluate({"lateral_trunk_lean_deg": _metric(-6.5)}, [], "rear")
    cue = _one(lean, "lateral-trunk-lean")
    assert cue is not None and cue["severity"] == "watch" and "±4.0°" in cue["message"]


def test_unavailable_metrics_other_views_and_implausible_values_give_no_cue() -> None:
    assert evaluate({"pelvic_drop_deg": _metric(None, available=False)}, [], "side") == []
    assert evaluate({"pelvic_drop_deg": _metric(12.0)}, [], "side") == []  # rule is rear/front only
    assert evaluate({"cadence_spm": _metric(100.0, unit="steps/min")}, [], "side") == []  # slow motion?
    assert evaluate({"pelvic_drop_deg": _metric(12.0)}, [], None) == []


def test_too_few_steps_caps_at_info() -> None:
    cue = _one(_pelvic(12.0, n=4), "pelvic-drop")
    assert cue is not None and cue["severity"] == "info" and "only 4 steps" in cue["message"]


def test_one_sided_fault_is_reported_for_that_side() -> None:
    steps = _steps("pelvic_drop_deg", [11.0, 3.0] * 8)  # left steps 11°, right 3°
    metrics = {"pelvic_drop_deg": _metric(7.0, left=11.0, right=3.0, n=16)}
    cue = _one(evaluate(metrics, steps, "rear"), "pelvic-drop")
    assert cue is not None and cue["severity"] == "concern" and cue["value"] == 11.0
    assert "(left side)" in cue["message"]
    assert all(s["side"] == "left" for s in steps if s["contact_frame"] in cue["frames"])


def test_cadence_is_judged_on_both_feet_only() -> None:
    steps = _steps("cadence_spm", [140.0, 200.0] * 8)
    metrics = {"cadence_spm": _metric(168.0, left=140.0, right=200.0, n=16, unit="steps/min")}
    assert evaluate(metrics, steps, "side") == []  # rule sets sides = false
    metrics = {"cadence_spm": _metric(152.0, n=16, unit="steps/min")}
    cue = _one(evaluate(metrics, _steps("cadence_spm", [152.0] * 16), "side"), "low-cadence")
    assert cue is not None and cue["severity"] == "watch" and "(16 steps)" in cue["message"]


def test_evidence_frames_are_the_contacts_of_the_worst_steps() -> None:
    values = [6.0, 9.0, 12.5, 7.0, 11.0, 8.0, 10.5, 9.5]
    steps = _steps("pelvic_drop_deg", values, start=5, every=30)
    cue = _one(evaluate({"pelvic_drop_deg": _metric(9.25, left=9.0, right=9.5, n=8)}, steps, "rear",
                        min_steps=3), "pelvic-drop")
    assert cue is not None
    assert cue["frames"] == [5 + 30 * 2, 5 + 30 * 4, 5 + 30 * 6]  # 12.5°, 11°, 10.5°: worst first
    knee_steps = _steps("knee_flexion_ic_deg", [12.0, 3.0, 8.0, 2.0, 5.0, 1.0, 9.0, 4.0])
    knee = _one(evaluate({"knee_flexion_ic_deg": _metric(4.5, n=8)}, knee_steps, "side", min_steps=3),
                "knee-extended-at-contact")
    assert knee is not None and knee["frames"] == [10 + 20 * 5, 10 + 20 * 3, 10 + 20 * 1]  # lowest first


def test_contact_time_asymmetry_is_off_by_default_and_can_be_switched_on(tmp_path: Path) -> None:
    steps = _steps("contact_time_ms", [200.0, 240.0] * 8)
    metrics = {"contact_time_ms": _metric(220.0, left=200.0, right=240.0, n=16, unit="ms")}
    assert evaluate(metrics, steps, "side", fps=120) == []  # near/far leg bias in a side view
    on = tmp_path / "on.toml"
    on.write_text("[rules.contact-time-asymmetry]\nenabled = true\n")
    rules = load_rules(on)
    cue = _one(evaluate(metrics, steps, "side", rules, fps=120), "contact-time-asymmetry")
    assert cue is not None and cue["value"] == pytest.approx(18.18, abs=0.01) and cue["severity"] == "concern"
    assert all(s["side"] == "right" for s in steps if s["contact_frame"] in cue["frames"])
    assert _one(evaluate(metrics, steps, "side", rules, fps=30), "contact-time-asymmetry") is None  # < 60 fps


def test_custom_rule_set_object() -> None:
    rule = Rule(id="x", label="Cadence", metric="cadence_spm", views=("side",), direction="low",
                watch=(170.0, None), concern=(160.0, None), sdd=0.0, cue="Quicker steps.", advice="a",
                basis="b", heuristic=False)
    rules = RuleSet(rules=(rule,), typical={}, general_advice=(), sources=("test",))
    cues = evaluate({"cadence_spm": _metric(165.0, unit="steps/min")}, [], "side", rules)
    assert [(c["id"], c["severity"], c["threshold"]) for c in cues] == [("x", "watch", 170.0)]
    assert "heuristic" not in cues[0]["basis"]


def test_disclaimer_names_red_flags() -> None:
    text = disclaimer()
    assert "not a diagnosis" in text
    for word in ("persists", "radiates down", "numbness", "tingling", "weakness", "fever", "bladder",
                 "bowel"):
        assert word in text, word
    assert len(RED_FLAGS) >= 6


# ---- phantoms: known faults through the analysis --------------------------------------------------

def _phantom_cues(tmp_path: Path, view: str, **changes: float) -> list[dict[str, Any]]:
    """Cues of a 6 s, 60 fps phantom analysed from its TRUE keypoints (tests the cue logic on
    realistic steps; the pose model's accuracy is tested elsewhere)."""
    side = view.startswith("side")
    clip = PhantomClip(dataclasses.replace(PhantomParams(), **changes), view=view, fps=60, duration_s=6,
                       width=640 if side else 360, height=360 if side else 640)
    clip.save_truth(tmp_path / "t.json", tmp_path / "t.npz")
    report = analyze_keypoints(tmp_path / "t.npz", tmp_path / "out").report
    return evaluate(report["metrics"], report["steps"], report["view"], fps=60)


@pytest.mark.parametrize(("view", "changes", "rule_id", "severity"), [
    ("side_right", {"trunk_lean_deg": 22.0}, "trunk-lean", "concern"),
    ("side_left", {"trunk_lean_deg": 15.5}, "trunk-lean", "watch"),
    ("side_right", {"trunk_lean_deg": -2.0}, "trunk-lean", "concern"),
    ("rear", {"pelvic_drop_deg": 15.0}, "pelvic-drop", "concern"),
])
def test_phantom_with_a_known_fault_gets_its_cue(tmp_path: Path, view: str, changes: dict[str, float],
                                                 rule_id: str, severity: str) -> None:
    cues = _phantom_cues(tmp_path, view, **changes)
    cue = _one(cues, rule_id)
    assert cue is not None and cue["severity"] == severity
    assert len(cue["frames"]) == 3


@pytest.mark.parametrize(("view", "changes"), [
    ("side_right", {"overstride_cm": 6.0, "contact_time_ms": 220.0}),
    ("rear", {}),
])
def test_phantom_without_faults_gets_no_watch_or_concern(tmp_path: Path, view: str,
                                                         changes: dict[str, float]) -> None:
    cues = _phantom_cues(tmp_path, view, **changes)
    assert [c["id"] for c in cues if c["severity"] != "info"] == []
