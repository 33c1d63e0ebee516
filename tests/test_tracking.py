"""Tracking and runner choice on synthetic detections with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.errors import ConfigError, NoRunnerError
from formcam.pose.select import PersonChoice, choose, periodicity, score_tracks
from formcam.pose.tracking import boxes, iou, link
from formcam.series import BLAZEPOSE_KEYPOINTS

K = len(BLAZEPOSE_KEYPOINTS)
IDX = {n: i for i, n in enumerate(BLAZEPOSE_KEYPOINTS)}
TORSO = [IDX[n] for n in ("left_hip", "right_hip", "left_shoulder", "right_shoulder")]
FPS = 30.0


def person(cx: float, height: float, phase: float, *, running: bool) -> np.ndarray:
    """A crude upright body of ``height`` px centred at x=cx; legs swing if running."""
    kp = np.zeros((K, 2))
    top = 100.0
    kp[:, 0] = cx
    kp[:, 1] = top + 0.1 * height
    kp[IDX["left_shoulder"]] = (cx - 5, top + 0.2 * height)
    kp[IDX["right_shoulder"]] = (cx + 5, top + 0.2 * height)
    kp[IDX["left_hip"]] = (cx - 4, top + 0.5 * height)
    kp[IDX["right_hip"]] = (cx + 4, top + 0.5 * height)
    swing = 0.2 * height * np.sin(phase) if running else 0.0
    for side, sign in (("left", 1), ("right", -1)):
        kp[IDX[f"{side}_knee"]] = (cx + sign * swing / 2, top + 0.75 * height)
        for name in ("ankle", "heel", "foot_index"):
            kp[IDX[f"{side}_{name}"]] = (cx + sign * swing, top + height)
    return kp


def scene(t_len: int = 120, *, shuffle: bool = True, coach_gap: tuple[int, int] | None = None):  # type: ignore[no-untyped-def]
    """A runner (periodic, 2.8 Hz steps) and a standing coach; detection order shuffled."""
    rng = np.random.default_rng(1)
    kps, scs = [], []
    for t in range(t_len):
        people = [person(300, 400, 2 * np.pi * 1.4 * t / FPS, running=True)]
        if coach_gap is None or not coach_gap[0] <= t < coach_gap[1]:
            people.append(person(600, 450, 0.0, running=False) + rng.normal(0, 1, (K, 2)))
        if shuffle and rng.random() < 0.5:
            people = people[::-1]
        kps.append(np.array(people))
        scs.append(np.full((len(people), K), 0.9))
    return kps, scs


def test_iou_and_boxes() -> None:
    a = np.array([[0.0, 0.0, 10.0, 10.0]])
    b = np.array([[5.0, 0.0, 15.0, 10.0], [20.0, 20.0, 30.0, 30.0]])
    np.testing.assert_allclose(iou(a, b), [[50 / 150, 0.0]])
    xy = np.array([[[1.0, 2.0], [np.nan, np.nan], [5.0, -1.0]]])
    np.testing.assert_allclose(boxes(xy), [[1.0, -1.0, 5.0, 2.0]])


def test_link_keeps_identities_when_order_shuffles() -> None:
    kps, scs = scene()
    tracks = link(kps, scs, torso_idx=TORSO)
    assert tracks.n_tracks == 2
    assert tracks.present().all()
    xs = np.nanmedian(tracks.xy[:, :, IDX["left_hip"], 0], axis=1)
    for n in range(2):  # each track stays on one person: its hip x never jumps between 296 and 596
        hip_x = tracks.xy[n, :, IDX["left_hip"], 0]
        assert np.ptp(hip_x) < 20, f"track {n} switched people"
    assert sorted(np.round(xs, -1)) == [300.0, 600.0]


def test_stitch_joins_a_fragment_after_a_gap() -> None:
    kps, scs = scene(coach_gap=(40, 50))
    tracks = link(kps, scs, torso_idx=TORSO, max_gap_frames=5)
    assert tracks.n_tracks == 2
    present = tracks.present().sum(axis=1)
    assert sorted(present.tolist()) == [110, 120]


def test_periodicity_of_sine_and_noise() -> None:
    t = np.arange(300) / FPS
    assert periodicity(np.sin(2 * np.pi * 1.4 * t), FPS) > 0.9
    noise = np.random.default_rng(0).normal(size=300)
    assert periodicity(noise, FPS) < 0.3
    assert periodicity(np.full(300, np.nan), FPS) == 0.0


def test_runner_ranks_first_and_overrides_work() -> None:
    kps, scs = scene()
    tracks = link(kps, scs, torso_idx=TORSO)
    ankles = (IDX["left_ankle"], IDX["right_ankle"])
    cands = score_tracks(tracks, fps=FPS, frame_height=720, ankle_idx=ankles)
    runner_track = int(np.argmin(np.abs(np.nanmedian(tracks.xy[:, :, IDX["left_hip"], 0], axis=1) - 296)))
    assert cands[0].track == runner_track
    assert cands[0].periodicity > 0.8 > cands[1].periodicity
    assert choose(cands, tracks, PersonChoice(), fps=FPS).track == runner_track
    assert choose(cands, tracks, PersonChoice.parse("2"), fps=FPS).track != runner_track
    coach_box = PersonChoice.parse("box:560,100,80,460")
    assert choose(cands, tracks, coach_box, fps=FPS).track != runner_track
    with pytest.raises(ConfigError, match=r"expected 1\.\.2"):
        choose(cands, tracks, PersonChoice(rank=3), fps=FPS)
    with pytest.raises(ConfigError, match="no tracked person overlaps"):
        choose(cands, tracks, PersonChoice(box_px=(5000, 5000, 10, 10)), fps=FPS)
    with pytest.raises(NoRunnerError):
        choose([], tracks, PersonChoice(), fps=FPS)


@pytest.mark.parametrize("text", ["0", "-1", "a,b,c,d", "1,2,3", "box:1,2,0,4", "who"])
def test_person_spec_rejects_garbage(text: str) -> None:
    with pytest.raises(ConfigError, match="--person"):
        PersonChoice.parse(text)


def test_person_spec_parses() -> None:
    assert PersonChoice.parse(None) == PersonChoice()
    assert PersonChoice.parse("auto") == PersonChoice()
    assert PersonChoice.parse("rank:2").rank == 2
    assert PersonChoice.parse("10, 20, 30, 40").box_px == (10.0, 20.0, 30.0, 40.0)
