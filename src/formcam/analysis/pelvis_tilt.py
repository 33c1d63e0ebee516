"""Sagittal pelvic tilt from the side-view ASIS and PSIS stickers (issue 19).

The pose stage's side sticker pass (:mod:`formcam.pose.side_pass`) gives the image-left and
image-right sticker per frame (a :class:`formcam.series.PelvisImage` with ``view="side"``);
:func:`with_pelvis_tilt` adds ``pelvic_tilt_deg`` (mean anterior tilt) and
``pelvic_tilt_range_deg`` (median per-stride peak-to-peak) to the report, source ``markers``.
Without stickers nothing is reported under ``--markers auto``; under ``pelvis`` both entries
say why they are missing and a warning asks for the stickers. Never a silent zero.

Sign convention: ``tilt = atan2(y_ASIS - y_PSIS, forward * (x_ASIS - x_PSIS))`` in image pixels
(y down), in degrees: + = anterior tilt (the ASIS lower than the PSIS), the same whether the
runner faces image-right (``forward_sign`` +1) or image-left (-1). The camera must be level
(as for trunk lean): a camera roll adds to the tilt one to one.

Frames where either sticker is hidden are dropped, never filled. Per stride (same-foot contact
to the next), the tilt is fitted with a step-periodic curve (mean plus the step frequency's first
two harmonics: the pelvis tilts once per step, most anterior around mid-stance, Schache 2002),
so a stride whose ASIS is hidden by the arm for part of it still gives its mean and range when
the seen frames cover every phase of the step (:func:`stride_covered`). The clip's mean tilt is
the median of the covered strides' fitted means, its range the median of their fitted
peak-to-peak; both are withheld unless at least :data:`MIN_STRIDES` strides and at least half
of all strides are covered.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.analysis.core import Analysis
from formcam.analysis.plausibility import check_summary
from formcam.analysis.view import classify_view
from formcam.series import PelvisImage, PoseSeries

log = logging.getLogger(__name__)

Arr = NDArray[np.float64]
MIN_STRIDES = 4
MAX_PHASE_GAP = 0.25
"""Largest gap, as a fraction of a step, in the step phases seen within a stride."""
HARMONICS = 2
MAX_STRIDE_SPREAD_DEG = 4.0
"""Largest interquartile range of the strides' fitted mean tilt: a runner's pelvis repeats its tilt
from stride to stride within a degree or two (Schache 2002); two specks taken for stickers do not."""
MAX_FOLLOW_RATIO = 0.5
"""The stickers ride on the pelvis: their midpoint's motion relative to the hips' keypoint (RMS
about its mean) must stay under half the hips' own motion (the bounce, and the travel
overground). A static pair (a treadmill's handrail) moves by exactly the hips' motion."""
MAX_SPACING_SPREAD = 0.1
"""Largest interquartile range of the stickers' spacing, as a share of its median: they ride on one
bone (the pelvis's turn about the vertical changes it by under 2 %)."""


def tilt_series_deg(dots_px: Arr, *, forward_sign: int) -> Arr:
    """``(T,)`` tilt (deg, + anterior) from ``dots_px`` ``(T, 2, 2)`` image-left and image-right
    sticker centres; NaN where either is missing. The front sticker (ASIS) is the one on the
    runner's facing side."""
    left, right = dots_px[:, 0], dots_px[:, 1]
    front, back = (right, left) if forward_sign > 0 else (left, right)
    return np.degrees(np.arctan2(front[:, 1] - back[:, 1], forward_sign * (front[:, 0] - back[:, 0])))


def stride_covered(phase: Arr, *, n_params: int = 1 + 2 * HARMONICS) -> bool:
    """Whether step phases ``phase`` (0..1) of a stride's seen frames cover the step: at least two
    samples per fitted parameter and no phase gap over :data:`MAX_PHASE_GAP` (wrapping round)."""
    if phase.size < 2 * n_params:
        return False
    p = np.sort(phase % 1.0)
    gaps = np.diff(np.concatenate([p, [p[0] + 1.0]]))
    return bool(gaps.max() <= MAX_PHASE_GAP)


def fit_stride(t_s: Arr, tilt_deg: Arr, *, t0_s: float, step_s: float) -> tuple[float, float] | None:
    """Fitted mean and peak-to-peak (deg) of one stride's seen tilt samples, or None when the
    step is not covered (:func:`stride_covered`)."""
    ok = np.isfinite(tilt_deg)
    phase = (t_s[ok] - t0_s) / step_s
    if not stride_covered(phase):
        return None
    w = 2.0 * np.pi * phase
    cols = [np.ones_like(w)] + [f(k * w) for k in range(1, HARMONICS + 1) for f in (np.cos, np.sin)]
    coef, *_ = np.linalg.lstsq(np.column_stack(cols), tilt_deg[ok], rcond=None)
    g = 2.0 * np.pi * np.linspace(0.0, 1.0, 200, endpoint=False)
    curve = coef[0] + sum(
        coef[2 * k - 1] * np.cos(k * g) + coef[2 * k] * np.sin(k * g) for k in range(1, HARMONICS + 1)
    )
    return float(coef[0]), float(np.ptp(curve))


def tilt_summary(
    t_s: Arr, tilt_deg: Arr, strides: list[tuple[float, float]]
) -> dict[str, float | int | str | None]:
    """``mean_deg``, ``range_deg`` (medians over covered strides), ``n_strides``, ``n_covered``
    and ``reason`` (None when reported) from per-frame tilt and strides ``[(start_s, end_s)]``."""
    fits = []
    for t0, t1 in strides:
        inside = (t_s >= t0) & (t_s < t1)
        got = fit_stride(t_s[inside], tilt_deg[inside], t0_s=t0, step_s=0.5 * (t1 - t0))
        if got is not None:
            fits.append(got)
    out: dict[str, float | int | str | None] = {
        "mean_deg": None,
        "range_deg": None,
        "n_strides": len(strides),
        "n_covered": len(fits),
        "reason": None,
    }
    if len(fits) < MIN_STRIDES or len(fits) < 0.5 * len(strides):
        out["reason"] = (
            f"both pelvis stickers seen through the whole step in {len(fits)} of {len(strides)} "
            f"strides; at least {MIN_STRIDES} and half are needed"
        )
        return out
    arr = np.array(fits)
    q75, q25 = np.percentile(arr[:, 0], [75, 25])
    if q75 - q25 > MAX_STRIDE_SPREAD_DEG:
        out["reason"] = (
            f"the sticker line's mean angle varies by {q75 - q25:.1f} deg from stride to stride (IQR; "
            f"a pelvis keeps it within about {MAX_STRIDE_SPREAD_DEG:g} deg): not two stickers followed"
        )
        return out
    out.update(mean_deg=float(np.median(arr[:, 0])), range_deg=float(np.median(arr[:, 1])))
    return out


def spacing_spread(dots_px: Arr) -> float | None:
    """Interquartile range over median of the two stickers' spacing in frames with both (None
    with fewer than 10 such frames): two stickers on one bone keep it within a few %."""
    sep = np.hypot(*(dots_px[:, 1] - dots_px[:, 0]).T)
    sep = sep[np.isfinite(sep)]
    if sep.size < 10:
        return None
    q75, q50, q25 = np.percentile(sep, [75, 50, 25])
    return float((q75 - q25) / q50)


TILT_METRICS = ("pelvic_tilt_deg", "pelvic_tilt_range_deg")
SIGN_NOTE = "+ anterior: the ASIS (front sticker) lower than the PSIS (back sticker)"
MISSING = (
    "ASIS and PSIS stickers were asked for (--markers pelvis) but not found in enough strides: put "
    "a 1.5-3 cm high-contrast sticker on the front and the back hip bone of the side facing the camera "
    "(see the README)"
)


def wants_tilt_pass(series: PoseSeries, *, view: str | None, markers: str) -> bool:
    """Whether to look for the side-view pelvis stickers: stickers stated (``markers`` ``pelvis``
    or ``pelvis,heels``; not ``auto``) and a side view (forced by ``view``, else from the
    keypoints). The search is a second decode of the clip (22 ms a frame on a 1080x1920 phone
    clip, more than the pose model's time): every side clip would pay it under ``auto`` for
    stickers that few have, so a side view looks for them only when told they are there."""
    if markers not in ("pelvis", "pelvis,heels"):
        return False
    return view == "side" if view is not None else classify_view(series).value == "side"


def strides_of(analysis: Analysis) -> list[tuple[float, float]]:
    """``[(start_s, end_s)]``: each contact to the same foot's next one, when that comes within 1.5
    stride periods (no missed contact between)."""
    ev, out = analysis.events, []
    for k, c in enumerate(ev.contacts):
        nxt = next((n for n in ev.contacts[k + 1 :] if n.side == c.side), None)
        if nxt is not None and nxt.ic_s - c.ic_s <= 1.5 * ev.stride_period_s:
            out.append((float(c.ic_s), float(nxt.ic_s)))
    return out


def _entries(summary: dict[str, Any], reason: str | None) -> dict[str, dict[str, Any]]:
    out = {}
    for name, key in zip(TILT_METRICS, ("mean_deg", "range_deg"), strict=True):
        value = summary.get(key)
        out[name] = {
            "value": value,
            "unit": "deg",
            "left": None,
            "right": None,
            "n_steps": 2 * int(summary.get("n_covered") or 0),
            "available": value is not None,
            "reason": None if value is not None else reason,
            "spread": None,
            "source": "markers",
            "n_strides": summary.get("n_covered"),
            "note": SIGN_NOTE,
        }
    return out


def follow_ratio(dots_px: Arr, hip_px: Arr) -> float | None:
    """RMS motion of the stickers' midpoint relative to ``hip_px`` ``(T, 2)`` over the hips' own RMS
    motion, in frames with both stickers (None when fewer than 10, or the hips moved under 2 px)."""
    mid = 0.5 * (dots_px[:, 0] + dots_px[:, 1])
    ok = np.isfinite(mid).all(axis=1) & np.isfinite(hip_px).all(axis=1)
    if ok.sum() < 10:
        return None
    own = float(np.sqrt(np.sum(np.var(hip_px[ok], axis=0))))
    rel = float(np.sqrt(np.sum(np.var(mid[ok] - hip_px[ok], axis=0))))
    return rel / own if own >= 2.0 else None


def clip_tilt(analysis: Analysis, img: PelvisImage) -> dict[str, Any]:
    """:func:`tilt_summary` of the sticker pass ``img``, withheld (``reason``) when the two dots do
    not move with the hips (:data:`MAX_FOLLOW_RATIO`) or their spacing is not constant
    (:data:`MAX_SPACING_SPREAD`)."""
    kin = analysis.kinematics
    tilt = tilt_series_deg(img.dots_px, forward_sign=kin.forward_sign)
    summary: dict[str, Any] = dict(tilt_summary(kin.t_s, tilt, strides_of(analysis)))
    series = analysis.series
    hip = 0.5 * (series.xy[:, series.index("left_hip")] + series.xy[:, series.index("right_hip")])
    follow = follow_ratio(img.dots_px, np.asarray(hip, dtype=np.float64))
    spread = spacing_spread(img.dots_px)
    failed = [reason for bad, reason in (
        (follow is not None and follow > MAX_FOLLOW_RATIO,
         f"the two dots do not move with the hips (relative motion {follow or 0.0:.2f} of the hips' own): "
         "not stickers on the pelvis"),
        (spread is not None and spread > MAX_SPACING_SPREAD,
         f"the two dots' spacing varies by {100 * (spread or 0.0):.0f} % (interquartile range): "
         "not two stickers on the pelvis"),
    ) if bad]
    if summary["mean_deg"] is not None and failed:
        summary.update(mean_deg=None, range_deg=None, reason=failed[0])  # the first check that fails
    return summary


def with_pelvis_tilt(analysis: Analysis, img: PelvisImage | None, *, markers: str) -> Analysis:
    """``analysis`` with the side-view pelvic tilt entries (see the module doc)."""
    if analysis.view.view.value != "side" or markers == "off":
        return analysis
    usable = img is not None and img.view == "side" and img.n_frames == analysis.kinematics.t_s.size
    summary = clip_tilt(analysis, img) if usable and img is not None else {"reason": "no sticker pass ran"}
    if summary.get("mean_deg") is None and not markers.startswith("pelvis"):
        log.info("pelvic tilt not reported: %s", summary.get("reason"))
        return analysis
    entries = _entries(summary, str(summary.get("reason")))
    notes = check_summary(entries, analysis.events, setting=analysis.view.setting.value)
    if any(not e["available"] for e in entries.values()):
        for e in entries.values():  # one fit gives both: one implausible withholds the other
            if e["available"]:
                e.update(available=False, value=None, reason="withheld with the other pelvic tilt value")
    warnings = list(analysis.warnings) + notes
    if summary.get("mean_deg") is None:
        warnings.append(f"{MISSING} ({summary.get('reason')})")
    log.info(
        "pelvic tilt from stickers: %s", {k: summary.get(k) for k in ("mean_deg", "range_deg", "n_covered")}
    )
    return replace(analysis, metrics={**analysis.metrics, **entries}, warnings=tuple(warnings))
