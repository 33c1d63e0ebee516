"""Live mode: pose tracking on a camera, a stream or a file played at its pace, with rolling numbers.

A :class:`~formcam.video.FrameGrabber` keeps only the latest frame; the pose model takes what it
can (:mod:`formcam.live.session`); every few seconds the last seconds of keypoints go through the
same analysis as ``formcam analyze`` (:mod:`formcam.live.rolling`). ``--record DIR`` keeps every
offered frame as H.264 and analyses the recording in full at stop. The CLI is :mod:`formcam.live.cli`.
"""
