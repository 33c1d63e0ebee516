"""The ``--window`` overlay: each taken frame with the runner's skeleton and the rolling numbers."""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.errors import ConfigError
from formcam.live.rolling import RollingNumbers
from formcam.live.session import FrameFn
from formcam.live.text import LABELS
from formcam.video import LiveFrame

BONES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 23), (12, 24), (23, 24), (23, 25), (25, 27), (27, 29), (29, 31), (27, 31),
    (24, 26), (26, 28), (28, 30), (30, 32), (28, 32), (11, 13), (13, 15), (12, 14), (14, 16),
    (0, 11), (0, 12))
"""BlazePose landmark pairs drawn as the skeleton (indices into its 33 keypoints)."""
WINDOW = "formcam live (q: stop)"


def window_show() -> FrameFn:
    """A :data:`~formcam.live.session.FrameFn` drawing into an OpenCV window; ``q`` or Esc stops.

    Raises:
        ConfigError: there is no display (Linux without ``DISPLAY`` or ``WAYLAND_DISPLAY``).
    """
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if sys.platform.startswith("linux") and not has_display:
        raise ConfigError("--window needs a display (DISPLAY is not set); without it the rolling numbers "
                          "are printed")
    import cv2

    def show(frame: LiveFrame, xy: NDArray[np.float64], numbers: RollingNumbers | None) -> bool:
        bgr = cv2.cvtColor(frame.pixels, cv2.COLOR_RGB2BGR)
        _draw_skeleton(cv2, bgr, xy)
        for row, text in enumerate(_overlay_lines(numbers)):
            cv2.putText(bgr, text, (10, 28 + 26 * row), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
        cv2.imshow(WINDOW, bgr)
        return cv2.waitKey(1) & 0xFF not in (ord("q"), 27)

    return show


def _draw_skeleton(cv2: Any, bgr: Any, xy: NDArray[np.float64]) -> None:
    if xy.shape[0] < 33:
        return
    for a, b in BONES:
        if np.isfinite(xy[[a, b]]).all():
            pa, pb = tuple(int(v) for v in xy[a]), tuple(int(v) for v in xy[b])
            cv2.line(bgr, pa, pb, (0, 200, 255), 2)


def _overlay_lines(numbers: RollingNumbers | None) -> list[str]:
    if numbers is None or numbers.reason is not None:
        return ["waiting for steps..."]
    lines = [f"{LABELS[n][0]}: {LABELS[n][1].format(v)}{LABELS[n][2]}" for n, v in numbers.values.items()
             if v is not None]
    return [*lines, f"cue: {numbers.cues[0]['id']}"] if numbers.cues else lines
