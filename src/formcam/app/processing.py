"""Upload checks and analysis runs for the app, with errors turned into user messages.

* :func:`handle_upload` writes an upload to the session's temp folder and checks
  it by *decoding* it (:func:`formcam.video.reader.probe`), not by its extension.
* :func:`run_analysis` runs :func:`formcam.pipeline.analyze_video` (or replays a
  cached ``keypoints.npz`` with :func:`formcam.pipeline.analyze_keypoints` when
  only analysis settings changed), then deletes the uploaded copy.
* :func:`guarded` runs a step and returns its value or a one-line message:
  a :class:`~formcam.errors.FormcamError` gives its own text (with the temp path
  replaced by the user's file name), anything else a short generic message,
  with the traceback going to the log only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from formcam.app.people import candidate_thumbnails
from formcam.app.state import Entry, ResultCache, Settings, Workspace, cache_key
from formcam.errors import FormcamError, InputError
from formcam.options import AnalyzeOptions
from formcam.pipeline import AnalyzeResult, analyze_keypoints, analyze_video
from formcam.pose import PersonChoice
from formcam.video import VideoInfo, probe

log = logging.getLogger(__name__)

T = TypeVar("T")
ProgressFn = Callable[[str, int, int], None]

FRAME_STAGES: frozenset[str] = frozenset({"pose", "render"})
"""Progress stages counted in video frames (others, like ``outputs``, count steps)."""
VIDEO_TYPES: tuple[str, ...] = ("mp4", "mov", "m4v", "avi", "webm")
GENERIC_ERROR = ("Something went wrong inside formcam while {what}. This is a bug, not your video's "
                 "fault; the details are in the app's log.")


@dataclass(frozen=True)
class UploadedVideo:
    """An upload that decodes as a video: its temp copy, the user's name for it and its facts."""

    path: Path
    name: str
    info: VideoInfo

    @property
    def sha256(self) -> str:
        """SHA-256 of the file bytes."""
        return self.info.sha256


def safe_name(name: str) -> str:
    """A file name safe to write: the base name, odd characters replaced, never empty."""
    base = re.split(r"[\\/]", name)[-1].strip()
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")
    return base[:120] or "video"


def handle_upload(data: bytes, name: str, folder: Path, *, max_bytes: int | None = None) -> UploadedVideo:
    """Write an uploaded video to ``folder`` and check that it decodes.

    Args:
        data: the uploaded bytes.
        name: the file's name on the user's machine (used in messages only).
        folder: where to write the copy (the session's ``uploads/``).
        max_bytes: refuse larger uploads (None: no limit here).

    Raises:
        InputError / VideoError: empty, too large, or not a decodable video; the message
            names ``name``, not the temp path. The copy is deleted on error.
    """
    if not data:
        raise InputError(f"{name}: the file is empty")
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(f"{name}: {len(data) / 1e6:.0f} MB is over the {max_bytes / 1e6:.0f} MB limit; "
                         f"trim the clip to 10–30 s of steady running")
    folder.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="upload-", dir=folder)) / safe_name(name)
    path.write_bytes(data)
    try:
        info = probe(path)
    except FormcamError as exc:
        remove_upload(path)
        raise type(exc)(user_message(exc, path, name)) from None
    except Exception:
        remove_upload(path)
        raise
    return UploadedVideo(path=path, name=name, info=info)


def remove_upload(path: Path) -> None:
    """Delete an uploaded copy and its private sub-folder (missing files are fine)."""
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def user_message(exc: BaseException, path: Path | None, name: str) -> str:
    """The error's text, with the temp path (and its folder) replaced by the user's file name."""
    text = str(exc)
    if path is not None:
        text = text.replace(str(path), name).replace(str(path.parent), ".")
    return text


def guarded(fn: Callable[[], T], *, what: str, path: Path | None = None,
            name: str = "") -> tuple[T | None, str | None]:
    """Run ``fn``; return ``(value, None)`` or ``(None, message)`` for the user (never a traceback)."""
    try:
        return fn(), None
    except FormcamError as exc:
        return None, user_message(exc, path, name)
    except Exception:
        log.exception("internal error while %s (%s)", what, name)
        return None, GENERIC_ERROR.format(what=what)


