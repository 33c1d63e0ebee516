"""The live recording: every frame a source offered, as H.264 at the source's rate."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from formcam.video import H264Writer, LiveFrame

log = logging.getLogger(__name__)

RECORD_PRESET = "veryfast"
RECORD_CRF = 18
"""x264 settings of the recording: fast enough to keep up beside the pose model on two cores, at
a quality (crf 18) that leaves the full analysis the detail of the original frames."""


class Recorder:
    """Writes each offered frame to ``path`` (opened at the first frame, whose size it keeps).

    Frames are cropped to an even size (H.264 4:2:0). Frame ``i`` is at ``i / fps`` s: the
    recording has the source's nominal rate, as a camera's file would.
    """

    def __init__(self, path: Path, *, fps: float) -> None:
        self.path, self.fps = path, fps
        self._writer: H264Writer | None = None
        self._lock = threading.Lock()

    @property
    def frames_written(self) -> int:
        return self._writer.frames_written if self._writer is not None else 0

    def write(self, frame: LiveFrame) -> None:
        """Append one frame (called on the grabber's thread)."""
        with self._lock:
            if self._writer is None:
                h, w = (frame.pixels.shape[0] // 2) * 2, (frame.pixels.shape[1] // 2) * 2
                self._writer = H264Writer(self.path, fps=self.fps, width=w, height=h, crf=RECORD_CRF,
                                          preset=RECORD_PRESET).__enter__()
            w = self._writer
            w.write(frame.pixels[:w.height, :w.width])

    def close(self) -> None:
        """Finish the file (safe to call twice, or with no frame written)."""
        with self._lock:
            if self._writer is not None:
                self._writer.__exit__(None, None, None)
                log.info("live: recorded %d frames to %s", self._writer.frames_written, self.path)
                self._writer = None
