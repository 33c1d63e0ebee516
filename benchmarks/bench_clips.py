"""Clips for ``bench.py``: the 1080p60 phantom render, a 60 s loop of it and a 4K upscale (cached)."""

from __future__ import annotations

from pathlib import Path


def make_clips(cache: Path) -> dict[int, Path]:
    """The 10 s 1080p60 phantom render and a 60 s clip that loops it (cached)."""
    from formcam.phantom import PhantomParams, render_phantom

    cache.mkdir(parents=True, exist_ok=True)
    base = cache / "phantom_side_1080p60_10s.mp4"
    if not base.exists():
        print(f"rendering {base} (about a minute) ...", flush=True)
        render_phantom(base, PhantomParams(), view="side_right", fps=60, duration_s=10, width=1920,
                       height=1080)
    long = cache / "phantom_side_1080p60_60s.mp4"
    if not long.exists():
        loop_clip(base, long, times=6)
    uhd = cache / "phantom_side_2160p60_3s.mp4"
    if not uhd.exists():
        print(f"writing {uhd} (about a minute) ...", flush=True)
        upscale_clip(base, uhd, seconds=3.0, width=3840, height=2160)
    return {10: base, 60: long, UHD: uhd}


UHD = 4
"""Key of the 3 s 4K clip in :func:`make_clips` (the others are keyed by their seconds)."""


def upscale_clip(src: Path, dst: Path, *, seconds: float, width: int, height: int) -> None:
    """The first ``seconds`` of ``src`` resized to ``width x height`` (H.264, 4:2:0), as a 4K phone clip."""
    import av
    import cv2
    import numpy as np

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        in_stream = inp.streams.video[0]
        stream = out.add_stream("libx264", rate=in_stream.average_rate, options={"preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for frame in inp.decode(in_stream):
            if frame.time is not None and frame.time >= seconds:
                break
            big = np.asarray(cv2.resize(frame.to_ndarray(format="rgb24"), (width, height),
                                        interpolation=cv2.INTER_LINEAR), dtype=np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(big, format="rgb24")))
        out.mux(stream.encode(None))


def loop_clip(src: Path, dst: Path, times: int) -> None:
    """Concatenate ``times`` copies of ``src`` by copying packets with shifted timestamps."""
    import av

    with av.open(str(src)) as probe:
        stream = probe.streams.video[0]
        pts = [(p.pts, p.duration or 0) for p in probe.demux(stream) if p.pts is not None]
    span = max(p + d for p, d in pts) - min(p for p, _ in pts)
    with av.open(str(dst), "w") as out:
        out_stream = None
        for k in range(times):
            with av.open(str(src)) as inp:
                in_stream = inp.streams.video[0]
                if out_stream is None:
                    out_stream = out.add_stream_from_template(in_stream)
                for packet in inp.demux(in_stream):
                    if packet.dts is None:
                        continue
                    packet.pts = None if packet.pts is None else packet.pts + k * span
                    packet.dts += k * span
                    packet.stream = out_stream
                    out.mux(packet)

