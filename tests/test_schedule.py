"""Choose, then track (formcam.pose.schedule): which frames get the multi-person pass, with
scripted backends (no model), and the runner chosen from a replayed clip is unchanged."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np
import pytest

from formcam.errors import ConfigError
from formcam.pose import detect, runner_series
from formcam.pose.backends.base import BackendInfo, PoseFrame, PoseImage
from formcam.pose.backends.replay import ReplayBackend
from formcam.pose.schedule import ChooseThenTrack, TrackSchedule
from formcam.series import BLAZEPOSE_KEYPOINTS, PoseSeries
from formcam.video import Frame

FPS = 30.0
K = len(BLAZEPOSE_KEYPOINTS)
KEYPOINTS = Path(__file__).parent / "data" / "keypoints"


def person(x_px: float, width_px: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A 300 px tall stick figure centred at ``x_px``: ``(K, 2)`` keypoints and ``(K,)`` scores;
    shoulders and hips ``width_px`` apart (0: as seen from the side)."""
    xy = np.column_stack([np.full(K, x_px) + np.linspace(-20, 20, K), np.linspace(100, 400, K)])
    for left, right, y in (("left_shoulder", "right_shoulder", 150.0), ("left_hip", "right_hip", 250.0)):
        xy[BLAZEPOSE_KEYPOINTS.index(left)] = (x_px - width_px / 2, y)
        xy[BLAZEPOSE_KEYPOINTS.index(right)] = (x_px + width_px / 2, y)
    return xy, np.full(K, 0.9)


class Scripted:
    """A backend that finds the people ``scene(t_s)`` lists (x centres), up to ``most``; logs its calls."""

    def __init__(self, name: str, scene: dict[str, list[float]], most: int, width_px: float = 0.0) -> None:
        self.name, self.scene, self.most, self.width_px = name, scene, most, width_px
        self.calls: list[float] = []
        self.resets = 0
        self.opened = False

    @property
    def info(self) -> BackendInfo:
        return BackendInfo(name=self.name, model="script")

    @property
    def keypoint_names(self) -> tuple[str, ...]:
        return BLAZEPOSE_KEYPOINTS

    def __enter__(self) -> Self:
        self.opened = True
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.opened = False

    def reset(self) -> None:
        self.resets += 1

    def __call__(self, image: PoseImage, t_s: float) -> PoseFrame:
        self.calls.append(t_s)
        xs = self.scene["x"][:self.most] if self.scene["x"] else []
        if not xs:
            return PoseFrame.empty(K)
        people = [person(x, self.width_px) for x in xs]
        return PoseFrame(np.stack([p[0] for p in people]), np.stack([p[1] for p in people]))


def run(scene_at: dict[int, list[float]], n: int, schedule: TrackSchedule | None = None, *,
        views: str = "any", width_px: float = 0.0) -> tuple[ChooseThenTrack, Scripted, Scripted, list[int]]:
    """Frames ``0..n-1`` at 30 fps; ``scene_at[i]`` changes who is there from frame ``i`` on.
    Returns the backend, both parts and the frame numbers that got the multi-person pass."""
    scene: dict[str, list[float]] = {"x": []}
    wide, narrow = Scripted("wide", scene, 3, width_px), Scripted("narrow", scene, 1, width_px)
    image = np.zeros((4, 4, 3), np.uint8)
    with ChooseThenTrack(wide, narrow, schedule, views=views) as backend:
        assert wide.opened and narrow.opened
        for i in range(n):
            if i in scene_at:
                scene["x"] = scene_at[i]
            pose = backend(image, i / FPS)
            assert pose.n_people == min(len(scene["x"]), 3 if i / FPS in wide.calls else 1)
    assert not wide.opened and not narrow.opened
    return backend, wide, narrow, [round(t * FPS) for t in wide.calls]


def test_one_runner_gets_the_multi_person_pass_at_first_then_every_second() -> None:
    backend, _, narrow, wide_frames = run({0: [500.0]}, 150)  # 5 s alone
    warmup = list(range(45))  # 1.5 s at 30 fps
    assert wide_frames == [*warmup, 74, 104, 134]  # a second after the last one
    assert backend.wide_frames == 48 and backend.narrow_frames == 102 == len(narrow.calls)
    assert narrow.resets == 0


def test_a_passer_by_seen_once_is_followed_by_tracking_again() -> None:
    # a second person passes at frames 70-80, seen by the scheduled pass at frame 74 and after it
    # for 6 frames (0.2 s, less than crowded_s)
    backend, _, narrow, wide_frames = run({0: [500.0], 70: [500.0, 900.0], 81: [500.0]}, 160)
    assert wide_frames == [*range(45), *range(74, 82), 111, 141]  # every frame until alone again
    assert narrow.resets == 1  # the tracker restarts from a fresh detection of the one person there
    assert not backend.full_pass


