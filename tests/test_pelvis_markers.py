"""Issue 19, pose stage: PSIS marker detection and tracking, and the markerless rotation, on
synthetic images with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcam.errors import ConfigError
from formcam.pose import parse_markers
from formcam.pose.markers import Dot, PsisTracker, acquire_pair, find_dots
from formcam.pose.pelvis_flow import PelvisFlow, rotation_deg
from formcam.series import PelvisImage

NAVY = (30, 42, 92)


def _canvas(h: int = 120, w: int = 160, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.empty((h, w, 3), np.float64)
    img[:] = NAVY
    img += rng.normal(0, 4, img.shape)
    return img


def _dot(img: np.ndarray, cx: float, cy: float, r: float, colour: tuple[int, int, int]) -> None:
    """Anti-aliased filled disc drawn at sub-pixel centre (16x supersampled mask)."""
    h, w = img.shape[:2]
    mask = np.zeros((h * 16, w * 16), np.uint8)
    cv2.circle(mask, (round(cx * 16 + 7.5), round(cy * 16 + 7.5)), round(r * 16), 255, -1)
    alpha = cv2.resize(mask.astype(np.float32) / 255, (w, h), interpolation=cv2.INTER_AREA)[..., None]
    img[:] = img * (1 - alpha) + np.array(colour, np.float64) * alpha


def _u8(img: np.ndarray, blur: float = 0.0, noise: float = 0.0, seed: int = 1) -> np.ndarray:
    out = cv2.GaussianBlur(img, (0, 0), blur) if blur > 0 else img
    out = out + np.random.default_rng(seed).normal(0, noise, out.shape)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


@pytest.mark.parametrize(("blur", "noise"), [(0.0, 0.0), (1.0, 3.0), (1.6, 6.0)])
def test_dot_centres_are_sub_pixel(blur: float, noise: float) -> None:
    img = _canvas()
    truth = [(50.37, 61.81, (250, 250, 250)), (96.62, 58.24, (250, 40, 200))]
    for cx, cy, col in truth:
        _dot(img, cx, cy, 4.0, col)
    dots = find_dots(_u8(img, blur, noise), min_diameter_px=3, max_diameter_px=16)
    assert len(dots) == 2
    for cx, cy, _ in truth:
        d = min(dots, key=lambda q: math.hypot(q.x - cx, q.y - cy))
        assert math.hypot(d.x - cx, d.y - cy) < 0.25
        assert 6.0 < d.diameter_px < 11.0


def test_size_and_contrast_filters() -> None:
    img = _canvas()
    _dot(img, 40, 60, 4.0, (250, 250, 250))  # a sticker
    _dot(img, 80, 60, 15.0, (250, 250, 250))  # too large (a hand)
    _dot(img, 120, 60, 4.0, (60, 70, 120))  # too faint (printed spot)
    dots = find_dots(_u8(img, 0.8, 2.0), min_diameter_px=3, max_diameter_px=16)
    assert [round(d.x) for d in dots] == [40]


def test_no_markers_gives_no_dots_and_no_pair() -> None:
    dots = find_dots(_u8(_canvas(), 1.0, 4.0), min_diameter_px=3, max_diameter_px=16)
    assert dots == []
    out = PsisTracker().update(dots, hip_mid=np.array([80.0, 90.0]), hip_dist_px=60.0)
    assert np.isnan(out).all()


def _pair(left: tuple[float, float], right: tuple[float, float]) -> list[Dot]:
    return [Dot(left[0], left[1], 8.0, 300.0), Dot(right[0], right[1], 8.0, 300.0)]


def test_acquire_prefers_a_level_pair_between_the_hips() -> None:
    dots = [*_pair((60, 50), (95, 52)), Dot(20, 20, 8, 400), Dot(140, 45, 8, 350)]
    pair = acquire_pair(dots, hip_mid=np.array([78.0, 90.0]), hip_dist_px=65.0)
    assert pair is not None
    np.testing.assert_allclose(pair, [[60, 50], [95, 52]])


def test_tracker_follows_through_occlusion_and_rejects_a_swap() -> None:
    tr = PsisTracker()
    hip = {"hip_mid": np.array([78.0, 90.0]), "hip_dist_px": 65.0}
    first = tr.update(_pair((60, 50), (95, 52)), **hip)
    np.testing.assert_allclose(first, [[60, 50], [95, 52]])
    # the right dot hidden (an arm in front): the left is kept, the right is NaN
    hidden = tr.update([Dot(61, 51, 8, 300)], **hip)
    np.testing.assert_allclose(hidden[0], [61, 51])
    assert np.isnan(hidden[1]).all()
    # both back, shifted: followed
    back = tr.update(_pair((62, 52), (97, 54)), **hip)
    np.testing.assert_allclose(back, [[62, 52], [97, 54]])
    # detector order reversed: identity kept by position, not by list order
    rev = tr.update(list(reversed(_pair((63, 52), (98, 55)))), **hip)
    np.testing.assert_allclose(rev, [[63, 52], [98, 55]])
    # a swapped pair (the image-left dot gated to the right dot's place): not trusted
    swapped = tr.update(_pair((98, 55), (63, 52)), **hip)
    np.testing.assert_allclose(swapped, [[63, 52], [98, 55]])  # same dots, so same answer
    crossed = tr.update(_pair((88, 53), (72, 53)), **hip)  # the two dots cross over: a swap
    assert np.isnan(crossed).all()


def test_tracker_rejects_merged_dots() -> None:
    tr = PsisTracker()
    hip = {"hip_mid": np.array([78.0, 90.0]), "hip_dist_px": 65.0}
    tr.update(_pair((70, 50), (86, 50)), **hip)
    merged = tr.update([Dot(78, 50, 10, 300)], **hip)  # one blob between both gates
    assert np.isnan(merged).all()


def _texture(h: int, w: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 255, (h // 4, w // 4)).astype(np.float32)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), np.float32)


@pytest.mark.parametrize("angle_deg", [-3.0, 0.0, 2.0])
def test_flow_rotation_of_a_rotating_patch(angle_deg: float) -> None:
    base = _texture(240, 240)
    centre = (120.0, 120.0)
    quad = np.array([[70.0, 140.0], [170.0, 140.0], [170.0, 90.0], [70.0, 90.0]])
    flow = PelvisFlow()
    rots = []
    for k in range(4):
        m = cv2.getRotationMatrix2D(centre, angle_deg * k, 1.0)  # + counter-clockwise on screen
        img = np.clip(cv2.warpAffine(base, m, (240, 240), flags=cv2.INTER_CUBIC), 0, 255).astype(np.uint8)
        rots.append(flow.update(img, quad)[0])
    assert math.isnan(rots[0])
    np.testing.assert_allclose(rots[1:], angle_deg, atol=0.1)


def test_rotation_needs_enough_points() -> None:
    pts = np.random.default_rng(0).uniform(0, 50, (4, 2))
    assert math.isnan(rotation_deg(pts, pts)[0])


def test_pelvis_image_meta_round_trip() -> None:
    dots = np.full((3, 2, 2), np.nan)
    dots[1] = [[10.123, 20.5], [40.0, 21.0]]
    img = PelvisImage(dots_px=dots, flow_rot_deg=np.array([np.nan, 0.5, -0.25]),
                      flow_points=np.array([0, 20, 18]), markers="pelvis")
    back = PelvisImage.from_meta(img.to_meta())
    assert back is not None and back.markers == "pelvis"
    np.testing.assert_allclose(back.dots_px, np.round(dots, 2), equal_nan=True)
    np.testing.assert_allclose(back.flow_rot_deg, img.flow_rot_deg, equal_nan=True)
    assert PelvisImage.from_meta(None) is None


def test_parse_markers() -> None:
    assert parse_markers(None) == "auto"
    assert parse_markers("heels, pelvis") == "pelvis,heels"
    assert parse_markers("OFF") == "off"
    with pytest.raises(ConfigError, match="expected one of"):
        parse_markers("hips")


def test_markers_setting_in_formcam_toml(tmp_path: Path) -> None:
    from formcam.batch.discover import read_config
    from formcam.options import AnalyzeOptions

    good = tmp_path / "formcam.toml"
    good.write_text('markers = "pelvis"\n')
    assert read_config(good)["markers"] == "pelvis"
    bad = tmp_path / "bad.toml"
    bad.write_text('markers = "knees"\n')
    with pytest.raises(ConfigError, match="markers"):
        read_config(bad)
    assert AnalyzeOptions(markers="heels,pelvis").markers == "pelvis,heels"
    assert AnalyzeOptions().pose_settings()["markers"] == "auto"


def test_tracker_moves_with_the_hips_and_ignores_faint_spots() -> None:
    tr = PsisTracker()
    tr.update(_pair((60, 50), (95, 52)), hip_mid=np.array([78.0, 90.0]), hip_dist_px=65.0)
    # a 20 px drop in one frame (fast bounce at 30 fps): beyond the 12 px gate, but the hips moved too
    moved = tr.update(_pair((60, 70), (95, 72)), hip_mid=np.array([78.0, 110.0]), hip_dist_px=65.0)
    np.testing.assert_allclose(moved, [[60, 70], [95, 72]])
    # the right sticker hidden; a faint printed spot sits near its place: not taken for it
    faint = tr.update([Dot(60, 70, 8, 300), Dot(94, 73, 6, 100)], hip_mid=np.array([78.0, 110.0]),
                      hip_dist_px=65.0)
    np.testing.assert_allclose(faint[0], [60, 70])
    assert np.isnan(faint[1]).all()
