"""Issue 19, phantom truth: clothing and stickers rigid with the 3D pelvis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formcam.phantom import PhantomClip, PhantomParams


def _arrays(clip: PhantomClip, tmp_path: Path) -> dict[str, np.ndarray]:
    clip.save_truth(tmp_path / "t.json", tmp_path / "t.npz")
    with np.load(tmp_path / "t.npz") as d:
        return {k: d[k] for k in d.files}


@pytest.mark.parametrize("drop", [5.0, 9.0])
def test_psis_line_tilts_with_the_true_obliquity(tmp_path: Path, drop: float) -> None:
    clip = PhantomClip(PhantomParams(pelvic_drop_deg=drop), view="rear", fps=60, duration_s=1.0,
                       width=540, height=960, clothing="textured", stickers=("psis",))
    a = _arrays(clip, tmp_path)
    v = a["psis_xy"][:, 1] - a["psis_xy"][:, 0]  # left PSIS is image-left from behind
    angle = np.degrees(np.arctan2(-v[:, 1], v[:, 0]))  # + right sticker higher on screen
    np.testing.assert_allclose(angle, -a["pelvic_obliquity_deg"], atol=0.3)
    assert np.ptp(a["pelvic_obliquity_deg"]) == pytest.approx(2 * drop, abs=0.5)
    img = clip.frame(0)
    for x, y in a["psis_xy"][0]:
        assert img[round(y), round(x)].min() > 200  # a white sticker is drawn there


def test_stickers_and_clothing_change_only_the_pelvis_region() -> None:
    kw = {"view": "rear", "fps": 60, "duration_s": 0.2, "width": 270, "height": 480}
    plain = PhantomClip(PhantomParams(), **kw).frame(3)
    again = PhantomClip(PhantomParams(), **kw, clothing="plain", stickers=()).frame(3)
    np.testing.assert_array_equal(plain, again)  # defaults draw exactly what they drew before
    marked = PhantomClip(PhantomParams(), **kw, stickers=("psis",)).frame(3)
    rows = np.flatnonzero((marked != plain).any(axis=(1, 2)))
    assert rows.size and rows.max() - rows.min() < 15  # only the two small dots changed


def test_side_stickers_show_the_true_sagittal_tilt(tmp_path: Path) -> None:
    clip = PhantomClip(PhantomParams(pelvic_tilt_deg=20.0, pelvic_tilt_range_deg=6.0),
                       view="side_right", fps=60, duration_s=1.0, width=960, height=540,
                       stickers=("asis_psis",))
    a = _arrays(clip, tmp_path)
    assert np.ptp(a["pelvic_tilt_deg"]) == pytest.approx(6.0, abs=0.1)
    for side in (0, 1):
        asis, psis = a["asis_psis_xy"][:, side, 0], a["asis_psis_xy"][:, side, 1]
        # the runner faces image-right: + when the ASIS is lower
        tilt = np.degrees(np.arctan2(asis[:, 1] - psis[:, 1], asis[:, 0] - psis[:, 0]))
        # perspective: the ASIS sits 5 cm further out than the PSIS, so the 2D line differs from
        # the 3D tilt by up to 1.8 deg on this camera (one side steeper, the other flatter)
        np.testing.assert_allclose(tilt, a["pelvic_tilt_deg"], atol=2.0)
        assert np.ptp(tilt) == pytest.approx(6.0, abs=2.0)  # 2D: 5.4-7.8 deg for 6 (near, far side)


def test_unknown_clothing_or_sticker_is_refused() -> None:
    with pytest.raises(ValueError, match="clothing"):
        PhantomClip(PhantomParams(), view="rear", fps=60, duration_s=0.1, width=64, height=64, clothing="x")
    with pytest.raises(ValueError, match="stickers"):
        PhantomClip(PhantomParams(), view="rear", fps=60, duration_s=0.1, width=64, height=64,
                    stickers=("knee",))
