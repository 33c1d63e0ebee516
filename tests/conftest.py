"""Shared fixtures: the shared real-video folder (skipped where absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = ROOT.parent / "shared" / "videos"
SAMPLES = ROOT / "sample_videos"


@pytest.fixture
def shared_video():  # type: ignore[no-untyped-def]
    """Return a function giving the path of a clip in ../shared/videos, or skip saying why."""

    def get(name: str) -> Path:
        path = SHARED_VIDEOS / name
        if not path.is_file():
            pytest.skip(f"{path} is absent: the shared real-video set is only on the team's machines "
                        f"and CI (its licences do not allow shipping it)")
        return path

    return get
