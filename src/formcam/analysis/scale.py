"""Pixels per centimetre from the runner's stature (per clip).

The image has no metric calibration, so centimetres come from the runner's
height: ``height_cm`` given by the user, else :data:`DEFAULT_HEIGHT_CM` (170 cm,
roughly the adult mean of both sexes); the report says which was used.

Body length in pixels is the joint-centre chain shoulder-mid -> hip-mid ->
knee -> ankle, each segment taken as a high percentile (90th) of its per-frame
length, both legs averaged. A high percentile instead of the median because in
rear/front views segments are foreshortened whenever they tilt in depth and
every segment passes near the image plane once per stride (in a side view all
frames give the full length). With Drillis & Contini's segment fractions
(shoulder 0.818 H, ankle 0.039 H) that chain is ``0.779 * H``. A clip framed from
the waist down (no shoulders) uses the hip-knee-ankle chain, ``0.491 * H`` (thigh
0.245 H + shank 0.246 H), which is less precise (two segments, and the hip joint
centre is the least certain keypoint).
The runner's distance to the camera is assumed constant over the clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcam.analysis.kinematics import segment_length_px
from formcam.errors import ConfigError
from formcam.series import PoseSeries

DEFAULT_HEIGHT_CM = 170.0
BODY_FRACTION = 0.818 - 0.039
"""Shoulder-hip-knee-ankle joint-centre chain as a fraction of stature (Drillis & Contini)."""
LEG_FRACTION = 0.245 + 0.246
"""Hip-knee-ankle chain (thigh + shank) as a fraction of stature (Drillis & Contini)."""


@dataclass(frozen=True)
class Scale:
    """Image scale of a clip.

    Attributes:
        px_per_cm: pixels per centimetre (NaN if the body was never measured).
        height_cm: the stature used.
        source: ``"user"`` (height given) or ``"default"``.
        body_length_px: the measured chain in pixels (see ``chain``).
        chain: ``"shoulder-hip-knee-ankle"`` or, without shoulders, ``"hip-knee-ankle"``.
    """

    px_per_cm: float
    height_cm: float
    source: str
    body_length_px: float
    chain: str = "shoulder-hip-knee-ankle"

    def to_dict(self) -> dict[str, object]:
        ok = np.isfinite(self.px_per_cm)
        return {"height_cm": self.height_cm, "source": self.source,
                "px_per_cm": round(float(self.px_per_cm), 4) if ok else None,
                "body_length_px": round(float(self.body_length_px), 2) if ok else None,
                "method": f"{self.chain} chain = {self._fraction:.3f} x height (Drillis & Contini)"}

    @property
    def _fraction(self) -> float:
        return BODY_FRACTION if self.chain == "shoulder-hip-knee-ankle" else LEG_FRACTION


def body_chain_px(series: PoseSeries, *, trunk: bool = True) -> float:
    """Shoulder-mid to hip-mid (with ``trunk``) plus mean (hip-knee + knee-ankle), px; NaN if unseen."""
    xy = series.xy
    sho = (xy[:, series.index("left_shoulder")] + xy[:, series.index("right_shoulder")]) / 2
    hip = (xy[:, series.index("left_hip")] + xy[:, series.index("right_hip")]) / 2
    trunk_px = np.hypot(*(sho - hip).T)
    trunk_px = trunk_px[np.isfinite(trunk_px)]
    legs = [segment_length_px(series, f"{s}_hip", f"{s}_knee")
            + segment_length_px(series, f"{s}_knee", f"{s}_ankle") for s in ("left", "right")]
    legs = [v for v in legs if np.isfinite(v)]
    if not legs or (trunk and not trunk_px.size):
        return float("nan")
    return float((np.percentile(trunk_px, 90) if trunk else 0.0) + np.mean(legs))


def estimate_scale(series: PoseSeries, *, height_cm: float | None = None, trunk: bool = True) -> Scale:
    """Scale of ``series`` from ``height_cm`` (or the default); ``trunk=False`` measures the
    hip-knee-ankle chain only (no shoulders in view).

    Raises:
        ConfigError: ``height_cm`` is outside 50-250 cm.
    """
    if height_cm is not None and not 50.0 <= height_cm <= 250.0:
        raise ConfigError(f"expected a runner height between 50 and 250 cm, got {height_cm}")
    h = DEFAULT_HEIGHT_CM if height_cm is None else float(height_cm)
    body = body_chain_px(series, trunk=trunk)
    fraction = BODY_FRACTION if trunk else LEG_FRACTION
    chain = "shoulder-hip-knee-ankle" if trunk else "hip-knee-ankle"
    return Scale(px_per_cm=body / (fraction * h), height_cm=h,
                 source="default" if height_cm is None else "user", body_length_px=body, chain=chain)
