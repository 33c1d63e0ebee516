"""What the pixels say about the pelvis (PSIS / ASIS stickers, lower-back rotation):
:class:`PelvisImage`, and its JSON record in a keypoints file's ``meta_json``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class PelvisImage:
    """What the pixels say about the pelvis, per analysed frame (made by :mod:`formcam.pose`'s
    pelvis pass, read by :mod:`formcam.analysis`); frame ``i`` is frame ``i`` of the series.

    Attributes:
        dots_px: ``(T, 2, 2)`` sub-pixel centres of the image-left (``[:, 0]``) and image-right
            (``[:, 1]``) PSIS markers, pixels; NaN where not found (or too uncertain).
        flow_rot_deg: ``(T,)`` rotation of the tracked lower-back / waistband patch since the
            previous frame (deg, + counter-clockwise on screen); NaN where not measured.
        flow_points: ``(T,)`` number of tracked points behind each rotation (0 = none).
        markers: the marker setting the pass ran with (``off``, ``auto``, ``pelvis``, ...).
        view: ``rear`` (the PSIS pair; rear and front views) or ``side`` (the near side's ASIS
            and PSIS stickers, image-left and image-right; flow unused).
    """

    dots_px: NDArray[np.float64]
    flow_rot_deg: NDArray[np.float64]
    flow_points: NDArray[np.int64]
    markers: str = "auto"
    view: str = "rear"

    @property
    def n_frames(self) -> int:
        return int(self.flow_rot_deg.shape[0])

    def to_meta(self) -> dict[str, Any]:
        """A JSON-able record (2-decimal pixels and 4-decimal degrees; None for NaN)."""
        def col(a: NDArray[np.float64], nd: int) -> list[float | None]:
            return [None if not np.isfinite(v) else round(float(v), nd) for v in a]
        dots = [col(self.dots_px[:, k, c], 2) for k in (0, 1) for c in (0, 1)]
        return {"markers": self.markers, "view": self.view, "dots_px": dots,
                "flow_rot_deg": col(self.flow_rot_deg, 4), "flow_points": [int(v) for v in self.flow_points]}

    @classmethod
    def from_meta(cls, rec: dict[str, Any] | None) -> PelvisImage | None:
        """The inverse of :meth:`to_meta`; None for a missing record."""
        if not rec:
            return None
        def arr(v: list[float | None]) -> NDArray[np.float64]:
            return np.array([np.nan if x is None else x for x in v], dtype=np.float64)
        cols = [arr(v) for v in rec["dots_px"]]
        dots = np.stack([np.stack(cols[0:2], axis=-1), np.stack(cols[2:4], axis=-1)], axis=1)
        return cls(dots_px=dots, flow_rot_deg=arr(rec["flow_rot_deg"]),
                   flow_points=np.asarray(rec["flow_points"], dtype=np.int64),
                   markers=str(rec.get("markers", "auto")), view=str(rec.get("view", "rear")))
