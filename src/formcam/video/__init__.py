"""Stage 1, video: a file in, RGB frames (or YUV planes) with true timestamps out; and H.264 out.

Takes a path to a phone or camera video; gives :func:`probe` (its facts: fps, size,
rotation, duration, sha256), :class:`FrameReader` / :func:`iter_frames` (frames in display
orientation with presentation times, streamed), :func:`frames_at` (a few frames by time,
seeking), :func:`prefetch` (decode on a thread beside the pose model) and
:class:`H264Writer` (browser-playable annotated video and the phantom's renders).
Nothing here knows about people or running.
"""

from formcam.video.hashing import file_sha256
from formcam.video.prefetch import prefetch
from formcam.video.reader import Frame, FrameReader, VideoInfo, iter_frames, probe
from formcam.video.seek import frames_at
from formcam.video.writer import H264Writer
from formcam.video.yuv import YuvImage

__all__ = ["Frame", "FrameReader", "H264Writer", "VideoInfo", "YuvImage", "file_sha256", "frames_at",
           "iter_frames", "prefetch", "probe"]