def supported_options() -> frozenset[str]:
    """Field names of the installed :class:`AnalyzeOptions` (``render_video`` arrives with outputs)."""
    return frozenset(f.name for f in dataclasses.fields(AnalyzeOptions))


def options_for(settings: Settings) -> AnalyzeOptions:
    """:class:`AnalyzeOptions` for ``settings``, passing only options the installed formcam knows."""
    kwargs: dict[str, Any] = {
        "backend": settings.backend,
        "model": settings.model,
        "person": PersonChoice(rank=settings.person_rank) if settings.person_rank else PersonChoice(),
        "view": settings.view,
        "setting": settings.setting,
        "height_cm": settings.height_cm,
    }
    if "render_video" in supported_options():
        kwargs["render_video"] = settings.render_video
    if settings.max_fps is not None and "max_fps" in supported_options():
        kwargs["max_fps"] = settings.max_fps
    if settings.capture_fps is not None and "capture_fps" in supported_options():
        kwargs["capture_fps"] = settings.capture_fps
    if "markers" in supported_options():
        kwargs["markers"] = settings.markers
    return AnalyzeOptions(**kwargs)


class ThrottledProgress:
    """Progress callback forwarding ``(fraction, "pose: 120/480 frames")`` at most every ``every_s``.

    Stage changes and the last frame are always forwarded.
    """

    def __init__(self, show: Callable[[float, str], object], *, every_s: float = 0.2,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._show, self._every, self._clock = show, every_s, clock
        self._last_t = -float("inf")
        self._last_stage: str | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self._clock()
        final = total > 0 and done >= total
        if stage == self._last_stage and not final and now - self._last_t < self._every:
            return
        self._last_t, self._last_stage = now, stage
        fraction = min(1.0, done / total) if total > 0 else 0.0
        unit = " frames" if stage in FRAME_STAGES else ""
        text = f"{stage}: {done}/{total}{unit}" if total > 0 else f"{stage}: {done}{unit}"
        self._show(fraction, text)


def run_analysis(*, name: str, sha256: str, settings: Settings, workspace: Workspace, cache: ResultCache,
                 video: Callable[[], Path] | None, progress: ProgressFn | None = None,
                 delete_video: bool = True) -> Entry:
    """Analyse a video (or replay its cached keypoints) and store the result in ``cache``.

    Args:
        name: the user's name for the video.
        sha256: the video's SHA-256 (the cache key's first half).
        settings: the analysis settings.
        workspace: the session's temp folder.
        cache: the session's result cache (a hit returns at once).
        video: gives the path of the video file, writing a temp copy if needed; called
            only when pose estimation must run. None: replay only.
        progress: ``progress(stage, done, total)``.
        delete_video: delete the file ``video()`` gave once the analysis ends.

    Raises:
        FormcamError: the video or settings are unusable (message for the user).
    """
    key = cache_key(sha256, settings)
    hit = cache.get(key)
    if hit is not None:
        return hit
    out_dir = workspace.run_dir(key)
    options = options_for(settings)
    started = time.monotonic()
    source = cache.replay_source(sha256, settings)
    thumbs: list[bytes | None] = []
    if source is not None:
        result: AnalyzeResult = analyze_keypoints(source.files["keypoints"], out_dir, options)
        how, thumbs = "replay", list(source.thumbnails)
    else:
        if video is None:
            raise InputError(f"{name}: the video is no longer available; upload it again")
        path = video()
        try:
            result = analyze_video(path, out_dir, options, progress=progress, sha256=sha256)
            candidates = (result.report.get("person") or {}).get("candidates") or []
            if len(candidates) > 1:
                thumbs = candidate_thumbnails(path, candidates)
        except FormcamError as exc:
            raise type(exc)(user_message(exc, path, name)) from None
        finally:
            if delete_video:
                remove_upload(path)
        how = "pose"
    entry = Entry(key=key, name=name, sha256=sha256, settings=settings, report=result.report,
                  files=dict(result.files), out_dir=out_dir, series=result.series, how=how,
                  elapsed_s=time.monotonic() - started, thumbnails=thumbs)
    cache.put(entry)
    log.info("analysed %s (%s) in %.1f s", name, how, entry.elapsed_s)
    return entry
