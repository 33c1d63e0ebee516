"""Pelvic drop and sway from image evidence of the pelvis instead of the hip keypoints.

The pose model places each hip from the thigh's outline, so its hip line follows the
swinging thigh: on the phantom it shows 0.3 deg of drop for a true 9 deg. The pose stage's
pelvis pass (:class:`formcam.series.PelvisImage`) gives two better sources, used in this
order of preference (``source`` in the report):

* ``markers``: PSIS stickers (clinical 2D method, Dingenen 2018). Obliquity is the sticker
  line against the horizon (camera roll removed as for the keypoints,
  :func:`formcam.analysis.frontal.roll_deg`, but from the bounce of the markers' midpoint:
  :func:`marker_roll_deg`). Sway is that of the hip-joint level, taken one
  inter-PSIS distance below the sticker midpoint along the pelvis's own vertical (the hip
  joint centres sit about that far below the PSIS, Harrington et al. 2007), so the pelvis's
  rotation does not leak into its sideways travel. Used when the pair is found in at least
  :data:`MIN_MARKER_FRACTION` of the frames with the runner.
* ``image``: markerless (when there is texture to track, :data:`MIN_FLOW_POINTS`): the
  rotation of points tracked on the lower back and waistband,
  summed over time; its slow drift and unknown offset are removed by subtracting a
  Gaussian smoothing of half a stride (which passes the once-per-stride obliquity almost
  untouched: gain 0.993), so the values are obliquity about the clip's mean. The clip value
  averages the two feet, so a constant offset cancels anyway. Sway stays from keypoints.
* ``keypoints``: the old hip-keypoint value, with its caveat, when neither is usable.

Per step, ``pelvic_drop_keypoints_deg`` keeps the keypoint value and
``pelvic_drop_markerless_deg`` the markerless one, so the report can show them side by side.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter1d

from formcam.analysis.core import Analysis
from formcam.analysis.frontal import frontal_step, roll_deg
from formcam.analysis.kinematics import Kinematics
from formcam.analysis.plausibility import check_summary
from formcam.analysis.summary import PELVIC_DROP_CAVEAT, summarize
from formcam.analysis.view import classify_view
from formcam.series import PelvisImage, PoseSeries

log = logging.getLogger(__name__)
Arr = NDArray[np.float64]
MIN_MARKER_FRACTION = 0.5
MIN_FLOW_FRACTION = 0.9
MIN_FLOW_POINTS = 20
"""Markerless needs texture: the rotation measured in at least 90 % of the frames with the runner,
from a median of at least 20 agreeing points. On the phantom, textured shorts give 97-100 % and
28-33 points; a plain shirt over the waist (only its outline and highlight to track) 72-87 % and
14-16 points, and reads 2-5 deg for 5-9 deg; the real rear clip's plain shirt 20-44 % and 0-4."""
MAX_GAP_S = 0.1
PELVIC = ("pelvic_drop_deg", "pelvic_sway_cm")


def wants_pelvis_pass(series: PoseSeries, *, view: str | None) -> bool:
    """Whether a clip is a rear or front view (forced by ``view``, else from the keypoints), the
    views where the pelvis pass measures pelvic obliquity."""
    if view is not None:
        return view != "side"
    return classify_view(series).value != "side"


def _fill(y: Arr, max_gap: int) -> Arr:
    """Linear interpolation over NaN runs of at most ``max_gap`` samples (longer runs stay NaN)."""
    y = y.copy()
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return y
    i = np.arange(y.size)
    filled = np.interp(i, i[ok], y[ok])
    run_start = None
    for k in range(y.size + 1):
        bad = k < y.size and not ok[k]
        if bad and run_start is None:
            run_start = k
        elif not bad and run_start is not None:
            if k - run_start <= max_gap and run_start > 0 and k < y.size:
                y[run_start:k] = filled[run_start:k]
            run_start = None
    return y


def marker_kinematics(img: PelvisImage, kin: Kinematics, fps: float) -> Kinematics:
    """``kin`` with the obliquity and hip midpoint of the PSIS markers (short gaps bridged)."""
    gap = max(1, round(MAX_GAP_S * fps))
    d = np.stack([np.stack([_fill(img.dots_px[:, k, c], gap) for c in (0, 1)], -1) for k in (0, 1)], 1)
    v = d[:, 1] - d[:, 0]  # image-left -> image-right dot
    ang = np.degrees(np.arctan2(-v[:, 1], v[:, 0]))  # + right dot higher on screen
    up = np.column_stack([v[:, 1], -v[:, 0]])  # normal pointing up the screen, length = separation
    hip = 0.5 * (d[:, 0] + d[:, 1]) - up
    return replace(kin, pelvis_obliquity_deg=kin.left_sign * ang,
                   hip_mid_uv_px=np.column_stack([kin.forward_sign * hip[:, 0], -hip[:, 1]]))


