"""The overlays drawn on a frame of the annotated video and on the key-frame pictures.

Drawn from the cleaned pose series plus the report (:class:`DrawContext`, made by
:func:`draw_context`); :func:`annotate` draws one frame's:

* the cleaned skeleton, the leg nearer the camera thicker and brighter (left leg
  blue, right leg orange), and the trunk line (hip midpoint -> shoulder midpoint);
* live angles of the view's key metrics (side: trunk lean, knee flexion per side;
  rear/front: pelvis obliquity, lateral trunk lean), in degrees;
* a flash label ``IC L`` / ``TO R`` at the foot for ``flash_s`` after each event;
* side view, at contact: the overstride line (hip vertical -> ankle) with the
  step's ``overstride_cm``; rear/front view, around midstance: the hip line
  against horizontal with the step's ``pelvic_drop_deg``;
* a banner with the active cue: the cue whose evidence frame is near, else the
  most severe watch/concern cue.

The video is streamed by :mod:`formcam.report.render`, the key frames by
:mod:`formcam.report.keyframes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from formcam.report.csv_report import SIDES, AnalysisLike, FrameTable, frame_table

Img = NDArray[np.uint8]
COLOR: Mapping[str, tuple[int, int, int]] = MappingProxyType({
    "left": (70, 150, 255), "right": (255, 140, 40), "trunk": (255, 230, 60), "ic": (60, 220, 90),
    "to": (235, 80, 210), "concern": (230, 60, 60), "watch": (245, 180, 40), "info": (120, 160, 210)})
_WHITE = (240, 240, 240)
_LIMBS = (("shoulder", "elbow"), ("elbow", "wrist"), ("shoulder", "hip"), ("hip", "knee"), ("knee", "ankle"),
          ("ankle", "heel"), ("heel", "foot_index"), ("ankle", "foot_index"))
_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True)
class DrawContext:
    """What the overlays of every frame need: the per-frame table, the steps, the cues,
    the event-label duration ``flash`` in pose frames, and ``time_scale``: the analysis'
    seconds per second of the video's timestamps (not 1 for slow-motion footage,
    ``quality.time_base`` in the report)."""

    table: FrameTable
    steps: list[dict[str, Any]]
    cues: list[dict[str, Any]]
    flash: int
    time_scale: float = 1.0

    def video_time_s(self, t_s: float) -> float:
        """The video's timestamp of an analysis time."""
        return t_s / self.time_scale


def draw_context(analysis_like: AnalysisLike, report: dict[str, Any], flash_s: float) -> DrawContext:
    """The :class:`DrawContext` of an analysis and its report (``flash_s``: seconds)."""
    table = frame_table(analysis_like, report)
    steps = [s for s in report.get("steps") or [] if s.get("contact_frame") is not None]
    flash = max(1, round(flash_s * table.series.fps))
    scale = float(((report.get("quality") or {}).get("time_base") or {}).get("scale") or 1.0)
    return DrawContext(table, steps, list(report.get("cues") or []), flash, scale)


def _p(ctx: DrawContext, i: int, name: str) -> tuple[int, int] | None:
    xy = ctx.table.series.xy[i, ctx.table.series.index(name)]
    return (round(float(xy[0])), round(float(xy[1]))) if np.isfinite(xy).all() else None


def _line(img: Img, a: tuple[int, int] | None, b: tuple[int, int] | None, color: tuple[int, ...],
          w: int) -> None:
    if a is not None and b is not None:
        cv2.line(img, a, b, color, w, cv2.LINE_AA)


def _text(img: Img, txt: str, org: tuple[int, int], scale: float, color: tuple[int, ...] = _WHITE) -> None:
    th = max(1, round(scale * 2))
    for dx, dy in ((-1, -1), (1, -1), (-1, 1), (1, 1)):  # outline: same thickness (it sets the advance)
        cv2.putText(img, txt, (org[0] + dx, org[1] + dy), _FONT, scale, (0, 0, 0), th, cv2.LINE_AA)
    cv2.putText(img, txt, org, _FONT, scale, color, th, cv2.LINE_AA)


