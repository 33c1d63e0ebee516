"""Pose backends: callables from an RGB frame to keypoints of every person.

See :mod:`formcam.backends.base` for the protocol. ``create_backend`` builds one
by name without importing heavy runtimes that are not used.
"""

from __future__ import annotations

from formcam.backends.base import BackendInfo, PoseBackend, PoseFrame
from formcam.errors import ConfigError

BACKENDS: tuple[str, ...] = ("mediapipe", "onnx")


def create_backend(name: str = "mediapipe", *, model: str = "full", num_poses: int = 3) -> PoseBackend:
    """Return an (unopened) backend; use it as a context manager."""
    if name == "mediapipe":
        from formcam.backends.mediapipe import MediaPipeBackend, MediaPipeOptions

        return MediaPipeBackend(MediaPipeOptions(model=model, num_poses=num_poses))
    if name == "onnx":
        from formcam.backends.onnx import OnnxBackend, OnnxOptions

        return OnnxBackend(OnnxOptions(model=model, num_poses=num_poses))
    raise ConfigError(f"unknown backend: expected one of {BACKENDS}, got {name!r}")


__all__ = ["BACKENDS", "BackendInfo", "PoseBackend", "PoseFrame", "create_backend"]