def marker_roll_deg(img: PelvisImage, kin: Kinematics, fps: float, stride_s: float) -> float:
    """Camera roll (deg) from the bounce axis of the PSIS markers' midpoint
    (:func:`formcam.analysis.frontal.roll_deg`); the markers ride on the pelvis, whose bounce is
    vertical, while the hip keypoints' path is bent by the swinging thighs."""
    gap = max(1, round(MAX_GAP_S * fps))
    mid = np.column_stack([_fill(0.5 * (img.dots_px[:, 0, c] + img.dots_px[:, 1, c]), gap) for c in (0, 1)])
    return roll_deg(replace(kin, hip_mid_uv_px=np.column_stack([kin.forward_sign * mid[:, 0], -mid[:, 1]])),
                    stride_s)


def flow_obliquity_deg(img: PelvisImage, *, fps: float, stride_s: float) -> Arr:
    """``(T,)`` markerless pelvic rotation (deg, + counter-clockwise on screen) about its local
    mean: summed frame-to-frame rotations, high-passed per stretch without gaps."""
    gap = max(1, round(MAX_GAP_S * fps))
    rot = _fill(img.flow_rot_deg, gap)
    out = np.full(rot.size, np.nan)
    sigma = max(0.5 * stride_s * fps, 1.0)
    ok = np.isfinite(rot)
    k = 0
    while k < rot.size:
        if not ok[k]:
            k += 1
            continue
        end = k
        while end < rot.size and ok[end]:
            end += 1
        if end - k >= 2 * stride_s * fps:
            cum = np.cumsum(rot[k:end])
            out[k:end] = cum - gaussian_filter1d(cum, sigma, mode="nearest")
        k = end
    return out


def _stride_end(contacts: tuple[Any, ...], k: int, stride_s: float) -> float | None:
    c = contacts[k]
    for n in contacts[k + 1:]:
        if n.side == c.side:
            return float(n.ic_s) if n.ic_s - c.ic_s <= 1.5 * stride_s else None
    return None


def _steps_from(kin: Kinematics, analysis: Analysis, roll: float) -> list[dict[str, Any]]:
    ev, out = analysis.events, []
    for k in range(len(ev.contacts)):
        out.append(frontal_step(kin, ev.contacts, k, px_per_cm=analysis.scale.px_per_cm,
                                stride_end_s=_stride_end(ev.contacts, k, ev.stride_period_s), roll=roll))
    return out


def choose_source(img: PelvisImage | None, present: NDArray[np.bool_]) -> str:
    """``markers``, ``image`` or ``keypoints`` (see the module doc); ``present``: frames with the runner."""
    if img is None or img.n_frames != present.size or not present.any():
        return "keypoints"
    dots: NDArray[np.bool_] = np.asarray(np.isfinite(img.dots_px).all(axis=(1, 2)), dtype=bool)
    if img.markers != "off" and dots[present].mean() >= MIN_MARKER_FRACTION:
        return "markers"
    return "image" if markerless_method(img, present) is not None else "keypoints"


def markerless_method(img: PelvisImage | None, present: NDArray[np.bool_]) -> str | None:
    """``flow`` when the lower back's texture was tracked well enough (:data:`MIN_FLOW_POINTS`),
    else None (a plain shirt over the pelvis has too little to track)."""
    if img is None or img.n_frames != present.size or not present.any():
        return None
    ok = np.isfinite(img.flow_rot_deg) & present
    if ok.sum() < MIN_FLOW_FRACTION * present.sum():
        return None
    return "flow" if float(np.median(img.flow_points[ok])) >= MIN_FLOW_POINTS else None


def markerless_kinematics(img: PelvisImage, kin: Kinematics, *, method: str, fps: float,
                          stride_s: float) -> tuple[Kinematics, float]:
    """``kin`` with the markerless obliquity of ``method``, and the camera roll to remove (none:
    the tracked rotation is relative, its offset removed with the drift)."""
    rot = flow_obliquity_deg(img, fps=fps, stride_s=stride_s)
    return replace(kin, pelvis_obliquity_deg=kin.left_sign * rot), 0.0


