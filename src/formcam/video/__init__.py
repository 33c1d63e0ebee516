"""Stage 1, video: a file in, RGB frames (or YUV planes) with true timestamps out; and H.264 out.

Takes a path to a phone or camera video; gives :func:`probe` (its facts: fps, size,
rotation, duration, sha256), :class:`FrameReader` / :func:`iter_frames` (frames in display
orientation with presentation times, streamed), :func:`frames_at` (a few frames by time,
seeking), :func:`prefetch` (decode on a thread beside the pose model) and
:class:`H264Writer` (browser-playable annotated video and the phantom's renders); and live
sources (:func:`open_live_source`: a camera, a stream or a file played at its pace) read by a
:class:`FrameGrabber` that keeps only the latest frame.
Nothing here knows about people or running.
"""

from formcam.video.capture import SourceInfo, open_live_source
from formcam.video.hashing import file_sha256
from formcam.video.live import (
    Clock,
    FrameGrabber,
    LatestFrameSlot,
    LiveFrame,
    MonotonicClock,
    RawFrame,
    StreamLostError,
)
from formcam.video.prefetch import prefetch
from formcam.video.reader import Frame, FrameReader, VideoInfo, iter_frames, probe
from formcam.video.seek import frames_at
from formcam.video.writer import H264Writer
from formcam.video.yuv import YuvImage

__all__ = ["Clock", "Frame", "FrameGrabber", "FrameReader", "H264Writer", "LatestFrameSlot", "LiveFrame",
           "MonotonicClock", "RawFrame", "SourceInfo", "StreamLostError", "VideoInfo", "YuvImage",
           "file_sha256", "frames_at", "iter_frames", "open_live_source", "prefetch", "probe"]
