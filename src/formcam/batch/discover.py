"""Find the videos of a batch and the folder settings (``formcam.toml``) for each.

A ``formcam.toml`` applies to the videos in its folder and below; a deeper
file overrides a shallower one key by key (as Pose2Sim's session/trial
configs do). Keys: ``height_cm``, ``max_fps`` and ``capture_fps`` (numbers > 0),
``detect_interval_s`` (a number >= 0), ``view``, ``setting``, ``direction``,
``model``, ``backend``, ``markers`` (strings) and ``rules`` (a path relative to the toml file).
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path
from typing import Any

from formcam.errors import ConfigError
from formcam.pose import BACKENDS, MODEL_SIZES

VIDEO_PATTERNS: tuple[str, ...] = ("*.mp4", "*.mov", "*.m4v", "*.avi", "*.webm", "*.mkv")
CONFIG_NAME = "formcam.toml"
_CONFIG_TYPES: dict[str, tuple[type, ...]] = {
    "height_cm": (int, float), "max_fps": (int, float), "view": (str,), "setting": (str,),
    "direction": (str,), "model": (str,), "rules": (str,), "backend": (str,),
    "detect_interval_s": (int, float), "capture_fps": (int, float), "markers": (str,),
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "view": ("auto", "side", "rear", "front"), "setting": ("auto", "treadmill", "overground"),
    "direction": ("auto", "right", "left", "away", "toward"), "model": MODEL_SIZES, "backend": BACKENDS,
}


def _matches(rel: str, patterns: tuple[str, ...]) -> bool:
    name = rel.rsplit("/", 1)[-1].lower()
    return any(fnmatch.fnmatch(rel.lower(), p.lower()) or fnmatch.fnmatch(name, p.lower()) for p in patterns)


def discover(root: Path, *, include: tuple[str, ...] = VIDEO_PATTERNS, exclude: tuple[str, ...] = (),
             skip: Path | None = None) -> list[Path]:
    """Video files under ``root`` (recursive, sorted), as paths relative to ``root``.

    ``include``/``exclude`` are globs matched case-insensitively against the
    file name and the relative path; ``skip`` (e.g. the output folder) is not searched.
    """
    if not root.is_dir():
        what = "a file" if root.exists() else "nothing"
        raise ConfigError(f"{root}: expected a folder of videos, got {what}")
    skip_resolved = skip.resolve() if skip is not None else None
    found: list[Path] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if skip_resolved is not None and skip_resolved in path.resolve().parents:
            continue
        rel = path.relative_to(root).as_posix()
        if _matches(rel, include) and not _matches(rel, exclude):
            found.append(Path(rel))
    return found


def read_config(path: Path) -> dict[str, Any]:
    """Validated contents of one ``formcam.toml``."""
    from formcam.options import parse_capture_fps, parse_detect_interval, parse_max_fps

    number_checks = {"max_fps": parse_max_fps, "detect_interval_s": parse_detect_interval,
                     "capture_fps": parse_capture_fps}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings ({exc})") from None
    for key, value in data.items():
        if key not in _CONFIG_TYPES:
            raise ConfigError(f"{path}: unknown key {key!r}: expected one of {sorted(_CONFIG_TYPES)}")
        if not isinstance(value, _CONFIG_TYPES[key]) or isinstance(value, bool):
            raise ConfigError(f"{path}: {key}: expected {_CONFIG_TYPES[key][0].__name__}, "
                              f"got {type(value).__name__}")
        if key in _CHOICES and value not in _CHOICES[key]:
            raise ConfigError(f"{path}: {key}: expected one of {_CHOICES[key]}, got {value!r}")
        if key == "markers":
            from formcam.pose import parse_markers
            parse_markers(str(value), name=f"{path}: markers")
        if key in number_checks and isinstance(value, int | float):
            number_checks[key](value, name=f"{path}: {key}")
    if "rules" in data:
        data["rules"] = str((path.parent / data["rules"]).resolve())
    return data


def settings_for(root: Path, rel: Path) -> dict[str, Any]:
    """Merged ``formcam.toml`` settings from ``root`` down to the video's folder."""
    merged: dict[str, Any] = {}
    folders = [root]
    for part in rel.parent.parts:
        folders.append(folders[-1] / part)
    for folder in folders:
        config = folder / CONFIG_NAME
        if config.is_file():
            merged.update(read_config(config))
    return merged
