"""Key-frame pictures of a report: the typical and the worst step per side, one per cue.

The pictures come from the video by seeking (:func:`formcam.video.seek.frames_at`:
only the GOPs that hold the wanted frames are decoded, and only those frames are
converted to RGB), or are drawn on a plain background when the video is absent
(a keypoints replay). Overlays of :mod:`formcam.report.overlay`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from formcam.report.csv_report import SIDES, AnalysisLike
from formcam.report.overlay import DrawContext, Img, annotate, draw_context
from formcam.video import frames_at

log = logging.getLogger(__name__)

_AT_MID = frozenset({"trunk_lean_deg", "vertical_oscillation_cm", "pelvic_drop_deg", "lateral_trunk_lean_deg",
           "pelvic_sway_cm"})


def _instant(st: dict[str, Any], metric: str) -> int:
    """Pose frame at which ``metric`` of step ``st`` is read (contact, midstance or toe-off)."""
    ic, to = int(st["contact_frame"]), int(st.get("toe_off_frame") or st["contact_frame"])
    return (ic + to) // 2 if metric in _AT_MID else to if metric == "hip_extension_deg" else ic


def _plan(ctx: DrawContext) -> list[tuple[str, int, str, dict[str, Any] | None]]:
    """Key frames ``(name, pose frame, caption, cue)``: typical and worst step per side, one per cue."""
    side_view = ctx.table.view == "side"
    metric, unit = ("overstride_cm", "cm") if side_view else ("pelvic_drop_deg", "deg")
    what = "overstride" if side_view else "pelvic drop"
    out: list[tuple[str, int, str, dict[str, Any] | None]] = []
    for s in SIDES:
        steps = [st for st in ctx.steps if st["side"] == s and st.get(metric) is not None]
        if not steps:
            continue
        med = float(np.median([st[metric] for st in steps]))
        typ = min(steps, key=lambda st: abs(st[metric] - med))
        worst = max(steps, key=lambda st: st[metric])
        moment = "contact" if side_view else "midstance"
        for kind, st in (("typical", typ), ("worst", worst))[: 1 if worst is typ else 2]:
            name = f"{moment}_{s}_{kind}" if side_view or kind == "typical" else f"peak_pelvic_drop_{s}"
            f = _instant(st, metric)
            t = ctx.table.series.t_s[min(f, ctx.table.series.n_frames - 1)]
            label = "typical" if kind == "typical" else "largest"
            out.append((name, f, f"{s.capitalize()} foot {moment} at {t:.2f} s (frame {f}): {what} "
                        f"{st[metric]:+.1f} {unit}, {label} of {len(steps)} {s} steps.", None))
    by_frame = {st["contact_frame"]: st for st in ctx.steps}
    for cue in ctx.cues:
        if cue["severity"] == "info" or not cue.get("frames"):
            continue
        hit = by_frame.get(cue["frames"][0])
        f = _instant(hit, cue["metric"]) if hit is not None else int(cue["frames"][0])
        val = hit.get(cue["metric"]) if hit is not None else None
        t = ctx.table.series.t_s[min(f, ctx.table.series.n_frames - 1)]
        shown = f": {cue['metric']} {val:.3g}" if isinstance(val, float) else ""
        who = f"{hit['side']} foot, " if hit is not None else ""
        out.append((f"cue_{cue['id']}", f, f"Worst step for this cue ({who}frame {f} at {t:.2f} s){shown}.",
                    cue))
    n = ctx.table.series.n_frames
    return [p for p in out if 0 <= p[1] < n]


def _keyframe_images(video_path: Path | None, ctx: DrawContext, wanted: set[int]) -> dict[int, Img]:
    """Pictures of the wanted pose frames: from the video (seeking; only these frames are
    converted), or a plain background when there is no video."""
    s = ctx.table.series
    order = sorted(wanted)
    if video_path is None:
        return {j: np.full((s.height, s.width, 3), 48, np.uint8) for j in order}
    images = frames_at(video_path, [ctx.video_time_s(float(s.t_s[j])) for j in order],
                       tol_s=ctx.video_time_s(0.5 / s.fps) + 1e-6)
    return {j: img for j, img in zip(order, images, strict=True) if img is not None}


def write_keyframes(video_path: str | Path | None, analysis_like: AnalysisLike, report: dict[str, Any],
                    out_dir: str | Path, *, max_side: int = 720, crop_pad: float | None = 0.15,
                    flash_s: float = 0.2) -> list[dict[str, Any]]:
    """Write annotated key-frame PNGs into ``out_dir`` and return ``[{name, frame, path, caption}]``.

    Key frames: per side the typical and the worst step (side view: contact, by
    ``overstride_cm``; rear/front: midstance, by ``pelvic_drop_deg``), and one per
    watch/concern cue at its worst step (with the cue as banner). Frames that would
    repeat share one file. ``video_path=None`` draws on a plain background.
    Images are cropped to the runner (``crop_pad``: margin as a fraction of the body
    size; None = whole frame) and scaled down to at most ``max_side`` pixels.
    """
    ctx = draw_context(analysis_like, report, flash_s)
    plan = _plan(ctx)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    images = _keyframe_images(Path(video_path) if video_path else None, ctx, {f for _, f, _, _ in plan})
    done: dict[tuple[int, str | None], Path] = {}
    result = []
    for name, f, caption, cue in plan:
        if f not in images:
            log.warning("key frame %s: frame %d not found in the video", name, f)
            continue
        key = (f, cue["id"] if cue else None)
        if key not in done:
            img = annotate(images[f], ctx, f, cue=cue, crop_pad=crop_pad, auto_cue=False)
            k = max_side / max(img.shape[:2])
            if k < 1:
                img = np.asarray(cv2.resize(img, (round(img.shape[1] * k), round(img.shape[0] * k)),
                                            interpolation=cv2.INTER_AREA), dtype=np.uint8)
            path = out_dir / f"{name}.png"
            cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
            done[key] = path
        result.append({"name": name, "frame": f, "path": done[key], "caption": caption})
    return result
