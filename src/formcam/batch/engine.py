"""Run batch tasks in-process, in local worker processes, or on Ray; resume; summarise.

Parallelism: one MediaPipe worker keeps about two cores busy (video decoding
plus TFLite/XNNPACK inference), so the default is ``cores // 2`` workers (at
least 1, at most the number of videos). More workers than that only
oversubscribe the cores. ``--engine ray`` sends the same task function
to a Ray cluster (``ray.init(address=...)``; a local one when no address
is given), reserving 2 CPUs per task.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from formcam.batch.discover import CONFIG_NAME, VIDEO_PATTERNS, discover, settings_for
from formcam.batch.summary import error_row, write_summary, write_trend
from formcam.batch.task import Job, Outcome, pose_runtime, run_job
from formcam.errors import ConfigError
from formcam.pipeline import ensure_out_dir

log = logging.getLogger(__name__)

ENGINES = ("local", "ray")
CPUS_PER_TASK = 2


@dataclass(frozen=True)
class BatchOptions:
    """Options of a batch run; ``settings`` are batch-wide defaults that folder
    ``formcam.toml`` files refine."""

    include: tuple[str, ...] = VIDEO_PATTERNS
    exclude: tuple[str, ...] = ()
    workers: int | None = None
    resume: bool = False
    engine: str = "local"
    ray_address: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ConfigError(f"--engine: expected one of {ENGINES}, got {self.engine!r}")
        if self.workers is not None and self.workers < 1:
            raise ConfigError(f"--workers: expected 1 or more, got {self.workers}")


@dataclass(frozen=True)
class BatchResult:
    rows: list[dict[str, Any]]
    n_ok: int
    n_error: int
    n_partial: int
    n_reused: int
    files: list[Path]


def default_workers(n_jobs: int) -> int:
    return max(1, min(n_jobs, (os.cpu_count() or 2) // CPUS_PER_TASK))


def _local(jobs: list[Job], workers: int) -> Iterator[tuple[Job, Outcome]]:
    """Run jobs in ``workers`` spawned processes (never in-process: a native crash in
    one video must not take the batch down). Jobs lost to a crashed pool are retried
    one per fresh process, so only the video that crashes gets an error row."""
    crashed: list[Job] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures: dict[Future[Outcome], Job] = {pool.submit(run_job, j): j for j in jobs}
        while futures:
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for fut in done:
                job = futures.pop(fut)
                try:
                    yield job, fut.result()
                except BrokenProcessPool:
                    crashed.append(job)
    for job in crashed:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            try:
                yield job, pool.submit(run_job, job).result()
            except BrokenProcessPool:
                yield job, Outcome(error_row(job.rel, f"{job.rel}: the analysis process crashed"), False)


def _ray(jobs: list[Job], address: str | None) -> Iterator[tuple[Job, Outcome]]:
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray: pip install 'formcam[ray]'") from None
    if not ray.is_initialized():
        num_cpus = None if address else max(CPUS_PER_TASK, os.cpu_count() or 2)
        ray.init(address=address, num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(num_cpus=CPUS_PER_TASK, max_retries=1)(run_job)
    refs = {remote.remote(job): job for job in jobs}
    while refs:
        done, _ = ray.wait(list(refs), num_returns=1)
        job = refs.pop(done[0])
        try:
            yield job, ray.get(done[0])
        except ray.exceptions.RayError as exc:
            yield job, Outcome(error_row(job.rel, f"{job.rel}: the Ray task failed ({exc})"), False)


def make_jobs(root: Path, out: Path, options: BatchOptions) -> list[Job]:
    """One job per video found, with the batch-wide settings overridden by its folders'
    ``formcam.toml`` files.

    Raises:
        ConfigError: a folder file cannot be read, or a video's merged settings ask for a
            person-detector interval without the onnx backend (before any video is analysed).
    """
    rels = discover(root, include=options.include, exclude=options.exclude, skip=out)
    jobs = [Job(root=str(root), rel=rel.as_posix(), out=str(out),
                settings={**options.settings, **settings_for(root, rel)}, resume=options.resume)
            for rel in rels]
    for job in jobs:
        _check_settings(job)
    return jobs


def _check_settings(job: Job) -> None:
    """Settings that are valid one by one but not together, refused with the video's name."""
    from formcam.pose import check_detect_interval

    try:
        check_detect_interval(*pose_runtime(job.settings))
    except ConfigError as exc:
        raise ConfigError(f"{job.rel}: {exc}: add --backend onnx, or backend = \"onnx\" to a "
                          f"{CONFIG_NAME} above it") from None


def run_batch(root: str | Path, out: str | Path, options: BatchOptions | None = None, *,
              on_done: Callable[[Job, Outcome, int, int], None] | None = None) -> BatchResult:
    """Analyse every video under ``root`` into ``out``; write ``summary.csv`` as results arrive.

    ``on_done(job, outcome, n_done, n_total)`` is called after each video.
    """
    options = options or BatchOptions()
    root, out = Path(root), ensure_out_dir(out)
    jobs = make_jobs(root, out, options)
    if options.engine == "ray":
        stream = _ray(jobs, options.ray_address)
    else:
        stream = _local(jobs, options.workers or default_workers(len(jobs)))
    rows: list[dict[str, Any]] = []
    reused = 0
    for job, outcome in stream:
        rows.append(outcome.row)
        reused += int(outcome.row["status"] != "error" and not outcome.pose_ran)
        write_summary(rows, out)
        if on_done is not None:
            on_done(job, outcome, len(rows), len(jobs))
    files = write_summary(rows, out)
    trend = write_trend(rows, root, out)
    n_ok, n_partial = (sum(r["status"] == s for r in rows) for s in ("ok", "partial"))
    return BatchResult(rows=sorted(rows, key=lambda r: str(r["path"])), n_ok=n_ok, n_partial=n_partial,
                       n_error=len(rows) - n_ok - n_partial,
                       n_reused=reused, files=[*files, *([trend] if trend else [])])
