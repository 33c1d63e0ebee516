"""Keypoints file: round trip, contract validation, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formcam.errors import KeypointsFileError
from formcam.series import (
    BLAZEPOSE_KEYPOINTS,
    PoseSeries,
    load_keypoints,
    load_keypoints_meta,
    save_keypoints,
)


def make_series(t: int = 10, fps: float = 30.0) -> PoseSeries:
    rng = np.random.default_rng(0)
    k = len(BLAZEPOSE_KEYPOINTS)
    xy = rng.uniform(0, 500, (t, k, 2))
    xy[3, 5] = np.nan
    return PoseSeries(xy=xy, score=rng.uniform(0, 1, (t, k)), t_s=np.arange(t) / fps,
                      keypoints=BLAZEPOSE_KEYPOINTS, width=640, height=480, fps=fps)


def test_round_trip_is_exact(tmp_path: Path) -> None:
    s = make_series()
    path = save_keypoints(tmp_path / "k.npz", s, meta={"input": {"path": "x.mp4"}})
    back = load_keypoints(path)
    np.testing.assert_array_equal(back.xy, s.xy)  # NaN positions included
    np.testing.assert_array_equal(back.score, s.score)
    np.testing.assert_array_equal(back.t_s, s.t_s)
    assert back.keypoints == s.keypoints
    assert (back.width, back.height, back.fps) == (640, 480, 30.0)
    assert load_keypoints_meta(path) == {"input": {"path": "x.mp4"}}
    assert not (tmp_path / "k.npz.part").exists()


def test_point_and_present() -> None:
    s = make_series()
    assert s.point("left_hip").shape == (10, 2)
    with pytest.raises(KeyError, match="left_tail"):
        s.index("left_tail")
    s.score[:, :] = 1.0
    s.xy[2, s.index("left_hip")] = np.nan
    present = s.present()
    assert present.sum() == 9 and not present[2]


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.update(xy=d["xy"][:, :5]), "expected xy of shape"),
    (lambda d: d.update(score=d["score"][:-1]), "expected score of shape"),
    (lambda d: d.update(t_s=d["t_s"][::-1].copy()), "strictly increasing"),
    (lambda d: d.update(t_s=np.full(10, np.nan)), "finite timestamps"),
    (lambda d: d.pop("fps"), "missing \\['fps'\\]"),
])
def test_bad_files_raise_specific_errors(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    s = make_series()
    arrays = {"xy": s.xy, "score": s.score, "t_s": s.t_s, "keypoints": np.array(s.keypoints),
              "width": 640, "height": 480, "fps": 30.0}
    mutate(arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(KeypointsFileError, match=message) as info:
        load_keypoints(path)
    assert "bad.npz" in str(info.value)


def test_corrupt_and_missing_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(KeypointsFileError, match="cannot read"):
        load_keypoints(junk)
    with pytest.raises(KeypointsFileError, match="not found"):
        load_keypoints(tmp_path / "nope.npz")
