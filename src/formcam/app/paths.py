"""Where the app's files are: its page script and the phantom sample clips.

Sample clips are looked up in ``$FORMCAM_SAMPLES_DIR``, then ``formcam/_samples``
inside an installed package (if a build ships them), then ``sample_videos/`` at
the root of a source checkout. A missing folder simply means no sample buttons.
"""

from __future__ import annotations

import os
from pathlib import Path

SAMPLES: dict[str, str] = {"side": "side_phantom.mp4", "rear": "rear_phantom.mp4"}


def package_dir() -> Path:
    """The installed ``formcam`` package folder."""
    return Path(__file__).resolve().parents[1]


def app_script() -> Path:
    """The Streamlit page script (inside the package, so it exists in every install)."""
    return Path(__file__).resolve().with_name("main.py")


def sample_dirs() -> list[Path]:
    """Folders searched for the sample clips, most specific first."""
    dirs: list[Path] = []
    env = os.environ.get("FORMCAM_SAMPLES_DIR")
    if env:
        dirs.append(Path(env))
    dirs.append(package_dir() / "_samples")
    dirs.append(package_dir().parents[1] / "sample_videos")
    return dirs


def sample_videos() -> dict[str, Path]:
    """The sample clips found, by view (``side``, ``rear``); missing ones are left out."""
    found: dict[str, Path] = {}
    for view, name in SAMPLES.items():
        for folder in sample_dirs():
            if (folder / name).is_file():
                found[view] = folder / name
                break
    return found
