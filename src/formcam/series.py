"""The central data of formcam: a runner's 2D pose over time, and its file.

:class:`PoseSeries` holds one person's keypoints for every analysed frame.
Time is axis 0. Coordinates are image pixels in display orientation (origin
top-left, x right, y down); a missing keypoint is NaN in ``xy``.

The keypoints file (``.npz``) is the pose cache and the import/export format:

==========  ==========  ==========================================
key         shape       meaning
==========  ==========  ==========================================
xy          (T, K, 2)   pixels, display orientation, NaN = missing
score       (T, K)      confidence in [0, 1]
t_s         (T,)        presentation time in seconds, increasing
keypoints   (K,)        canonical names (str)
width       ()          frame width in pixels (display orientation)
height      ()          frame height in pixels
fps         ()          nominal frame rate
meta_json   ()          optional: JSON text with the source video's ``input``,
                        ``backend`` and ``person`` records, so that replaying
                        the file reproduces the video's report exactly
foot_motion (T, 2, C)   optional: each foot's image motion (:class:`FootMotion`;
                        feet ``left, right``, channels :data:`FOOT_MOTION_CHANNELS`)
==========  ==========  ==========================================
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcam.errors import KeypointsFileError

BLAZEPOSE_KEYPOINTS: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner",
    "right_eye", "right_eye_outer", "left_ear", "right_ear", "mouth_left",
    "mouth_right", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index",
    "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)
"""The 33 BlazePose landmark names, in model output order."""

_FILE_KEYS = ("xy", "score", "t_s", "keypoints", "width", "height", "fps")

SOLE_FRACTIONS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
"""Points along each foot where its image motion is measured: fractions of the way heel -> toe."""
FOOT_MOTION_CHANNELS: tuple[str, ...] = (
    *(f"sole{k}_{c}" for k in range(len(SOLE_FRACTIONS)) for c in ("vx", "vy")),
    "heel_vx", "heel_vy", "spin", "foot_dx", "foot_dy",
    "ground_vx", "ground_vy", "foot_px")
"""Channels of :attr:`FootMotion.values`, velocities in px per analysed frame interval (x right,
y down): at each sole point (measured just inside the shoe); the shoe's rigid motion fitted to
them, as the velocity at the heel keypoint and the rotation ``spin`` (radians per frame,
positive turns x toward y), with the heel -> toe vector ``foot_dx, foot_dy`` (px), so that the
velocity anywhere on the sole line is known (a pivot at either end); a ground window below
the foot (kept for diagnosis: the analysis takes the ground's velocity from the stance foot
itself, because a window on a black belt or on a treadmill's deck reads nothing or the
wrong surface); and the foot's length (heel to toe, px)."""


@dataclass(frozen=True)
class FootMotion:
    """Each foot's image motion against the ground, frame by frame (from the pose pass).

    Attributes:
        values: ``(T, 2, C)`` float32; feet ``left, right`` as the pose model labelled them,
            channels :data:`FOOT_MOTION_CHANNELS`; NaN where the foot was not measured.
    """

    values: NDArray[np.float32]

    def __post_init__(self) -> None:
        v = self.values
        if v.ndim != 3 or v.shape[1:] != (2, len(FOOT_MOTION_CHANNELS)):
            raise ValueError(f"expected foot motion of shape (T, 2, {len(FOOT_MOTION_CHANNELS)}), "
                             f"got {v.shape}")

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[0])

    def swapped(self, frames: tuple[int, ...] | list[int]) -> FootMotion:
        """The same with the two feet exchanged in ``frames`` (where the legs' labels were repaired)."""
        if not len(frames):
            return self
        rows = np.asarray(frames, dtype=np.intp)
        values = self.values.copy()
        values[rows] = self.values[rows][:, ::-1]
        return FootMotion(values=values)

    def sole_v(self) -> NDArray[np.float64]:
        """``(T, 2, S, 2)`` velocity of each sole point (px/frame)."""
        n = len(SOLE_FRACTIONS)
        return np.asarray(self.values[..., : 2 * n], dtype=np.float64).reshape(*self.values.shape[:2], n, 2)

    def rigid(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """The shoe's rigid motion: ``(T, 2, 2)`` velocity at the heel, ``(T, 2)`` spin (rad/frame)
        and ``(T, 2, 2)`` heel -> toe vector (px)."""
        n = 2 * len(SOLE_FRACTIONS)
        v = np.asarray(self.values, dtype=np.float64)
        return v[..., n:n + 2], v[..., n + 2], v[..., n + 3:n + 5]

    def ground_v(self) -> NDArray[np.float64]:
        """``(T, 2, 2)`` velocity of the ground window below each foot (px/frame)."""
        return np.asarray(self.values[..., -3:-1], dtype=np.float64)

    def foot_px(self) -> NDArray[np.float64]:
        """``(T, 2)`` foot length heel to toe (px)."""
        return np.asarray(self.values[..., -1], dtype=np.float64)


@dataclass(frozen=True)
class PoseSeries:
    """One person's 2D keypoints over time.

    Attributes:
        xy: ``(T, K, 2)`` float64 pixels, display orientation, y down; NaN = missing.
        score: ``(T, K)`` float64 confidence in [0, 1] (0 where missing).
        t_s: ``(T,)`` float64 presentation time of each frame in seconds, strictly
            increasing (variable frame rate is allowed).
        keypoints: ``K`` canonical keypoint names.
        width: frame width in pixels.
        height: frame height in pixels.
        fps: nominal frame rate in frames per second.
    """

    xy: NDArray[np.float64]
    score: NDArray[np.float64]
    t_s: NDArray[np.float64]
    keypoints: tuple[str, ...]
    width: int
    height: int
    fps: float

    def __post_init__(self) -> None:
        validate_arrays(self.xy, self.score, self.t_s, self.keypoints)
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"expected positive width and height, got {self.width}x{self.height}")
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise ValueError(f"expected a positive fps, got {self.fps}")

    @property
    def n_frames(self) -> int:
        return int(self.xy.shape[0])

    def index(self, name: str) -> int:
        """Position of keypoint ``name`` on axis 1."""
        try:
            return self.keypoints.index(name)
        except ValueError:
            raise KeyError(f"expected one of {self.keypoints}, got {name!r}") from None

    def point(self, name: str) -> NDArray[np.float64]:
        """``(T, 2)`` pixel trajectory of keypoint ``name``."""
        return self.xy[:, self.index(name), :]

    def present(self, *, min_score: float = 0.5, trunk: bool = True) -> NDArray[np.bool_]:
        """``(T,)`` True where the hips and (with ``trunk``) the shoulders were all found.

        ``trunk=False`` is for clips framed from the waist down (legs only)."""
        names = ("left_hip", "right_hip", *(("left_shoulder", "right_shoulder") if trunk else ()))
        idx = [self.index(n) for n in names if n in self.keypoints]
        ok = np.isfinite(self.xy[:, idx, :]).all(axis=(1, 2)) & (self.score[:, idx] >= min_score).all(axis=1)
        return np.asarray(ok)


