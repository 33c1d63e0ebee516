"""The keypoints file (``.npz``): the pose cache and the import/export format.

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

:func:`save_keypoints` writes one atomically; :func:`load_keypoints`,
:func:`load_keypoints_meta` and :func:`load_foot_motion` read its parts (a bad file raises
:class:`~formcam.errors.KeypointsFileError`).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from formcam.errors import KeypointsFileError
from formcam.series.foot import FootMotion
from formcam.series.pose import PoseSeries

_FILE_KEYS = ("xy", "score", "t_s", "keypoints", "width", "height", "fps")


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


def load_foot_motion(path: str | Path) -> FootMotion | None:
    """The ``foot_motion`` of a keypoints file, or None if it has none (or an unreadable one)."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            if "foot_motion" not in data.files:
                return None
            return FootMotion(values=np.asarray(data["foot_motion"], dtype=np.float32))
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise KeypointsFileError(f"{path}: cannot read foot motion ({exc})") from None