def _skeleton(img: Img, ctx: DrawContext, i: int, u: int) -> None:
    near = ctx.table.near_side
    for s in SIDES:
        far = near is not None and s != near
        col = tuple(int(c * 0.55) for c in COLOR[s]) if far else COLOR[s]
        w = u if far else 3 * u
        for a, b in _LIMBS:
            _line(img, _p(ctx, i, f"{s}_{a}"), _p(ctx, i, f"{s}_{b}"), col, w)
        for j in ("hip", "knee", "ankle"):
            pt = _p(ctx, i, f"{s}_{j}")
            if pt is not None:
                cv2.circle(img, pt, 2 * u if not far else u + 1, col, -1, cv2.LINE_AA)
    _line(img, _p(ctx, i, "left_shoulder"), _p(ctx, i, "right_shoulder"), _WHITE, u)
    _line(img, _p(ctx, i, "left_hip"), _p(ctx, i, "right_hip"), _WHITE, u)
    hip = ctx.table.series.xy[i, [ctx.table.series.index(f"{s}_hip") for s in SIDES]].mean(axis=0)
    sho = ctx.table.series.xy[i, [ctx.table.series.index(f"{s}_shoulder") for s in SIDES]].mean(axis=0)
    if np.isfinite(hip).all() and np.isfinite(sho).all():
        _line(img, (round(hip[0]), round(hip[1])), (round(sho[0]), round(sho[1])), COLOR["trunk"], 2 * u)


def _fmt(v: float, digits: int = 0) -> str:
    return "--" if not np.isfinite(v) else f"{v:+.{digits}f}" if digits else f"{v:.0f}"