def validate_arrays(xy: NDArray[np.float64], score: NDArray[np.float64],
                    t_s: NDArray[np.float64], keypoints: tuple[str, ...]) -> None:
    """Raise ``ValueError`` ("expected X, got Y") unless the arrays fit the contract."""
    k = len(keypoints)
    if xy.ndim != 3 or xy.shape[1:] != (k, 2):
        raise ValueError(f"expected xy of shape (T, {k}, 2), got {xy.shape}")
    t = xy.shape[0]
    if score.shape != (t, k):
        raise ValueError(f"expected score of shape ({t}, {k}), got {score.shape}")
    if t_s.shape != (t,):
        raise ValueError(f"expected t_s of shape ({t},), got {t_s.shape}")
    if not np.isfinite(t_s).all():
        raise ValueError("expected finite timestamps, got NaN or inf in t_s")
    if t > 1 and not (np.diff(t_s) > 0).all():
        raise ValueError("expected strictly increasing timestamps in t_s, got a repeat or a step back")
    if len(set(keypoints)) != k:
        raise ValueError(f"expected unique keypoint names, got {keypoints}")


def save_keypoints(path: str | Path, series: PoseSeries, *, meta: dict[str, Any] | None = None,
                   foot_motion: FootMotion | None = None) -> Path:
    """Write ``series`` (and JSON-able ``meta``, and ``foot_motion``) to a keypoints ``.npz`` atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    arrays: dict[str, Any] = {
        "xy": series.xy.astype(np.float64), "score": series.score.astype(np.float64),
        "t_s": series.t_s.astype(np.float64), "keypoints": np.array(series.keypoints, dtype=str),
        "width": np.int64(series.width), "height": np.int64(series.height),
        "fps": np.float64(series.fps),
    }
    if meta is not None:
        arrays["meta_json"] = np.array(json.dumps(meta, sort_keys=True))
    if foot_motion is not None:
        arrays["foot_motion"] = foot_motion.values.astype(np.float32)
    with open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    tmp.replace(path)
    return path


def load_keypoints(path: str | Path) -> PoseSeries:
    """Read a keypoints ``.npz`` file.

    Raises:
        KeypointsFileError: the file is missing, not an npz, lacks a key, or its
            arrays break the contract (shapes, timestamps).
    """
    path = Path(path)
    if not path.is_file():
        raise KeypointsFileError(f"{path}: keypoints file not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in _FILE_KEYS if k not in data.files]
            if missing:
                raise KeypointsFileError(
                    f"{path}: not a formcam keypoints file: expected keys {list(_FILE_KEYS)}, "
                    f"missing {missing}")
            arrays = {k: data[k] for k in _FILE_KEYS}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise KeypointsFileError(f"{path}: cannot read keypoints file ({exc})") from None
    try:
        return PoseSeries(
            xy=np.asarray(arrays["xy"], dtype=np.float64),
            score=np.asarray(arrays["score"], dtype=np.float64),
            t_s=np.asarray(arrays["t_s"], dtype=np.float64),
            keypoints=tuple(str(k) for k in np.atleast_1d(arrays["keypoints"])),
            width=int(arrays["width"]), height=int(arrays["height"]), fps=float(arrays["fps"]),
        )
    except (ValueError, TypeError) as exc:
        raise KeypointsFileError(f"{path}: invalid keypoints file: {exc}") from None


def load_keypoints_meta(path: str | Path) -> dict[str, Any] | None:
    """The ``meta_json`` record of a keypoints file, or None if it has none."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            if "meta_json" not in data.files:
                return None
            meta = json.loads(str(data["meta_json"]))
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise KeypointsFileError(f"{path}: cannot read keypoints file ({exc})") from None
    if not isinstance(meta, dict):
        raise KeypointsFileError(f"{path}: expected a JSON object in meta_json, got {type(meta).__name__}")
    return meta


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


def load_foot_motion(path: str | Path) -> FootMotion | None:
    """The ``foot_motion`` of a keypoints file, or None if it has none (or an unreadable one)."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            if "foot_motion" not in data.files:
                return None
            return FootMotion(values=np.asarray(data["foot_motion"], dtype=np.float32))
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise KeypointsFileError(f"{path}: cannot read foot motion ({exc})") from None
