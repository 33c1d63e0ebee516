"""Everything written beside ``report.json``, in one call: :func:`write_outputs`.

The pipeline calls it after the analysis and *before* writing ``report.json``:
it adds ``report["cues"]`` (:func:`formcam.report.cues.evaluate`) and writes into ``out_dir``

==========================  ==================================================
``report.html``             self-contained report (:mod:`formcam.report.html_report`)
``frames.csv``              per-frame angles, positions, events (:mod:`formcam.report.csv_report`)
``plots/*.png``             time series and left/right comparison (:mod:`formcam.report.plots`)
``keyframes/*.png``         annotated key frames (:func:`formcam.report.keyframes.write_keyframes`)
``annotated.mp4``           annotated H.264 video, when ``video_path`` is given and ``video``
==========================  ==================================================

Only the cleaned pose series (an ``Analysis`` or the series itself) and the report
are needed, so a keypoints replay gets the same outputs (the video is optional).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from formcam.report.csv_report import AnalysisLike, FrameTable, frame_table, write_frames_csv
from formcam.report.cues import RuleSet, evaluate, load_rules
from formcam.report.html_report import write_html
from formcam.report.keyframes import write_keyframes
from formcam.report.pelvis_plot import pelvic_drop_steps_png
from formcam.report.plots import left_right_png, timeseries_png
from formcam.report.render import render_video

log = logging.getLogger(__name__)
ProgressFn = Callable[[str, int, int], None]


def add_cues(report: dict[str, Any], rules: RuleSet | str | Path | None = None) -> list[dict[str, Any]]:
    """Evaluate the rules on ``report`` and store the result in ``report["cues"]`` (also returned).

    Raises:
        ConfigError: ``rules`` names a bad rules file.
    """
    rule_set = rules if isinstance(rules, RuleSet) else load_rules(rules)
    fps = analysed_fps(report)
    report["cues"] = evaluate(report.get("metrics") or {}, list(report.get("steps") or []),
                              report.get("view"), rule_set, fps=float(fps) if fps else None)
    return list(report["cues"])


def analysed_fps(report: dict[str, Any]) -> float | None:
    """Frame rate of the analysed series: ``quality.analysed_fps`` (set when ``--max-fps``
    thinned the frames), else the video's ``input.fps``; None when the report has neither."""
    fps = (report.get("quality") or {}).get("analysed_fps") or (report.get("input") or {}).get("fps")
    return float(fps) if fps else None


def write_outputs(analysis: AnalysisLike | None, report: dict[str, Any], out_dir: str | Path, *,
                  video_path: str | Path | None, video: bool = True, progress: ProgressFn | None = None,
                  rules: RuleSet | str | Path | None = None, cues_done: bool = False) -> dict[str, Path]:
    """Add cues to ``report`` and write the HTML, CSV, plots, key frames and annotated video.

    The key frames are grabbed from the video in a worker thread while the CSV and the
    plots are made (decoding releases the GIL; matplotlib mostly holds it).

    Args:
        analysis: the :class:`formcam.analysis.core.Analysis` (or its cleaned ``PoseSeries``);
            None when no analysis ran (``--keypoints-only``): only ``report.html`` is written.
        report: the report dict (mutated: ``cues`` is set).
        out_dir: output folder (created).
        video_path: the analysed video; None for a replay without the video (key frames
            are then drawn on a plain background and no video is written).
        video: write ``annotated.mp4`` (``--no-video`` sets it False).
        progress: ``progress(stage, done, total)``; stages ``outputs`` and ``render``.
        rules: a :class:`RuleSet`, an override rules file (``--rules FILE``) or None (shipped rules).
        cues_done: ``report["cues"]`` was already evaluated with these rules (the pipeline
            does it in :func:`formcam.pipeline.report_stage.analyse`); do not evaluate them again.

    Returns:
        ``{"html", "frames_csv", "plot_<name>", "keyframe_<name>", "video"}`` -> path, for files written.

    Raises:
        ConfigError: the rules file is bad. InputError / VideoError: the video cannot be read.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rule_set = rules if isinstance(rules, RuleSet) else load_rules(rules)
    if not cues_done:
        add_cues(report, rule_set)
    files: dict[str, Path] = {}
    plots: dict[str, bytes] = {}
    keyframes: list[dict[str, Any]] = []
    steps_total = 4 if analysis is not None else 1
    if analysis is not None and report.get("view"):
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="formcam-keyframes") as pool:
            grabbing = pool.submit(write_keyframes, video_path, analysis, report, out / "keyframes")
            table = frame_table(analysis, report)
            files["frames_csv"] = write_frames_csv(out / "frames.csv", table, report)
            _tick(progress, 1, steps_total)
            files.update(_write_plots(table, report, out / "plots", rule_set, plots))
            _tick(progress, 2, steps_total)
            keyframes = grabbing.result()
        files.update({f"keyframe_{k['name']}": Path(k["path"]) for k in keyframes})
        _tick(progress, 3, steps_total)
        if video and video_path is not None:
            files["video"] = render_video(video_path, analysis, report, out / "annotated.mp4",
                                          progress=progress)
    others = sorted({p.relative_to(out).as_posix() for p in files.values()} | {"report.json"})
    files["html"] = write_html(out / "report.html", report, rules=rule_set, plots=plots, keyframes=keyframes,
                               files=others)
    _tick(progress, steps_total, steps_total)
    log.info("wrote %d output files into %s", len(files), out)
    return files


def _write_plots(table: FrameTable, report: dict[str, Any], folder: Path, rule_set: RuleSet,
                 plots: dict[str, bytes]) -> dict[str, Path]:
    """Write ``timeseries.png`` and ``left_right.png`` into ``folder``; add their bytes to ``plots``
    under their HTML titles; return ``{"plot_<name>": path}``."""
    folder.mkdir(exist_ok=True)
    files: dict[str, Path] = {}
    ts = timeseries_png(table, report)
    lr = left_right_png(report, typical=rule_set.typical)
    pd = pelvic_drop_steps_png(report)
    for name, title, data in (("timeseries", "Angles and positions over time", ts),
                              ("left_right", "Left and right values (grey: typical range)", lr),
                              ("pelvic_drop_steps", "Pelvic drop per step: the value used and the others",
                               pd)):
        if data is not None:
            files[f"plot_{name}"] = folder / f"{name}.png"
            files[f"plot_{name}"].write_bytes(data)
            plots[title] = data
    return files


def _tick(progress: ProgressFn | None, done: int, total: int) -> None:
    if progress is not None:
        progress("outputs", done, total)