def _panel(img: Img, ctx: DrawContext, i: int, scale: float) -> None:
    c = ctx.table.columns
    if ctx.table.view == "side":
        rows = [f"trunk lean {_fmt(c['trunk_lean_deg'][i], 1)} deg",
                f"knee L {_fmt(c['knee_flexion_left_deg'][i])}  R {_fmt(c['knee_flexion_right_deg'][i])} deg"]
    else:
        rows = [f"pelvis obliquity {_fmt(c['pelvis_obliquity_deg'][i], 1)} deg (+ left hip up)",
                f"lateral trunk lean {_fmt(c['lateral_trunk_lean_deg'][i], 1)} deg (+ to left)"]
    rows.append(f"t {ctx.table.series.t_s[i]:.2f} s  frame {i}")
    lh = round(32 * scale)
    width = max(cv2.getTextSize(r, _FONT, scale, 1)[0][0] for r in rows) + lh
    sub = img[: lh * len(rows) + lh // 2, : width]
    sub[:] = (sub * 0.45).astype(np.uint8)
    for k, r in enumerate(rows):
        _text(img, r, (lh // 3, lh * (k + 1)), scale)


def _events(img: Img, ctx: DrawContext, i: int, u: int, scale: float) -> None:
    view = ctx.table.view
    for st in ctx.steps:
        s, tag = st["side"], st["side"][0].upper()
        for key, ev in (("contact_frame", "ic"), ("toe_off_frame", "to")):
            f = st.get(key)
            if f is None or not 0 <= i - int(f) < ctx.flash:
                continue
            foot = _p(ctx, i, f"{s}_heel" if ev == "ic" else f"{s}_foot_index") or _p(ctx, i, f"{s}_ankle")
            if foot is not None:
                cv2.circle(img, foot, 8 * u, COLOR[ev], 2 * u, cv2.LINE_AA)
                _text(img, f"{ev.upper()} {tag}", (foot[0] + 10 * u, foot[1] - 10 * u), scale, COLOR[ev])
            if ev == "ic" and view == "side":
                _overstride(img, ctx, int(f), st, u, scale)
        mid = (int(st["contact_frame"]) + int(st.get("toe_off_frame") or st["contact_frame"])) // 2
        if view != "side" and abs(i - mid) <= ctx.flash // 2:
            _pelvis(img, ctx, i, st, u, scale)


def _overstride(img: Img, ctx: DrawContext, f: int, st: dict[str, Any], u: int, scale: float) -> None:
    """Hip vertical and the horizontal distance to the ankle, at the contact frame ``f``."""
    s = st["side"]
    lh, rh, ank = _p(ctx, f, "left_hip"), _p(ctx, f, "right_hip"), _p(ctx, f, f"{s}_ankle")
    feet = [p for p in (_p(ctx, f, f"{s}_heel"), _p(ctx, f, f"{s}_foot_index"), ank) if p is not None]
    if lh is None or rh is None or ank is None:
        return
    hx, hy = (lh[0] + rh[0]) // 2, (lh[1] + rh[1]) // 2
    gy = max(p[1] for p in feet)
    for y in range(hy, gy, 12 * u):  # dashed vertical from the hip midpoint
        _line(img, (hx, y), (hx, min(y + 6 * u, gy)), _WHITE, u)
    _line(img, (hx, gy), (ank[0], gy), COLOR["trunk"], 2 * u)
    cm = st.get("overstride_cm")
    if cm is not None:
        _text(img, f"{cm:+.0f} cm", (min(hx, ank[0]), gy + 24 * u), scale, COLOR["trunk"])


def _pelvis(img: Img, ctx: DrawContext, i: int, st: dict[str, Any], u: int, scale: float) -> None:
    """Hip line (extended) and the horizontal through the stance-side hip, around midstance."""
    lh, rh = _p(ctx, i, "left_hip"), _p(ctx, i, "right_hip")
    if lh is None or rh is None:
        return
    d = np.subtract(rh, lh) * 0.6
    a, b = (round(lh[0] - d[0]), round(lh[1] - d[1])), (round(rh[0] + d[0]), round(rh[1] + d[1]))
    _line(img, a, b, COLOR["trunk"], 2 * u)
    stance = lh if st["side"] == "left" else rh
    _line(img, (a[0], stance[1]), (b[0], stance[1]), _WHITE, u)
    drop = st.get("pelvic_drop_deg")
    if drop is not None:
        _text(img, f"pelvic drop {drop:+.1f} deg", (min(a[0], b[0]), max(a[1], b[1]) + 28 * u), scale,
              COLOR["trunk"])


def _active_cue(ctx: DrawContext, i: int) -> dict[str, Any] | None:
    near = [c for c in ctx.cues if any(abs(i - f) <= ctx.flash for f in c.get("frames") or [])]
    ranked = ("info", "watch", "concern")
    if near:
        return max(near, key=lambda c: ranked.index(c["severity"]))
    flagged = [c for c in ctx.cues if c["severity"] != "info"]
    return max(flagged, key=lambda c: ranked.index(c["severity"])) if flagged else None


def _banner(img: Img, cue: dict[str, Any], scale: float, max_lines: int = 3) -> None:
    h, w = img.shape[:2]
    words, lines, cur = f"{cue['severity'].upper()}: {cue['message']}".split(), [], ""
    for word in words:
        trial = f"{cur} {word}".strip()
        if cv2.getTextSize(trial, _FONT, scale, 1)[0][0] > w - 40 and cur:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    lines = [*lines, cur][:max_lines]
    lh = round(30 * scale)
    top = h - lh * len(lines) - lh // 2
    img[top:] = (img[top:] * 0.35).astype(np.uint8)
    img[top:, : max(4, w // 160)] = COLOR.get(cue["severity"], _WHITE)
    for k, line in enumerate(lines):
        _text(img, line, (w // 80 + 8, top + lh * (k + 1) - lh // 5), scale)


def _crop_box(ctx: DrawContext, i: int, shape: tuple[int, ...], pad: float) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` around the runner at pose frame ``i``, padded by ``pad`` x body height."""
    xy = ctx.table.series.xy[i]
    xy = xy[np.isfinite(xy).all(axis=1)]
    h, w = shape[:2]
    if len(xy) < 4:
        return 0, 0, w, h
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    m = pad * max(y1 - y0, x1 - x0)
    y0, y1 = y0 - m, y1 + 1.4 * m  # room for the labels under the feet
    half = max(x1 - x0 + 2 * m, y1 - y0) / 2  # at least square: room for labels beside the feet
    cx = (x0 + x1) / 2
    return max(0, int(cx - half)), max(0, int(y0)), min(w, int(cx + half)), min(h, int(y1))


def annotate(img: Img, ctx: DrawContext, i: int | None, *, cue: dict[str, Any] | None = None,
             crop_pad: float | None = None, auto_cue: bool = True) -> Img:
    """Draw the overlays of pose frame ``i`` (None: banner only) on a copy of ``img``.

    ``cue``: the banner's cue; when None and ``auto_cue``, the active cue of frame ``i``.
    ``crop_pad``: crop to the runner (padded by this fraction of the body size) before
    the text panel and the banner are drawn (key frames).
    """
    out = np.ascontiguousarray(img.copy())
    u, scale = max(1, round(min(out.shape[:2]) / 360)), max(0.4, min(out.shape[:2]) / 900)
    if i is not None:
        _skeleton(out, ctx, i, u)
        _events(out, ctx, i, u, scale)
        if crop_pad is not None:  # crop, and put the panel on a strip above the picture
            x0, y0, x1, y1 = _crop_box(ctx, i, out.shape, crop_pad)
            strip = np.full((round(112 * scale), x1 - x0, 3), 32, np.uint8)
            out = np.ascontiguousarray(np.concatenate([strip, out[y0:y1, x0:x1]]))
        _panel(out, ctx, i, scale)
        cue = cue or (_active_cue(ctx, i) if auto_cue else None)
    if cue is not None and out.shape[0] >= 64:
        lines = 3
        if crop_pad is not None:  # key frame: the whole message, on a strip below the picture
            lines, lh = 6, round(30 * scale)
            strip = np.full((lh * lines + lh // 2, out.shape[1], 3), 32, np.uint8)
            out = np.ascontiguousarray(np.concatenate([out, strip]))
        _banner(out, cue, scale, lines)
    return out