def with_pelvis_image(analysis: Analysis, img: PelvisImage | None) -> Analysis:
    """``analysis`` with pelvic drop (and, with markers, sway) from the image (see the module doc)."""
    if analysis.view.view.value == "side" or not analysis.steps:
        return analysis
    kin, fps = analysis.kinematics, float(analysis.series.fps)
    present = np.asarray(analysis.series.present(min_score=0.3, trunk=False), dtype=bool)
    source = choose_source(img, present)
    steps = [dict(s) for s in analysis.steps]
    for s in steps:
        s["pelvic_drop_keypoints_deg"] = s.get("pelvic_drop_deg")
    stride = analysis.events.stride_period_s
    method = markerless_method(img, present)
    if img is not None and method is not None:
        free, roll = markerless_kinematics(img, kin, method=method, fps=fps, stride_s=stride)
        for s, v in zip(steps, _steps_from(free, analysis, roll), strict=True):
            s["pelvic_drop_markerless_deg"] = v["pelvic_drop_deg"]
            if source == "image":
                s.update(pelvic_drop_deg=v["pelvic_drop_deg"], pelvic_drop_peak_deg=v["pelvic_drop_peak_deg"])
    if source == "markers" and img is not None:
        marked = marker_kinematics(img, kin, fps)
        for s, v in zip(steps, _steps_from(marked, analysis, marker_roll_deg(img, kin, fps, stride)),
                        strict=True):
            s.update(v)
    metrics = dict(analysis.metrics)
    fresh = summarize(steps, analysis.events, view=analysis.view.view.value)
    changed = [n for n in PELVIC if (n == "pelvic_drop_deg" and source != "keypoints") or source == "markers"]
    redone = {n: dict(fresh[n]) for n in changed}
    notes = check_summary(redone, analysis.events, setting=analysis.view.setting.value,  # plausibility again
                          steps=steps)
    for name in PELVIC:
        entry = redone.get(name) or dict(metrics[name])
        entry["source"] = source if name in changed else "keypoints"
        if entry["source"] == "image":
            entry["method"] = method
        metrics[name] = entry
    old = [w for w in analysis.warnings if not any(w.startswith(f"{n} withheld") for n in changed)]
    label = source if source != "image" else f"image-{method}"
    warnings = _warnings(old + notes, label, img)
    log.info("pelvic drop source: %s", source)
    return replace(analysis, steps=tuple(steps), metrics=metrics, warnings=tuple(warnings))


SOURCE_NOTES = {
    "markers": "pelvic drop and sway are measured from the PSIS markers (stickers) on the lower back",
    "image-flow": ("pelvic drop is measured markerless, from points tracked on the waistband and lower back "
                   "(the hip keypoints follow the thighs); PSIS stickers make it more precise"),
    "keypoints": ("markerless pelvic drop was not possible: the clothing between the hips and the waist "
                  "showed too little texture to track (e.g. a plain, loose shirt over it); for a measured "
                  "pelvic drop put two PSIS stickers on, or wear patterned shorts with the shirt tucked in"),
}


def _one_dot_share(img: PelvisImage) -> float:
    """Share of frames where exactly one of the two PSIS dots was found."""
    found = np.isfinite(img.dots_px).all(axis=2).sum(axis=1)
    return float(np.mean(found == 1)) if found.size else 0.0


def _warnings(warnings: list[str], source: str, img: PelvisImage | None) -> list[str]:
    if source.startswith(("markers", "image")):
        warnings = [w for w in warnings if w != PELVIC_DROP_CAVEAT]
        warnings.append(SOURCE_NOTES[source])
    elif img is not None:  # the pass ran but found nothing usable: say why the caveat stays
        warnings.append(SOURCE_NOTES["keypoints"])
    if img is not None and source != "markers" and _one_dot_share(img) >= 0.3:
        warnings.append("only one of the two PSIS stickers was found in most frames (the other hidden, too "
                        "small or too faint): pelvic drop is not taken from the stickers")
    elif img is not None and img.markers.startswith("pelvis") and source != "markers":
        warnings.append("PSIS markers were asked for but not found in enough frames (two high-contrast dots, "
                        "1.5-3 cm, on the lower back between the hips): pelvic drop is "
                        + ("markerless" if source.startswith("image") else "from the hip keypoints"))
    if img is not None and "heels" in img.markers:
        warnings.append("heel markers are not used yet: contact and rearfoot angle come from the keypoints")
    return warnings
