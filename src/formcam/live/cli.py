"""``formcam live``: pose tracking and rolling numbers on a camera, a stream, or a file played live.

Rolling numbers go to stdout, one line every few seconds (the command's output); ``--window``
shows the overlay where there is a display. ``--record DIR`` keeps every frame as
``DIR/recording.mp4`` and analyses it in full at stop, as ``formcam analyze`` would.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formcam.errors import ConfigError
from formcam.pose import BACKENDS, MODEL_SIZES

if TYPE_CHECKING:  # the session imports the analysis: only `formcam live` itself needs it
    from formcam.live.session import LiveSettings

RECORDING_NAME = "recording.mp4"
EXIT_LOST = 1
"""Exit status when the camera or stream was lost mid-session (after analysing the recording)."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``live`` subcommand on ``subparsers`` (from ``add_subparsers``); sets ``func``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "live", help="live pose tracking and rolling numbers (camera, stream, or a file played live)",
        description="Track the runner live and print rolling numbers every few seconds: cadence, trunk "
                    "lean, overstride, knee at contact (side view); pelvic drop and sway (rear view); "
                    "with the pose rate achieved and the latency. Frames the model cannot take in time "
                    "are dropped (the latest frame wins). Ctrl-C stops.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--camera", type=int, metavar="N", help="camera index (OpenCV VideoCapture)")
    src.add_argument("--source", metavar="URL|FILE",
                     help="an rtsp:// or http(s):// stream, or a video file (with --realtime)")
    p.add_argument("--realtime", action="store_true",
                   help="play --source FILE at its own pace, as if it were a camera")
    p.add_argument("--model", choices=MODEL_SIZES, default="lite", help="pose model size (default lite)")
    p.add_argument("--backend", choices=BACKENDS, default="mediapipe", help="pose runtime")
    p.add_argument("--record", type=Path, metavar="DIR",
                   help="keep every frame as DIR/recording.mp4 and write the full report into DIR at stop")
    p.add_argument("--analysis-model", choices=MODEL_SIZES, default="full",
                   help="pose model of the full analysis of the recording (default full, as analyze)")
    p.add_argument("--span", type=float, default=10.0, metavar="S",
                   help="seconds of the past the rolling numbers use (default 10)")
    p.add_argument("--every", type=float, default=2.0, metavar="S",
                   help="seconds between lines of rolling numbers (default 2)")
    p.add_argument("--view", choices=("auto", "side", "rear", "front"), default="auto")
    p.add_argument("--height-cm", type=float, default=None, metavar="CM", help="runner's height (scale)")
    p.add_argument("--rules", type=Path, default=None, metavar="FILE", help="cue rules override file")
    p.add_argument("--window", action="store_true", help="show the overlay in a window (needs a display)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.set_defaults(func=run)
    return p


def _source_spec(args: argparse.Namespace) -> str:
    if args.camera is not None:
        return str(args.camera)
    spec = str(args.source)
    if "://" not in spec and not args.realtime:
        raise ConfigError(f"{spec}: a file is played live only with --realtime (at its own pace); "
                          f"`formcam analyze {spec}` analyses every frame")
    return spec


def _settings(args: argparse.Namespace) -> LiveSettings:
    from formcam.live.session import LiveSettings

    if not 3.0 <= args.span <= 60.0:
        raise ConfigError(f"--span: expected 3 to 60 seconds, got {args.span:g}")
    if not 0.5 <= args.every <= args.span:
        raise ConfigError(f"--every: expected 0.5 s to --span ({args.span:g} s), got {args.every:g}")
    return LiveSettings(window_s=args.span, update_s=args.every,
                        view=None if args.view == "auto" else args.view, height_cm=args.height_cm,
                        rules=str(args.rules) if args.rules else None)


def run(args: argparse.Namespace) -> int:
    """Run ``formcam live``; returns the exit status (raises :class:`FormcamError` for the CLI's message)."""
    from formcam.live.session import run_live
    from formcam.live.text import final_text
    from formcam.pipeline import ensure_out_dir
    from formcam.pose import create_backend
    from formcam.video import MonotonicClock, open_live_source

    spec, settings = _source_spec(args), _settings(args)
    show = None
    if args.window:
        from formcam.live.display import window_show

        show = window_show()
    record = ensure_out_dir(args.record) / RECORDING_NAME if args.record else None
    clock = MonotonicClock()
    source = open_live_source(spec, clock=clock)
    backend = create_backend(args.backend, model=args.model, num_poses=1)
    stats = run_live(source, backend, clock=clock, write=_write_line, settings=settings, record=record,
                     show=show)
    print(final_text(stats), flush=True)
    if stats.stop == "lost":
        print(f"formcam: warning: {stats.lost_reason}", file=sys.stderr)
    if record is not None and stats.offered:
        _analyse_recording(record, args)
    return EXIT_LOST if stats.stop == "lost" else 0


def _write_line(line: str) -> None:
    print(line, flush=True)


def _analyse_recording(video: Path, args: argparse.Namespace) -> None:
    """The full analysis of the recording into its folder (``formcam analyze``'s outputs)."""
    from formcam.options import AnalyzeOptions
    from formcam.pipeline import analyze_video
    from formcam.report import summary_text

    print(f"analysing the recording {video} ...", flush=True)
    options = AnalyzeOptions(backend=args.backend, model=args.analysis_model, view=args.view,
                             height_cm=args.height_cm, rules_path=str(args.rules) if args.rules else None)
    result = analyze_video(video, video.parent, options)
    print(summary_text(result.report))
    print(f"wrote {video.parent}/: {', '.join(sorted(p.name for p in result.files.values()))}")


__all__ = ["add_parser", "run"]
