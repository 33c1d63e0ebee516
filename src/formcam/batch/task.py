"""One batch task: analyse one video into ``OUT/<relative path>/``, atomically.

The task runs in a worker process (local or Ray), so it is a plain function of
a picklable :class:`Job` and never raises: a bad file becomes an error row.
Outputs are written to a hidden temporary folder beside the final one and
renamed into place only when complete, so an interrupted run never leaves a
half report that looks finished. ``formcam_task.json`` in the folder records
the input's sha256, the formcam version and the settings: with ``resume`` a
task whose record matches is not run again.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formcam import __version__
from formcam.errors import FormcamError
from formcam.video import file_sha256

log = logging.getLogger(__name__)

MARKER = "formcam_task.json"


@dataclass(frozen=True)
class Job:
    """A video to analyse: ``root/rel`` into ``out/rel`` with ``settings``."""

    root: str
    rel: str
    out: str
    settings: dict[str, Any] = field(default_factory=dict)
    resume: bool = False

    @property
    def source(self) -> Path:
        return Path(self.root) / self.rel

    @property
    def out_dir(self) -> Path:
        return Path(self.out) / self.rel


@dataclass(frozen=True)
class Outcome:
    """What a task produced: its summary ``row`` and whether the pose model ran."""

    row: dict[str, Any]
    pose_ran: bool


def signature(sha256: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {"input_sha256": sha256, "formcam_version": __version__, "settings": settings}


def pose_runtime(settings: dict[str, Any]) -> tuple[str, float]:
    """The pose backend and person-detector interval (s) of a video's merged settings, with
    formcam's defaults (:data:`formcam.pose.DEFAULT_BACKEND`, 0)."""
    from formcam.pose import DEFAULT_BACKEND

    return str(settings.get("backend", DEFAULT_BACKEND)), float(settings.get("detect_interval_s", 0.0))


def _options(settings: dict[str, Any]) -> Any:
    from formcam.options import AnalyzeOptions

    height, max_fps = settings.get("height_cm"), settings.get("max_fps")
    backend, interval = pose_runtime(settings)
    html, video = bool(settings.get("html", False)), bool(settings.get("video", False))
    return AnalyzeOptions(backend=backend, detect_interval_s=interval,
                          model=str(settings.get("model", "full")), view=settings.get("view"),
                          setting=settings.get("setting"), direction=settings.get("direction"),
                          height_cm=float(height) if height is not None else None,
                          outputs=html or video, render_video=video, rules_path=settings.get("rules"),
                          max_fps=float(max_fps) if max_fps is not None else None,
                          capture_fps=float(settings["capture_fps"]) if "capture_fps" in settings else None,
                          markers=str(settings.get("markers", "auto")))


def _reusable(job: Job, sig: dict[str, Any]) -> dict[str, Any] | None:
    marker, report = job.out_dir / MARKER, job.out_dir / "report.json"
    if not (job.resume and marker.is_file() and report.is_file()):
        return None
    try:
        if json.loads(marker.read_text()) != sig:
            return None
        loaded = json.loads(report.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _analyze_atomically(job: Job, sig: dict[str, Any]) -> dict[str, Any]:
    from formcam.pipeline import analyze_video
    from formcam.report import write_json

    final = job.out_dir
    tmp = final.parent / f".{final.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        result = analyze_video(job.source, tmp, _options(job.settings), sha256=sig["input_sha256"])
        write_json(tmp / MARKER, sig)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result.report


def run_job(job: Job) -> Outcome:
    """Analyse one video; return its summary row (status ok or error). Never raises."""
    from formcam.batch.summary import error_row, report_row

    try:
        job.out_dir.parent.mkdir(parents=True, exist_ok=True)
        sig = signature(file_sha256(job.source), job.settings)
        report = _reusable(job, sig)
        if report is not None:
            log.info("%s: reusing the earlier result (same input, version and settings)", job.rel)
            return Outcome(report_row(job.rel, report), pose_ran=False)
        report = _analyze_atomically(job, sig)
        return Outcome(report_row(job.rel, report), pose_ran=True)
    except FormcamError as exc:
        message = str(exc).replace(str(job.source), job.rel)
        return Outcome(error_row(job.rel, message), pose_ran=False)
    except OSError as exc:
        return Outcome(error_row(job.rel, f"{job.rel}: cannot read or write ({exc})"), pose_ran=False)
    except Exception as exc:  # one bad file must never stop a batch
        log.exception("%s: internal error", job.rel)
        return Outcome(error_row(job.rel, f"{job.rel}: internal error ({type(exc).__name__}: {exc}); "
                                          "please report it"), pose_ran=False)
