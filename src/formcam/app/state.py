"""Per-session state of the app: settings, cache keys, the temp folder and the result cache.

Nothing here imports Streamlit. The page keeps one :class:`Workspace` and one
:class:`ResultCache` in ``st.session_state``; both are plain objects, so the
logic is testable without a browser.

* A result is cached under :func:`cache_key` = the video's SHA-256 + every
  setting that changes the analysis. Display options (which plot, which tab)
  are not part of it, so changing them never re-runs pose estimation.
* Every session works in its own ``tempfile.mkdtemp`` folder. The uploaded copy
  of a video is deleted as soon as its analysis ends; the output folders live
  until the cache evicts them, the user clears the session, the session's state
  is garbage-collected, or the process exits (``weakref.finalize``, which also
  runs at interpreter exit).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import weakref
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from formcam.series import PoseSeries

log = logging.getLogger(__name__)

VIEWS: tuple[str, ...] = ("auto", "side", "rear", "front")
SETTINGS_CHOICES: tuple[str, ...] = ("auto", "treadmill", "overground")
BACKEND_LABELS: dict[str, str] = {"mediapipe": "MediaPipe Tasks",
                                  "onnx": "ONNX Runtime (default, faster on CPU)"}
"""How the pose runtimes are named in the sidebar."""


@dataclass(frozen=True)
class Settings:
    """Everything the user sets that changes an analysis's result.

    Attributes:
        view: ``auto``, ``side``, ``rear`` or ``front``.
        setting: ``auto``, ``treadmill`` or ``overground``.
        height_cm: runner's height (the scale for centimetres); None = formcam's default.
        model: pose model size (``lite``, ``full``, ``heavy``).
        backend: pose runtime, ``mediapipe`` (MediaPipe Tasks) or ``onnx`` (ONNX Runtime,
            the same BlazePose models, faster on CPU; see the README).
        render_video: write the annotated video (when the installed formcam can).
        person_rank: 1-based candidate rank chosen by the user; None = automatic.
        max_fps: run the pose model on at most this many frames per second (None = every frame).
        capture_fps: the frame rate a slow-motion clip was filmed at (None = the file's rate).
        markers: PSIS stickers for pelvic drop in rear/front views, ASIS/PSIS stickers for pelvic
            tilt in side views (``auto``, ``off``, ``pelvis``, ``pelvis,heels``;
            :mod:`formcam.pose.pelvis_pass`, :mod:`formcam.pose.side_pass`).
    """

    view: str = "auto"
    setting: str = "auto"
    height_cm: float | None = None
    model: str = "full"
    render_video: bool = True
    person_rank: int | None = None
    max_fps: float | None = None
    backend: str = "onnx"  # formcam.pose.DEFAULT_BACKEND (the CLI's default too)
    capture_fps: float | None = None
    markers: str = "auto"

    def pose_part(self) -> tuple[str, str, int | None, float | None, str]:
        """The settings that change the pose stage (the rest can be replayed from keypoints); the
        marker setting changes the pelvis pass, which the keypoints file carries."""
        return self.backend, self.model, self.person_rank, self.max_fps, self.markers

    def canonical(self) -> str:
        """Stable JSON text of the settings (part of the cache key)."""
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class Source:
    """The video being analysed.

    Attributes:
        kind: ``"upload"`` (bytes held by the upload widget; copied to a temp file per run)
            or ``"sample"`` (a file that stays where it is).
        name: the name shown to the user.
        sha256: SHA-256 of the video bytes.
        path: the file, for a sample; None for an upload.
    """

    kind: str
    name: str
    sha256: str
    path: Path | None = None


def cache_key(sha256: str, settings: Settings) -> str:
    """Key of an analysis result: the video's SHA-256 plus the settings' digest."""
    digest = hashlib.sha256(settings.canonical().encode()).hexdigest()[:12]
    return f"{sha256[:16]}-{digest}"


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    log.debug("removed %s", path)


class Workspace:
    """A session's private temp folder: ``uploads/`` for video copies, ``runs/<key>/`` for outputs.

    The folder is removed by :meth:`cleanup`, when this object is garbage-collected
    (the session ended) or at interpreter exit, whichever comes first.
    """

    def __init__(self, parent: str | Path | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="formcam-app-", dir=parent))
        self._finalizer = weakref.finalize(self, _remove_tree, self.root)

    @property
    def alive(self) -> bool:
        """False once :meth:`cleanup` ran."""
        return self._finalizer.alive

    def uploads(self) -> Path:
        """Folder for the uploaded copies (created on demand)."""
        path = self.root / "uploads"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def run_dir(self, key: str) -> Path:
        """Output folder of the analysis ``key`` (created on demand)."""
        path = self.root / "runs" / key
        path.mkdir(parents=True, exist_ok=True)
        return path

    def cleanup(self) -> None:
        """Delete the folder and everything in it (idempotent)."""
        self._finalizer()


@dataclass
class Entry:
    """One finished analysis as the page shows it.

    Attributes:
        key: its :func:`cache_key`.
        name: the video's file name as the user knows it.
        sha256: the video's SHA-256.
        settings: the settings it ran with.
        report: the report dict.
        files: output files by kind (``report``, ``keypoints``, ``html``, ``csv``, ``video``...).
        out_dir: the output folder (key-frame paths in the report are relative to it).
        series: the runner's pose series.
        how: ``"pose"`` (pose estimation ran) or ``"replay"`` (re-analysed from keypoints).
        elapsed_s: wall time of the analysis.
        thumbnails: PNG bytes of each candidate runner (rank order) when several were tracked.
        extra: anything else the page computes once per analysis (e.g. plot data).
    """

    key: str
    name: str
    sha256: str
    settings: Settings
    report: dict[str, Any]
    files: dict[str, Path]
    out_dir: Path
    series: PoseSeries
    how: str
    elapsed_s: float
    thumbnails: list[bytes | None] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class ResultCache:
    """Most recent analyses of a session, by cache key; evicted entries' folders are deleted."""

    def __init__(self, max_entries: int = 6) -> None:
        if max_entries < 1:
            raise ValueError(f"expected max_entries >= 1, got {max_entries}")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Entry | None:
        """The entry for ``key`` (marked most recently used), or None."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, entry: Entry) -> None:
        """Store ``entry``; evict the least recently used beyond ``max_entries``."""
        self._entries[entry.key] = entry
        self._entries.move_to_end(entry.key)
        while len(self._entries) > self.max_entries:
            _, old = self._entries.popitem(last=False)
            _remove_tree(old.out_dir)

    def replay_source(self, sha256: str, settings: Settings) -> Entry | None:
        """A cached analysis of the same video whose pose stage matches ``settings``.

        Its ``keypoints.npz`` can be re-analysed without the pose model. None when
        there is none, or when ``settings`` asks for an annotated video (that needs
        the frames).
        """
        if settings.render_video:
            return None
        for entry in reversed(self._entries.values()):
            kp = entry.files.get("keypoints")
            if (entry.sha256 == sha256 and entry.settings.pose_part() == settings.pose_part()
                    and kp is not None and kp.is_file()):
                return entry
        return None

    def clear(self) -> None:
        """Forget every entry and delete its folder."""
        for entry in self._entries.values():
            _remove_tree(entry.out_dir)
        self._entries.clear()
