"""Write RGB frames as browser-playable H.264 MP4 (libx264, yuv420p) with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Self

import av
import numpy as np
from numpy.typing import NDArray


class H264Writer:
    """Context manager writing ``(H, W, 3)`` uint8 RGB frames at a constant rate.

    Args:
        path: output ``.mp4`` path.
        fps: frame rate (frames per second); frame ``i`` is at ``i / fps`` s.
        width, height: frame size in pixels; both must be even (yuv420p).
        crf: x264 constant rate factor (lower = better and bigger; 23 is x264's default).
        preset: x264 speed preset.
    """

    def __init__(
        self, path: str | Path, *, fps: float, width: int, height: int, crf: int = 23, preset: str = "medium"
    ) -> None:
        if width % 2 or height % 2 or width < 16 or height < 16:
            raise ValueError(f"width and height must be even and >= 16 (yuv420p), got {width}x{height}")
        self.path, self.width, self.height = Path(path), width, height
        self.rate = Fraction(fps).limit_denominator(1001)
        self.crf, self.preset = crf, preset
        self._container: av.container.OutputContainer | None = None
        self._stream: av.VideoStream | None = None
        self.frames_written = 0

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._container = av.open(str(self.path), "w", options={"movflags": "+faststart"})
        stream = self._container.add_stream(
            "libx264", rate=self.rate, options={"crf": str(self.crf), "preset": self.preset}
        )
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
        stream.time_base = 1 / self.rate
        stream.codec_context.time_base = 1 / self.rate
        self._stream = stream
        self.frames_written = 0
        return self

    def write(self, rgb: NDArray[np.uint8]) -> None:
        """Encode one ``(H, W, 3)`` uint8 RGB frame."""
        if self._container is None or self._stream is None:
            raise RuntimeError("H264Writer must be used inside a `with` block")
        if rgb.shape != (self.height, self.width, 3) or rgb.dtype != np.uint8:
            raise ValueError(
                f"expected a ({self.height}, {self.width}, 3) uint8 frame, got {rgb.shape} {rgb.dtype}"
            )
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.frames_written
        frame.time_base = 1 / self.rate
        self._container.mux(self._stream.encode(frame))
        self.frames_written += 1

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._container is None or self._stream is None:
            return
        try:
            if exc_type is None:
                self._container.mux(self._stream.encode(None))
        finally:
            self._container.close()
            self._container, self._stream = None, None
