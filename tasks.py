#!/usr/bin/env python3
"""Set-up and run formcam with nothing but Python 3.11 and pip.

    python3 tasks.py demo    create .venv, install formcam, analyse sample_videos/side_phantom.mp4
    python3 tasks.py test    create .venv, install formcam with test tools, run the tests
    python3 tasks.py lint    ruff and mypy

The virtual environment is (re)installed whenever pyproject.toml changes.
Extra arguments after the task go to the underlying command
(e.g. ``python3 tasks.py test -m slow``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".formcam-installed"


def ensure_env() -> None:
    """Create .venv and install formcam[dev] editable, once per pyproject.toml version."""
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.is_file() and STAMP.read_text().strip() == want:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    print("installing formcam and its dependencies (first run takes a few minutes)", flush=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(want + "\n")


def run(cmd: list[str]) -> int:
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "lint"):
        print(__doc__)
        return 2
    task, extra = argv[0], argv[1:]
    ensure_env()
    if task == "demo":
        video = extra[0] if extra else "sample_videos/side_phantom.mp4"
        return run([str(BIN / "formcam"), "analyze", video, "--out", "out/demo", *extra[1:]])
    if task == "test":
        return run([str(BIN / "python"), "-m", "pytest", "-q", "-m", "not slow", *extra] if not extra
                   else [str(BIN / "python"), "-m", "pytest", "-q", *extra])
    rc = run([str(BIN / "ruff"), "check", "src", "tests", "models", "sample_videos", "app.py", "tasks.py"])
    return rc or run([str(BIN / "mypy")])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
