"""``formcam app``: start the Streamlit app on this machine.

Runs ``python -m streamlit run <formcam/app/main.py>`` in a child process,
bound to ``127.0.0.1`` by default (only this computer can open it), headless
(no browser is opened for you; the address is printed), with usage statistics
off and the upload limit set explicitly, so the settings hold whatever the
current folder (Streamlit reads ``.streamlit/config.toml`` from there).
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from typing import Any

from formcam.app.paths import app_script

log = logging.getLogger(__name__)

DEFAULT_PORT = 8501
MAX_UPLOAD_MB = 500


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``app`` subcommand on ``subparsers`` (from ``add_subparsers``); sets ``func``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "app", help="start the web app (Streamlit) on this machine",
        description="Start formcam's web app. Videos are analysed on this machine and never uploaded "
                    "anywhere else. Open the printed address in a browser.")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--address", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only; "
                        "0.0.0.0 lets other machines on the network connect)")
    p.set_defaults(func=run)
    return p


def command(port: int = DEFAULT_PORT, address: str = "127.0.0.1") -> list[str]:
    """The ``streamlit run`` command line for the app."""
    return [sys.executable, "-m", "streamlit", "run", str(app_script()),
            "--server.port", str(port), "--server.address", address,
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.maxUploadSize", str(MAX_UPLOAD_MB), "--client.toolbarMode", "minimal"]


def run(args: argparse.Namespace) -> int:
    """Run the app until it stops or Ctrl-C; return its exit status (130 on Ctrl-C)."""
    cmd = command(args.port, args.address)
    log.debug("running %s", cmd)
    print(f"formcam app: http://{args.address}:{args.port}  (Ctrl-C stops it)", file=sys.stderr)
    proc = subprocess.Popen(cmd)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 130
