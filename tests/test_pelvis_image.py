"""Issue 19, analysis stage: pelvic drop and sway from PSIS markers or the markerless rotation,
checked on the phantom's exact pelvis (no rendering: the image evidence is made from the truth)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from formcam.analysis import analyze_series, with_pelvis_image
from formcam.analysis.pelvis_image import choose_source, flow_obliquity_deg
from formcam.analysis.summary import PELVIC_DROP_CAVEAT
from formcam.phantom import PhantomClip, PhantomParams
from formcam.series import PelvisImage, load_keypoints


def _truth(tmp_path: Path, drop: float, fps: float = 60.0) -> tuple[object, dict[str, np.ndarray]]:
    clip = PhantomClip(PhantomParams(pelvic_drop_deg=drop), view="rear", fps=fps, duration_s=6.0,
                       width=540, height=960)
    npz = tmp_path / "t.npz"
    clip.save_truth(tmp_path / "t.json", npz)
    with np.load(npz) as d:
        arrays = {k: d[k] for k in ("psis_xy", "pelvic_obliquity_deg")}
    return load_keypoints(npz), arrays


def _image(arrays: dict[str, np.ndarray], *, markers: str, with_dots: bool) -> PelvisImage:
    obliq = arrays["pelvic_obliquity_deg"]
    rot = np.concatenate([[np.nan], np.diff(-obliq)])  # rear view: left hip up = clockwise on screen
    dots = arrays["psis_xy"] if with_dots else np.full_like(arrays["psis_xy"], np.nan)
    return PelvisImage(dots_px=dots.copy(), flow_rot_deg=rot + 10.0 / len(rot),  # plus a slow drift
                       flow_points=np.full(len(rot), 30), markers=markers)


@pytest.mark.parametrize("drop", [5.0, 9.0])
def test_markers_give_the_true_drop_and_sway(tmp_path: Path, drop: float) -> None:
    series, arrays = _truth(tmp_path, drop)
    base = analyze_series(series, height_cm=175)
    result = with_pelvis_image(base, _image(arrays, markers="pelvis", with_dots=True))
    m = result.metrics
    assert m["pelvic_drop_deg"]["source"] == "markers"
    assert m["pelvic_drop_deg"]["value"] == pytest.approx(drop, abs=0.3)
    assert m["pelvic_sway_cm"]["source"] == "markers"
    assert m["pelvic_sway_cm"]["value"] == pytest.approx(3.0, abs=0.5)
    assert PELVIC_DROP_CAVEAT not in result.warnings
    step = result.steps[2]
    assert {"pelvic_drop_keypoints_deg", "pelvic_drop_markerless_deg"} <= step.keys()


def test_markerless_when_no_markers(tmp_path: Path) -> None:
    series, arrays = _truth(tmp_path, 9.0)
    base = analyze_series(series, height_cm=175)
    result = with_pelvis_image(base, _image(arrays, markers="pelvis", with_dots=False))
    m = result.metrics
    assert m["pelvic_drop_deg"]["source"] == "image"
    assert m["pelvic_drop_deg"]["value"] == pytest.approx(9.0, abs=0.5)
    assert m["pelvic_sway_cm"]["source"] == "keypoints"
    assert any("markers were asked for but not found" in w for w in result.warnings)


def test_no_image_keeps_the_keypoint_value_and_caveat(tmp_path: Path) -> None:
    series, _ = _truth(tmp_path, 5.0)
    base = analyze_series(series, height_cm=175)
    result = with_pelvis_image(base, None)
    assert result.metrics["pelvic_drop_deg"]["source"] == "keypoints"
    assert result.metrics["pelvic_drop_deg"]["value"] == base.metrics["pelvic_drop_deg"]["value"]
    assert PELVIC_DROP_CAVEAT in result.warnings


def test_flow_obliquity_removes_drift_and_offset() -> None:
    fps, stride = 60.0, 0.7
    t = np.arange(600) / fps
    true = 6.0 * np.sin(2 * np.pi * t / stride)
    rot = np.concatenate([[np.nan], np.diff(true)]) + 0.01  # 0.6 deg/s drift
    img = PelvisImage(np.full((600, 2, 2), np.nan), rot, np.full(600, 30))
    got = flow_obliquity_deg(img, fps=fps, stride_s=stride)
    inner = slice(60, 540)
    np.testing.assert_allclose(got[inner], true[inner], atol=0.15)


def test_flow_obliquity_breaks_at_long_gaps() -> None:
    rot = np.full(400, 0.1)
    rot[200:230] = np.nan  # 0.5 s without tracking: the stretches are not joined
    img = PelvisImage(np.full((400, 2, 2), np.nan), rot, np.full(400, 30))
    got = flow_obliquity_deg(img, fps=60.0, stride_s=0.7)
    assert np.isnan(got[200:230]).all() and np.isfinite(got[:200]).all()


def test_choose_source() -> None:
    n = 100
    present = np.ones(n, bool)
    dots = np.zeros((n, 2, 2))
    rot = np.zeros(n)
    img = PelvisImage(dots, rot, np.full(n, 30), markers="auto")
    assert choose_source(img, present) == "markers"
    assert choose_source(dataclasses.replace(img, markers="off"), present) == "image"
    few = dots.copy()
    few[: int(0.6 * n)] = np.nan
    assert choose_source(dataclasses.replace(img, dots_px=few), present) == "image"
    none = dataclasses.replace(img, dots_px=few, flow_rot_deg=np.full(n, np.nan))
    assert choose_source(none, present) == "keypoints"
    assert choose_source(None, present) == "keypoints"


def test_markerless_needs_enough_texture() -> None:
    """A plain shirt gives a rotation from a few outline points only: not used."""
    n = 100
    present = np.ones(n, bool)
    img = PelvisImage(np.full((n, 2, 2), np.nan), np.zeros(n), np.full(n, 30), markers="auto")
    assert choose_source(img, present) == "image"
    assert choose_source(dataclasses.replace(img, flow_points=np.full(n, 15)), present) == "keypoints"
    patchy = np.zeros(n)
    patchy[::5] = np.nan  # measured in 80 % of frames
    assert choose_source(dataclasses.replace(img, flow_rot_deg=patchy), present) == "keypoints"


def test_one_sticker_only_warns_and_falls_back(tmp_path: Path) -> None:
    series, arrays = _truth(tmp_path, 9.0)
    img = _image(arrays, markers="auto", with_dots=True)
    img.dots_px[:, 1] = np.nan  # the image-right sticker never found
    result = with_pelvis_image(analyze_series(series, height_cm=175), img)
    assert result.metrics["pelvic_drop_deg"]["source"] == "image"
    assert any("only one of the two PSIS stickers" in w for w in result.warnings)


def test_per_step_plot_by_source() -> None:
    from formcam.report.pelvis_plot import pelvic_drop_steps_png

    steps = [{"side": "left" if k % 2 else "right", "contact_s": 0.35 * k, "pelvic_drop_deg": 8.0 + 0.1 * k,
              "pelvic_drop_keypoints_deg": 0.5, "pelvic_drop_markerless_deg": 7.5} for k in range(10)]
    report = {"steps": steps, "metrics": {"pelvic_drop_deg": {"source": "markers"}}}
    png = pelvic_drop_steps_png(report)
    assert png is not None and png.startswith(b"\x89PNG")
    plain = [{k: v for k, v in s.items() if not k.startswith("pelvic_drop_k")} for s in steps]
    assert pelvic_drop_steps_png({"steps": plain, "metrics": {}}) is None  # side view or old report


@pytest.mark.slow
def test_pipeline_with_stickers_through_the_pose_model(tmp_path: Path) -> None:
    """A short rear phantom with PSIS stickers through MediaPipe: drop from the markers."""
    from formcam.options import AnalyzeOptions
    from formcam.phantom import render_phantom
    from formcam.pipeline import analyze_keypoints, analyze_video

    video = tmp_path / "p.mp4"
    render_phantom(video, PhantomParams(pelvic_drop_deg=9.0), view="rear", fps=60, duration_s=5.0, width=540,
                   height=960, noise_sigma=1.0, seed=1, clothing="textured", stickers=("psis",))
    opts = AnalyzeOptions(height_cm=175, outputs=False)
    report = analyze_video(video, tmp_path / "out", opts).report
    drop = report["metrics"]["pelvic_drop_deg"]
    assert drop["source"] == "markers" and drop["value"] == pytest.approx(9.0, abs=1.0)
    replay = analyze_keypoints(tmp_path / "out" / "keypoints.npz", tmp_path / "again", opts).report
    assert replay["metrics"]["pelvic_drop_deg"] == drop  # the pass is stored with the keypoints
