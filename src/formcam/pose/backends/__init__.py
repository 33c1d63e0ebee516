"""Pose backends: callables from an RGB frame to keypoints of every person.

See :mod:`formcam.pose.backends.base` for the protocol. ``create_backend`` builds one
by name without importing heavy runtimes that are not used.
"""

from __future__ import annotations

from formcam.errors import ConfigError, ModelError
from formcam.pose.backends.base import BackendInfo, PoseBackend, PoseFrame
from formcam.pose.models import BACKENDS, DEFAULT_BACKEND, MODEL_SIZES, model_path


def check_detect_interval(backend: str, detect_interval_s: float) -> None:
    """Refuse a person-detector interval for a backend other than ``onnx`` (MediaPipe Tasks
    schedules its own detector and has no such setting).

    Raises:
        ConfigError: ``detect_interval_s`` is non-zero and ``backend`` is not ``"onnx"``.
    """
    if detect_interval_s and backend != "onnx":
        raise ConfigError(f"a person-detector interval applies to the onnx backend only (MediaPipe "
                          f"schedules its own detector): expected backend 'onnx' with "
                          f"detect_interval_s={detect_interval_s:g}, got {backend!r}")


def create_backend(name: str = DEFAULT_BACKEND, *, model: str = "full", num_poses: int = 3,
                   detect_interval_s: float = 0.0, track_runner: bool | None = False,
                   view: str | None = None) -> PoseBackend:
    """Return an (unopened) backend; use it as a context manager.

    ``detect_interval_s`` (seconds, ONNX only): see
    :attr:`formcam.pose.backends.onnx.OnnxOptions.detect_interval_s`; 0 runs the person
    detector on MediaPipe's schedule. MediaPipe Tasks has no such setting, so a
    non-zero value with ``name="mediapipe"`` is a :class:`ConfigError`.

    ``track_runner``: choose, then track (:class:`formcam.pose.schedule.ChooseThenTrack`): this
    backend with ``num_poses`` on a sparse schedule, one tracked person between (ONNX: not
    smoothed, as the multi-person frames; MediaPipe smooths one pose and has no setting for it).
    ``True``: in every view; ``False``: never; ``None``: in rear and front views only, the
    ``view`` given (``rear``/``front``: yes, ``side``: no) or, without one, as the first
    seconds' keypoints show it (``ChooseThenTrack(views="frontal")``). In a side view tracked
    crops read knee flexion at contact ~5 deg lower and hip extension ~4 deg higher than fresh
    detections on the phantom (issue 22); in a rear view they time contacts better.
    """
    if track_runner is None and view is not None:
        track_runner = view in ("rear", "front")
    if track_runner is not False:
        from formcam.pose.schedule import ChooseThenTrack

        wide = create_backend(name, model=model, num_poses=num_poses, detect_interval_s=detect_interval_s)
        return ChooseThenTrack(wide, _single(name, model), views="any" if track_runner else "frontal")
    if name == "mediapipe":
        from formcam.pose.backends.mediapipe import MediaPipeBackend, MediaPipeOptions

        check_detect_interval(name, detect_interval_s)
        return MediaPipeBackend(MediaPipeOptions(model=model, num_poses=num_poses))
    if name == "onnx":
        from formcam.pose.backends.onnx import OnnxBackend, OnnxOptions

        return OnnxBackend(OnnxOptions(model=model, num_poses=num_poses, detect_interval_s=detect_interval_s))
    raise ConfigError(f"unknown backend: expected one of {BACKENDS}, got {name!r}")


def _single(name: str, model: str) -> PoseBackend:
    """The one-person tracker of ``track_runner``."""
    if name == "onnx":
        from formcam.pose.backends.onnx import OnnxBackend, OnnxOptions

        return OnnxBackend(OnnxOptions(model=model, num_poses=1, smooth=False))
    return create_backend(name, model=model, num_poses=1)


def installed_models(backend: str) -> list[str]:
    """Model sizes whose files are installed for ``backend`` (``mediapipe`` or ``onnx``)."""
    from formcam.pose.backends.onnx.paths import DETECTOR_FILE, landmark_file, onnx_model_path

    found = []
    for size in MODEL_SIZES:
        try:
            if backend == "onnx":
                onnx_model_path(DETECTOR_FILE)
                onnx_model_path(landmark_file(size))
            else:
                model_path(size)
        except ModelError:
            continue
        found.append(size)
    return found


__all__ = ["BACKENDS", "BackendInfo", "PoseBackend", "PoseFrame", "check_detect_interval", "create_backend",
           "installed_models"]
