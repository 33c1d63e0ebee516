"""Helpers that write small synthetic videos for tests (PyAV and the ffmpeg binary).

Images are ``(H, W, 3)`` uint8 RGB with even H and W (yuv420p needs them).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

RED = (255, 0, 0)
GREEN = (0, 255, 0)


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped with imageio-ffmpeg."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def marker_image(height: int = 48, width: int = 64) -> NDArray[np.uint8]:
    """Black image with a red square at the top-left and a green bar along the bottom."""
    img = np.zeros((height, width, 3), np.uint8)
    s = min(height, width) // 3
    img[:s, :s] = RED
    img[-(height // 6):, :] = GREEN
    return img


def noise_frames(n: int, height: int = 240, width: int = 320, *, seed: int = 0) -> list[NDArray[np.uint8]]:
    """``n`` frames of smooth-ish noise (compresses to sizeable packets, unlike flat images)."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(n)]


def write_clip(path: str | Path, frames: Iterable[NDArray[np.uint8]], fps: float = 30.0, *,
               pts: Sequence[int] | None = None, time_base: Fraction = Fraction(1, 1000),
               codec: str = "libx264", options: Mapping[str, str] | None = None,
               codec_options: Mapping[str, str] | None = None) -> Path:
    """Encode RGB ``frames`` into a video file and return its path.

    Args:
        frames: ``(H, W, 3)`` uint8 RGB images, all the same size.
        fps: nominal rate; frame ``i`` is at ``i / fps`` s unless ``pts`` is given.
        pts: explicit presentation times in ticks of ``time_base`` (variable frame rate).
        codec: encoder name, e.g. ``"libx264"`` or ``"mpeg4"``.
        options: container (muxer) options, e.g. ``{"movflags": "faststart"}``.
        codec_options: encoder options; libx264 defaults to ``preset=veryfast`` (has B-frames).
    """
    path = Path(path)
    rate = Fraction(fps).limit_denominator(1001)
    tb = time_base if pts is not None else 1 / rate
    if codec_options is None:
        codec_options = {"preset": "veryfast"} if codec == "libx264" else {}
    with av.open(str(path), "w", options=dict(options or {})) as out:
        stream: av.VideoStream | None = None
        for i, img in enumerate(frames):
            if stream is None:
                added = out.add_stream(codec, rate=rate, options=dict(codec_options))
                assert isinstance(added, av.VideoStream)
                stream = added
                stream.width, stream.height = img.shape[1], img.shape[0]
                stream.pix_fmt = "yuv420p"
                stream.time_base = tb
                stream.codec_context.time_base = tb
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            frame.pts = pts[i] if pts is not None else i
            frame.time_base = tb
            out.mux(stream.encode(frame))
        if stream is None:
            raise ValueError("expected at least one frame, got none")
        out.mux(stream.encode(None))
    return path


def write_audio_only(path: str | Path, seconds: float = 0.5) -> Path:
    """Write a silent mono AAC track with no video (``.m4a`` / ``.mp4``)."""
    path = Path(path)
    rate = 44100
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate)
        for i in range(int(seconds * rate / 1024) + 1):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = rate, i * 1024
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def write_png(path: str | Path, img: NDArray[np.uint8]) -> Path:
    """Write ``img`` as PNG bytes at ``path``, whatever its extension."""
    path = Path(path)
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
    with av.open(str(path), "w", format="image2pipe") as out:
        stream = out.add_stream("png")
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = img.shape[1], img.shape[0], "rgb24"
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def set_rotation(src: str | Path, dst: str | Path, deg: int) -> Path:
    """Copy ``src`` to ``dst`` (no re-encode) with a display matrix rotating by ``deg``.

    ``deg`` follows ffmpeg's ``-display_rotation`` and ffprobe's "rotation of X degrees":
    counter-clockwise. A phone portrait clip stored landscape reads ``-90``.
    """
    cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-display_rotation", str(deg), "-i", str(src),
           "-c", "copy", str(dst)]
    subprocess.run(cmd, check=True, capture_output=True)
    return Path(dst)


def set_rotate_tag(src: str | Path, dst: str | Path, deg: int) -> Path:
    """Copy ``src`` to ``dst`` (use ``.mkv``) with only the legacy ``rotate`` tag (clockwise degrees)."""
    cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(src), "-c", "copy",
           "-metadata:s:v", f"rotate={deg}", str(dst)]
    subprocess.run(cmd, check=True, capture_output=True)
    return Path(dst)


def ffmpeg_first_frame(path: str | Path) -> NDArray[np.uint8]:
    """First frame as the ffmpeg binary decodes it (autorotated upright), ``(H, W, 3)`` RGB.

    Writes ``<path>.ffmpeg.png`` beside the video and reads it back.
    """
    png = Path(str(path) + ".ffmpeg.png")
    cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(path), "-frames:v", "1", str(png)]
    subprocess.run(cmd, check=True, capture_output=True)
    with av.open(str(png)) as c:
        return np.asarray(next(c.decode(video=0)).to_ndarray(format="rgb24"), dtype=np.uint8)


def remux_with_pts(src: str | Path, dst: str | Path, pts_ms: Sequence[int]) -> Path:
    """Copy the video packets of ``src`` (no B-frames, e.g. mpeg4) into ``dst`` (``.mkv``),
    giving packet ``i`` the time ``pts_ms[i]`` milliseconds (repeats allowed: Matroska takes them).
    """
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        in_stream = inp.streams.video[0]
        stream = out.add_stream_from_template(in_stream)
        stream.time_base = Fraction(1, 1000)
        packets = [p for p in inp.demux(in_stream) if p.size]
        for i, (packet, t) in enumerate(zip(packets, pts_ms, strict=True)):
            packet.stream = stream
            packet.time_base = Fraction(1, 1000)
            packet.pts, packet.dts = t, i  # dts only has to rise; pts may repeat or step back
            packet.duration = None
            out.mux(packet)
    return Path(dst)
