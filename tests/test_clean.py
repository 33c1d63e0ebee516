"""Cleaning: masking, gap filling, low-pass, leg-swap repair (synthetic runner)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formcam.analysis.clean import (
    DEFAULT_CUTOFF_HZ,
    clean_series,
    default_cutoff_hz,
    fill_gaps,
    lowpass,
    mask_low_scores,
)
from tests.synthetic import LEG_PARTS, add_noise, make_runner, swap_legs


def _leg_idx(series, side):  # type: ignore[no-untyped-def]
    return [series.index(f"{side}_{p}") for p in LEG_PARTS]


def test_mask_low_scores_counts_and_masks() -> None:
    xy = np.zeros((4, 2, 2))
    score = np.array([[0.9, 0.1], [0.9, 0.9], [0.2, 0.9], [0.9, 0.9]])
    out, n = mask_low_scores(xy, score, min_score=0.3)
    assert n == 2
    assert np.isnan(out[0, 1]).all() and np.isnan(out[2, 0]).all()
    assert np.isfinite(out[1]).all()


def test_fill_gaps_short_filled_long_kept() -> None:
    t = np.arange(100) / 100.0
    xy = np.stack([np.sin(2 * np.pi * t) * 100, np.cos(2 * np.pi * t) * 100], axis=-1)[:, None, :]
    truth = xy.copy()
    xy = xy.copy()
    xy[20:24] = np.nan      # 4 frames: filled
    xy[60:75] = np.nan      # 15 frames: too long
    out, n = fill_gaps(xy, t, max_gap_frames=5)
    assert n == 4
    assert np.allclose(out[20:24], truth[20:24], atol=0.5)
    assert np.isnan(out[60:75]).all()


def test_fill_gaps_rejects_unknown_method() -> None:
    with pytest.raises(ValueError, match="expected method"):
        fill_gaps(np.zeros((3, 1, 2)), np.arange(3.0), max_gap_frames=1, method="cubic")


def test_lowpass_reduces_noise_and_keeps_short_runs() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(600) / 120.0
    clean = np.sin(2 * np.pi * 1.5 * t) * 50
    xy = np.zeros((600, 1, 2))
    xy[:, 0, 0] = clean + rng.normal(0, 2, 600)
    xy[:, 0, 1] = clean
    xy[300, 0] = np.nan                     # splits into two runs
    xy[302:305, 0, 1] = np.nan              # leaves a 1-sample island at 301... and a run of 3
    out = lowpass(xy, fps=120, cutoff_hz=8)
    ok = np.isfinite(out[:, 0, 0])
    assert np.std(out[ok, 0, 0] - clean[ok]) < 0.6 * np.std(xy[ok, 0, 0] - clean[ok])
    assert np.isnan(out[300, 0]).all()
    assert out[301, 0, 1] == xy[301, 0, 1]   # run too short for filtfilt: untouched


def test_lowpass_validates_cutoff() -> None:
    with pytest.raises(ValueError, match="expected 0 < cutoff_hz"):
        lowpass(np.zeros((50, 1, 2)), fps=30, cutoff_hz=20)


def test_default_cutoff_capped_at_low_fps() -> None:
    assert default_cutoff_hz(120) == DEFAULT_CUTOFF_HZ
    assert default_cutoff_hz(15) == pytest.approx(6.0)


def test_clean_synthetic_is_nearly_unchanged_and_no_false_swaps() -> None:
    s, _ = make_runner(fps=120, duration_s=3)
    c, rep = clean_series(s)
    assert rep.n_swaps_fixed == 0 and rep.swapped_frames == ()
    assert rep.cutoff_hz == DEFAULT_CUTOFF_HZ
    err = np.abs(c.xy - s.xy)
    assert np.nanmedian(err) < 0.1 and np.nanmax(err) < 6.0   # px; filtering only rounds the impacts


@pytest.mark.parametrize("fps", [30, 120])
def test_injected_leg_swap_is_repaired(fps: int) -> None:
    s, _ = make_runner(fps=fps, duration_s=3, view="side")
    noisy = add_noise(s, 1.0, np.random.default_rng(3))
    start = int(1.3 * fps)
    stop = start + max(3, int(0.06 * fps))
    swapped = swap_legs(noisy, start, stop)
    c, rep = clean_series(swapped, lowpass_on=False)
    assert rep.n_swaps_fixed == 1
    assert set(rep.swapped_frames) == set(range(start, stop))
    left = _leg_idx(s, "left")
    err = np.abs(c.xy[start:stop, left] - s.xy[start:stop, left]).max()
    assert err < 6.0   # back to the true left leg (noise only)


def test_clean_validates_arguments() -> None:
    s, _ = make_runner(fps=60, duration_s=1)
    with pytest.raises(ValueError, match="min_score"):
        clean_series(s, min_score=1.5)
    with pytest.raises(ValueError, match="max_gap_s"):
        clean_series(s, max_gap_s=-1)


def test_dropouts_are_filled_and_counted() -> None:
    s, _ = make_runner(fps=120, duration_s=2)
    xy, score = s.xy.copy(), s.score.copy()
    k = s.index("left_knee")
    score[50:55, k] = 0.05
    xy[100:140, k] = np.nan          # 40 frames = 0.33 s: stays missing
    c, rep = clean_series(replace(s, xy=xy, score=score), max_gap_s=0.1)
    assert rep.n_masked == 5
    assert rep.n_filled == 5
    assert np.isfinite(c.xy[50:55, k]).all()
    assert np.isnan(c.xy[100:140, k]).all()
    assert rep.n_missing == 40
