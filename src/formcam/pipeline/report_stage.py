"""The report stage of one clip: a runner's series and pose ``meta`` in, the report (with cues)
and the :class:`~formcam.analysis.Analysis` out (:func:`analyse`; pure, no files)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from formcam.options import AnalyzeOptions
from formcam.pose import quality_of
from formcam.series import FootMotion, PelvisImage, PoseSeries

if TYPE_CHECKING:
    from formcam.analysis import Analysis


def sampling_of(series: PoseSeries, meta: dict[str, Any]) -> dict[str, Any]:
    """The ``quality`` fields saying which frames were analysed and the event-timing resolution.

    ``analysed_fps`` and ``analysed_frame_count``: the pose series (every ``frame_step``-th
    video frame); ``frame_interval_ms``: the time between analysed frames. Contact and
    toe-off are interpolated between analysed frames (``event_timing``): their resolution
    is finer than one interval, but their accuracy still falls with the analysed rate
    (below 60 fps the analysis warns) and depends on the pose model (``formcam verify``).
    """
    step = int((meta.get("sampling") or {}).get("frame_step", 1))
    return {"analysed_fps": round(series.fps, 6), "analysed_frame_count": series.n_frames, "frame_step": step,
            "frame_interval_ms": round(1000.0 / series.fps, 3),
            "event_timing": "sub-frame (contact and toe-off interpolated between analysed frames)"}


def analyse(series: PoseSeries, meta: dict[str, Any], options: AnalyzeOptions,
            foot_motion: FootMotion | None = None) -> tuple[dict[str, Any], Analysis | None]:
    """Analyse a runner's series; return the report (with cues) and the analysis.

    ``foot_motion``: the feet' image motion from the pose pass (contact timing, side view).
    Pure: the same series, meta, options and foot motion give the same report.
    """
    from formcam.analysis import analyze_series, with_pelvis_image, with_pelvis_tilt
    from formcam.report import add_cues, build_report, disclaimer

    quality: dict[str, Any] = {**quality_of(series), **sampling_of(series, meta),
                               "warnings": list(meta.get("pose_warnings", []))}
    fields: dict[str, Any] | None = None
    result: Analysis | None = None
    if not options.keypoints_only:
        stated_fps = float((meta.get("input") or {}).get("fps") or series.fps)
        result = analyze_series(series, view=options.view, setting=options.setting,
                                direction=options.direction, height_cm=options.height_cm,
                                time_scale=options.time_scale(stated_fps), foot_motion=foot_motion)
        image = PelvisImage.from_meta(meta.get("pelvis_image"))
        result = with_pelvis_image(result, image if image is None or image.view == "rear" else None)
        result = with_pelvis_tilt(result, image, markers=options.markers)
        fields = result.to_report_fields()
        extra = fields.pop("quality")
        quality["warnings"] += extra.pop("warnings")
        quality.update(extra)
    settings = {**meta.get("pose_settings", {}), **options.analysis_settings()}
    report = build_report(meta=meta, quality=quality, settings=settings, analysis=fields)
    report["disclaimer"] = disclaimer()
    if result is not None:
        add_cues(report, options.rules_path)
    return report, result


def report_from_series(series: PoseSeries, meta: dict[str, Any], options: AnalyzeOptions) -> dict[str, Any]:
    """The report of :func:`analyse` alone."""
    return analyse(series, meta, options)[0]