def test_people_who_keep_showing_up_mean_the_full_pass() -> None:
    # someone walks in at frame 60 (seen at the scheduled pass, frame 74) and stays: 0.25 s
    # later, the full pass to the end, even when the detector misses the second person (90-99)
    backend, _, _, wide_frames = run({0: [500.0], 60: [500.0, 900.0], 90: [500.0], 100: [500.0, 900.0]}, 160)
    assert wide_frames == [*range(45), *range(74, 160)]
    assert backend.full_pass


def test_a_lost_runner_is_looked_for_on_the_next_frame() -> None:
    _, _, narrow, wide_frames = run({0: [500.0], 60: [], 64: [500.0]}, 100)
    # frame 60: the tracker finds nobody; 61-64: the multi-person pass, until it finds the runner again
    assert wide_frames == [*range(45), 61, 62, 63, 64, 94]
    assert 60 in [round(t * FPS) for t in narrow.calls]


def test_a_crowded_clip_is_the_full_pass() -> None:
    _, _, narrow, wide_frames = run({0: [300.0, 700.0]}, 120)
    assert wide_frames == list(range(120)) and not narrow.calls


def test_frontal_only_tracks_a_rear_view_and_gives_a_side_view_the_full_pass() -> None:
    """``views="frontal"``: shoulders and hips 60 px wide on a 100 px torso (ratio 0.6, rear or
    front) are tracked after the warm-up as with ``views="any"``; 10 px wide (0.1, side) get the
    multi-person pass on every frame."""
    rear, _, _, rear_wide = run({0: [500.0]}, 150, views="frontal", width_px=60.0)
    assert rear_wide == [*range(45), 74, 104, 134] and rear.view_ratio == pytest.approx(0.6)
    side, _, narrow, side_wide = run({0: [500.0]}, 150, views="frontal", width_px=10.0)
    assert side_wide == list(range(150)) and not narrow.calls and side.full_pass
    assert side.view_ratio == pytest.approx(0.1)
    passer, _, narrow, _ = run({0: [500.0], 70: [500.0, 900.0], 72: [500.0]}, 150, views="frontal",
                               width_px=10.0)  # a passer-by does not undo the side view's full pass
    assert passer.full_pass and not narrow.calls
    nobody, _, _, nobody_wide = run({}, 60, views="frontal")
    assert nobody_wide == list(range(60)) and nobody.view_ratio is None
    with pytest.raises(ConfigError, match="views"):
        ChooseThenTrack(Scripted("w", {"x": []}, 3), Scripted("n", {"x": []}, 1), views="side")


def test_create_backend_tracks_by_view() -> None:
    """Default (``track_runner=None``): tracking in rear/front views only; forced on or off."""
    from formcam.pose import create_backend

    assert not isinstance(create_backend("onnx", track_runner=None, view="side"), ChooseThenTrack)
    assert not isinstance(create_backend("onnx", track_runner=False), ChooseThenTrack)
    rear = create_backend("onnx", track_runner=None, view="rear")
    auto = create_backend("onnx", track_runner=None)
    forced = create_backend("onnx", track_runner=True, view="side")
    assert isinstance(rear, ChooseThenTrack) and rear.views == "any"
    assert isinstance(auto, ChooseThenTrack) and auto.views == "frontal"
    assert isinstance(forced, ChooseThenTrack) and forced.views == "any"


def test_schedule_is_checked() -> None:
    with pytest.raises(ConfigError, match="every_s"):
        TrackSchedule(every_s=0.0)
    with pytest.raises(ConfigError, match="crowded_s"):
        TrackSchedule(crowded_s=-1.0)


def _frames(series: PoseSeries) -> list[Frame]:
    image = np.zeros((4, 4, 3), np.uint8)
    return [Frame(index=i, t_s=float(t), pixels=image) for i, t in enumerate(series.t_s)]


@pytest.mark.parametrize("name", ["side_treadmill_01_portrait_60fps", "side_treadmill_02_lab"])
def test_replayed_runner_is_chosen_as_before(name: str) -> None:
    """Both parts replay the same stored runner: the pass changes nothing about the series."""
    path = KEYPOINTS / f"{name}.npz"
    if not path.is_file():
        pytest.skip(f"{path} is not in the repository")
    stored = ReplayBackend(path).series
    with ChooseThenTrack(ReplayBackend(stored), ReplayBackend(stored)) as backend:
        det = detect(_frames(stored), backend, width=stored.width, height=stored.height, fps=stored.fps)
    series, selection = runner_series(det)
    assert backend.narrow_frames > backend.wide_frames
    assert selection.n_people == 1
    np.testing.assert_array_equal(np.isfinite(series.xy), np.isfinite(stored.xy))
    np.testing.assert_allclose(series.xy[np.isfinite(series.xy)], stored.xy[np.isfinite(stored.xy)])
