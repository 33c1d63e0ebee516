"""What a user can set for one analysis (CLI flags, app settings, ``formcam.toml``), checked
at the edge with "expected X, got Y" messages: :class:`AnalyzeOptions` and the number parsers
shared by the CLI, the batch settings and the app.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from formcam.errors import ConfigError
from formcam.pose import DEFAULT_BACKEND, PersonChoice, check_detect_interval, parse_markers

MAX_FPS_SLACK = 0.01
"""A clip up to 1 % faster than ``max_fps`` (e.g. a variable-rate phone clip averaging
60.3 fps with ``--max-fps 60``) is still analysed at every frame."""


def _parse_number(value: str | float | None, *, name: str, expected: str, allow_zero: bool) -> float | None:
    """``value`` as a finite number > 0 (>= 0 with ``allow_zero``); None stays None.

    Raises:
        ConfigError: ``"{name}: expected {expected}, got {value!r}"``.
    """
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and (number >= 0 if allow_zero else number > 0)):
        raise ConfigError(f"{name}: expected {expected}, got {value!r}")
    return number


def parse_max_fps(value: str | float | None, *, name: str = "--max-fps") -> float | None:
    """``--max-fps`` as a positive, finite frame rate in Hz (None: analyse every frame).

    ``name`` starts the error message (e.g. a ``formcam.toml`` path and key).

    Raises:
        ConfigError: not a number, or not > 0.
    """
    return _parse_number(value, name=name, expected="a frame rate in Hz (a number > 0)", allow_zero=False)


def parse_capture_fps(value: str | float | None, *, name: str = "--capture-fps") -> float | None:
    """``--capture-fps`` as a positive, finite frame rate in Hz (None: the file's own rate).

    Raises:
        ConfigError: not a number, or not > 0.
    """
    return _parse_number(value, name=name, expected="the frame rate the clip was filmed at, in Hz "
                                                    "(a number > 0)", allow_zero=False)


def parse_detect_interval(value: str | float | None, *, name: str = "--detect-interval") -> float | None:
    """``--detect-interval`` as finite seconds >= 0 (None: not given).

    Raises:
        ConfigError: not a number, negative, or not finite.
    """
    return _parse_number(value, name=name, expected="seconds (a number >= 0)", allow_zero=True)


def frame_step(fps: float, max_fps: float | None) -> int:
    """Analyse every ``k``-th frame: ``k = ceil(fps / max_fps)`` (1 when ``max_fps`` is None or
    not exceeded by more than :data:`MAX_FPS_SLACK`), so the analysed rate ``fps / k`` is at
    most ``max_fps``."""
    if max_fps is None or fps <= max_fps * (1 + MAX_FPS_SLACK):
        return 1
    return max(1, math.ceil(fps / max_fps - MAX_FPS_SLACK))


@dataclass(frozen=True)
class AnalyzeOptions:
    """User options of an analysis (recorded in the report under ``settings``).

    ``max_fps`` (Hz, None = every frame): when the clip's frame rate exceeds it, the pose
    model runs on every ``k``-th frame only (:func:`frame_step`), with their true
    timestamps; the other frames are still decoded (H.264 frames depend on each other)
    but neither converted nor inferred. The series, and every frame number in the
    report, is then at ``fps / k``.

    ``detect_interval_s`` (seconds, ``backend="onnx"`` only; 0 = MediaPipe's schedule,
    the person detector on every frame while fewer than ``num_poses`` people are
    tracked): once the runner is tracked, run the detector only this often. About
    twice as fast with ``num_poses > 1``, but the landmarks then come from tracked
    crops, which moved a real clip's metrics (see the README); opt-in.

    ``view``, ``setting`` and ``direction``: None or ``"auto"`` (the same: decided from
    the keypoints) or a forced value.

    ``track_runner`` (choose, then track; :mod:`formcam.pose.schedule`): the multi-person pass
    only on a sparse schedule (the first 1.5 s, then every second, and on every frame while
    someone else is in the picture), one tracked person between. ``None`` (default): in rear
    and front views only (the ``view`` given, or as the first 1.5 s show it); ``True``: in every
    view; ``False``: never. Tracked crops move the keypoints by several pixels from those of
    fresh detections (see that module): on the phantom through the model they time rear-view
    contacts within a frame (1.3-1.9 frames with fresh detections) and read side-view knee
    flexion ~5 deg low and hip extension ~4 deg high, hence rear/front only.

    ``capture_fps`` (Hz, None = the file's rate): the rate a slow-motion clip was filmed
    at (a 240 fps capture saved at 30 fps): the analysis then runs on the true time base
    (:mod:`formcam.analysis.timebase`), and slowed-footage detection is off.

    ``markers``: ``auto`` (PSIS stickers when found in rear / front views, else markerless; a
    side view is not searched), ``off`` (no sticker search), ``pelvis`` (stickers expected, ASIS
    and PSIS in a side view for pelvic tilt: a warning when missing) or ``pelvis,heels``
    (:mod:`formcam.pose.pelvis_pass`, :mod:`formcam.pose.side_pass`).
    """

    backend: str = DEFAULT_BACKEND
    model: str = "full"
    num_poses: int = 3
    person: PersonChoice = field(default_factory=PersonChoice)
    keypoints_only: bool = False
    view: str | None = None
    setting: str | None = None
    direction: str | None = None
    height_cm: float | None = None
    outputs: bool = True
    render_video: bool = True
    rules_path: str | None = None
    max_fps: float | None = None
    detect_interval_s: float = 0.0
    capture_fps: float | None = None
    markers: str = "auto"
    track_runner: bool | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "markers", parse_markers(self.markers, name="markers"))
        parse_max_fps(self.max_fps)
        parse_capture_fps(self.capture_fps)
        parse_detect_interval(self.detect_interval_s)
        check_detect_interval(self.backend, self.detect_interval_s)
        for name in ("view", "setting", "direction"):
            if getattr(self, name) == "auto":
                object.__setattr__(self, name, None)

    def pose_settings(self) -> dict[str, Any]:
        """Options of the pose stage (stored with the keypoints, reused on replay)."""
        return {"backend": self.backend, "model": self.model, "num_poses": self.num_poses,
                "person": self.person.describe(), "max_fps": self.max_fps,
                "detect_interval_s": self.detect_interval_s, "markers": self.markers,
                "track_runner": self.track_runner}

    def analysis_settings(self) -> dict[str, Any]:
        """Options of the analysis stages (taken from the current call, also on replay)."""
        return {"keypoints_only": self.keypoints_only, "view": self.view or "auto",
                "setting": self.setting or "auto", "direction": self.direction or "auto",
                "height_cm": self.height_cm, "rules": self.rules_path, "capture_fps": self.capture_fps}

    def time_scale(self, stated_fps: float) -> float | None:
        """True seconds per video second for a file stated at ``stated_fps`` (None: unknown)."""
        return None if self.capture_fps is None else float(stated_fps) / self.capture_fps
