"""Left/right from two side views (``formcam compare-sides``): each leg from the clip where it is
near the camera, so a near/far bias common to both clips cancels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from formcam.app.two_sides import (
    DIFFERS,
    EVEN,
    NO_SDD,
    SCATTERED,
    TOO_FEW,
    UNCLEAR,
    compare_sides,
    format_rows,
    load,
)
from formcam.cli import main
from formcam.errors import InputError


def _report(direction: str, *, near: dict[str, float], far: dict[str, float], n: int = 8,
            view: str = "side", sha: str | None = None) -> dict[str, Any]:
    """A side-view report whose near leg (the side the runner faces) reads ``near`` per step and
    the far leg ``far`` (a pose model's near/far bias)."""
    other = "left" if direction == "right" else "right"
    steps = []
    for k in range(2 * n):
        leg = direction if k % 2 else other
        vals = near if leg == direction else far
        steps.append({"side": leg, **vals})
    metrics = {k: {"value": 0.5 * (near[k] + far[k])} for k in near}
    return {"view": view, "direction": direction, "steps": steps, "input": {"sha256": sha},
            "metrics": metrics}


NEAR = {"cadence_spm": 175.0, "knee_flexion_ic_deg": 16.0, "hip_extension_deg": 15.0,
        "contact_time_ms": 250.0}
FAR = {"cadence_spm": 165.0, "knee_flexion_ic_deg": 22.0, "hip_extension_deg": 9.0,
       "contact_time_ms": 262.0}


def _rows(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    rows, _ = compare_sides(a, b)
    return {r.name: r for r in rows}


def test_each_leg_comes_from_the_clip_where_it_is_near() -> None:
    from_left = _report("left", near=NEAR, far=FAR)
    from_right = _report("right", near={**NEAR, "knee_flexion_ic_deg": 17.0}, far=FAR)
    for a, b in ((from_left, from_right), (from_right, from_left)):  # either order
        rows = _rows(a, b)
        assert rows["knee_flexion_ic_deg"].left == 16.0 and rows["knee_flexion_ic_deg"].right == 17.0
        assert rows["knee_flexion_ic_deg"].verdict == EVEN  # 1 deg, under the 3.8 deg SDD
        assert rows["cadence_spm"].left == pytest.approx(175.0)
        assert rows["cadence_spm"].right == pytest.approx(175.0)
        assert rows["cadence_spm"].verdict == EVEN
        assert rows["hip_extension_deg"].verdict == NO_SDD  # no published SDD: shown, never judged
        assert rows["overstride_cm"].verdict == TOO_FEW  # not in these reports
        assert rows["knee_flexion_ic_deg"].value == pytest.approx(0.5 * (19.0 + 19.5))  # the clips' values


def test_a_real_difference_is_called_one() -> None:
    from_left = _report("left", near=NEAR, far=FAR)
    from_right = _report("right", near={**NEAR, "cadence_spm": 165.0, "knee_flexion_ic_deg": 22.0}, far=FAR)
    rows = _rows(from_left, from_right)
    assert rows["cadence_spm"].verdict == DIFFERS and rows["cadence_spm"].difference == pytest.approx(-10.0)
    assert rows["knee_flexion_ic_deg"].verdict == DIFFERS and rows["knee_flexion_ic_deg"].difference == 6.0
    table = format_rows(list(compare_sides(from_left, from_right)[0]))
    assert "knee_flexion_ic_deg" in table and DIFFERS in table


def test_too_few_steps_on_a_leg_are_not_judged() -> None:
    rows = _rows(_report("left", near=NEAR, far=FAR, n=2), _report("right", near=NEAR, far=FAR))
    assert rows["knee_flexion_ic_deg"].verdict == TOO_FEW and rows["knee_flexion_ic_deg"].n_left == 2


def test_the_same_side_twice_or_a_rear_view_is_refused() -> None:
    with pytest.raises(InputError, match="both reports show the runner's right side"):
        compare_sides(_report("right", near=NEAR, far=FAR), _report("right", near=NEAR, far=FAR))
    with pytest.raises(InputError, match="expected a side view, got 'rear'"):
        compare_sides(_report("left", near=NEAR, far=FAR), _report("right", near=NEAR, far=FAR, view="rear"))


def test_different_running_or_one_file_twice_is_warned() -> None:
    _, warnings = compare_sides(_report("left", near=NEAR, far=FAR, sha="x"),
                                _report("right", near={**NEAR, "cadence_spm": 190.0}, far=FAR, sha="x"))
    assert any("cadences differ" in w for w in warnings)
    assert any("same video file" in w for w in warnings)


def test_cli_prints_the_table_writes_json_and_refuses_bad_input(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a", tmp_path / "b.json"
    a.mkdir()
    (a / "report.json").write_text(json.dumps(_report("left", near=NEAR, far=FAR)))
    b.write_text(json.dumps(_report("right", near=NEAR, far=FAR)))
    out = tmp_path / "sides.json"
    assert main(["compare-sides", str(a), str(b), "--json", str(out)]) == 0
    assert "knee_flexion_ic_deg" in capsys.readouterr().out
    record = json.loads(out.read_text())
    assert record["metrics"]["knee_flexion_ic_deg"]["left_near_reading"] == 16.0
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    assert main(["compare-sides", str(a), str(bad)]) == 2
    assert "not a formcam report" in capsys.readouterr().err
    with pytest.raises(InputError, match="no such report"):
        load(tmp_path / "missing")


def test_two_side_views_of_the_true_phantom_agree(tmp_path: Path) -> None:
    """End to end on the phantom's true keypoints filmed from each side: the two reports are told
    apart by the side the runner faces, and an even runner's legs agree within the limits."""
    from formcam.options import AnalyzeOptions
    from formcam.phantom import PhantomClip, PhantomParams
    from formcam.pipeline import analyze_keypoints

    params = PhantomParams()
    reports = []
    for view in ("side_left", "side_right"):
        clip = PhantomClip(params, view=view, fps=60.0, duration_s=5.0, width=960, height=540)
        clip.save_truth(tmp_path / f"{view}.json", tmp_path / f"{view}.npz")
        reports.append(analyze_keypoints(tmp_path / f"{view}.npz", tmp_path / view,
                                         AnalyzeOptions(height_cm=params.height_cm, outputs=False)).report)
    assert {r["direction"] for r in reports} == {"left", "right"}
    rows = _rows(*reports)
    assert rows["cadence_spm"].verdict == EVEN and abs(rows["cadence_spm"].difference) < 2.0  # 1.2 %
    assert rows["knee_flexion_ic_deg"].verdict == EVEN
    assert rows["knee_flexion_ic_deg"].value == pytest.approx(params.knee_flexion_ic_deg, abs=3.0)
    assert abs(rows["hip_extension_deg"].difference) < 1.5


@pytest.mark.slow
def test_two_side_views_through_the_pose_model_agree(tmp_path: Path) -> None:
    """The sample runner rendered from each side, through the pose model: one side view reads the
    feet's cadences ~7 % apart (near/far); two side views compared leg by leg never call this even
    runner uneven, and their cadence difference is within 3 % or its own scatter."""
    from formcam.options import AnalyzeOptions
    from formcam.phantom import PhantomParams, render_phantom
    from formcam.pipeline import analyze_video

    params = PhantomParams(cadence_spm=166.0, contact_time_ms=260.0, overstride_cm=14.0,
                           knee_flexion_ic_deg=16.0, hip_extension_deg=12.0, foot_strike_angle_deg=10.0)
    reports = []
    for view in ("side_left", "side_right"):
        video = tmp_path / f"{view}.mp4"
        render_phantom(video, params, view=view, fps=60.0, duration_s=6.0, width=960, height=540,
                       noise_sigma=1.5, seed=7)
        reports.append(analyze_video(video, tmp_path / view, AnalyzeOptions(outputs=False)).report)
    rows = _rows(*reports)
    # an even runner is never called uneven; 6 s of steps may be too scattered to tell
    allowed = {EVEN, SCATTERED, UNCLEAR, NO_SDD, TOO_FEW}
    assert {r.verdict for r in rows.values()} <= allowed, format_rows(list(rows.values()))
    cad = rows["cadence_spm"]
    assert cad.se is not None and abs(cad.difference) < max(0.03 * cad.value, 2 * cad.se)
    assert rows["knee_flexion_ic_deg"].verdict in (EVEN, SCATTERED)


def test_scattered_steps_are_neither_a_difference_nor_noise() -> None:
    """Knee readings scattered by +-5 deg step to step: a 4.5 deg difference of the medians (over
    the 3.8 deg SDD) is not called a difference, nor within noise; steady steps are."""
    def clip(direction: str, knees: list[float]) -> dict[str, Any]:
        other = "left" if direction == "right" else "right"
        steps = [{"side": direction, "knee_flexion_ic_deg": k} for k in knees]
        steps += [{"side": other, "knee_flexion_ic_deg": 20.0} for _ in knees]
        return {"view": "side", "direction": direction, "steps": steps, "metrics": {}}

    scattered = _rows(clip("left", [10.0, 20.0, 12.0, 18.0, 15.0, 9.0, 21.0]),
                      clip("right", [15.0, 24.0, 17.0, 23.0, 19.5, 13.0, 26.0]))["knee_flexion_ic_deg"]
    assert scattered.difference == pytest.approx(4.5) and scattered.verdict == SCATTERED
    assert scattered.se is not None and 2 * scattered.se > 3.8
    steady = _rows(clip("left", [15.0, 15.5, 14.5, 15.0, 15.2, 14.8, 15.0]),
                   clip("right", [19.5, 20.0, 19.0, 19.5, 19.7, 19.3, 19.5]))["knee_flexion_ic_deg"]
    assert steady.verdict == DIFFERS  # 4.5 deg, +-0.4
    near_limit = _rows(clip("left", [15.0, 16.0, 14.0, 15.0, 15.5, 14.5, 15.0]),
                       clip("right", [19.0, 20.0, 18.0, 19.0, 19.5, 18.5, 19.0]))["knee_flexion_ic_deg"]
    assert near_limit.difference == pytest.approx(4.0) and near_limit.verdict == UNCLEAR  # 4.0 +- 0.8
