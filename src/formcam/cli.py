"""The ``formcam`` command line.

``formcam analyze VIDEO --out DIR`` and ``formcam analyze --keypoints FILE.npz``.
User errors (bad files, bad options, no runner) print one line,
``formcam: error: ...``, and exit with status 2; they never show a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from formcam import __version__
from formcam.errors import FormcamError
from formcam.pose import BACKENDS, DEFAULT_BACKEND, MODEL_SIZES

log = logging.getLogger("formcam")

EXIT_USER_ERROR = 2
_CAPTURE_FPS_HELP = ("the frame rate a slow-motion clip was filmed at (e.g. 240 for a phone's slow motion "
                     "saved at 30 fps): cadence and contact time are then measured on the true time base")
_MARKERS_HELP = ("rear/front views: PSIS stickers for pelvic drop and sway; side view: ASIS and PSIS "
                 "stickers for pelvic tilt. auto (default): rear/front stickers used when found (else "
                 "markerless pelvic drop); side view: no sticker search; off: no sticker search; "
                 "pelvis: stickers expected in any view (warns when missing); pelvis,heels: also heel "
                 "stickers (not used yet)")
_MAX_FPS_HELP = ("run the pose model on at most HZ frames per second: on a faster clip, every k-th frame "
                 "(k = ceil(fps / HZ); the others are still decoded). Default: every frame. Contact "
                 "time needs >= 60 fps")
_DETECT_HELP = ("--backend onnx only: once the runner is tracked, run the person detector only every S "
                "seconds of video (default 0: on every frame while fewer than --max-people are tracked, "
                "as MediaPipe). About 2x faster; the landmarks then come from tracked crops (see README)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="formcam", description="Running-form analysis from video.")
    parser.add_argument("--version", action="version", version=f"formcam {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="analyse one video (or replay a keypoints file)",
                       description="Analyse a running video: pose, runner choice, metrics, report.")
    a.add_argument("video", nargs="?", type=Path, help="video file (mp4, mov, m4v, avi, webm, ...)")
    a.add_argument("--keypoints", type=Path, metavar="FILE.npz",
                   help="replay a keypoints file instead of running the pose model")
    a.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default: formcam_out/<video name>)")
    a.add_argument("--model", choices=MODEL_SIZES, default="full", help="pose model size (default full)")
    a.add_argument("--backend", choices=BACKENDS, default=DEFAULT_BACKEND,
                   help=f"pose runtime: MediaPipe Tasks or ONNX Runtime, the same BlazePose models "
                        f"(default {DEFAULT_BACKEND})")
    a.add_argument("--person", default="auto", metavar="SPEC",
                   help="who is the runner: auto (default), a rank N (1 = best candidate), "
                        "or a box x,y,w,h in pixels around the runner when first seen")
    a.add_argument("--max-people", type=int, default=3, metavar="N",
                   help="most people tracked per frame (default 3)")
    a.add_argument("--detect-interval", default=None, metavar="S", help=_DETECT_HELP)
    a.add_argument("--track-runner", action=argparse.BooleanOptionalAction, default=None,
                   help="choose, then track: look for other people only every second (and while someone "
                        "else is in the picture), track the runner alone between; faster. Default: in "
                        "rear/front views only (tracked crops bias side-view knee and hip angles); "
                        "--track-runner: in every view; --no-track-runner: never")
    a.add_argument("--keypoints-only", action="store_true", help="stop after writing keypoints.npz")
    a.add_argument("--max-fps", default=None, metavar="HZ", help=_MAX_FPS_HELP)
    a.add_argument("--capture-fps", default=None, metavar="HZ", help=_CAPTURE_FPS_HELP)
    a.add_argument("--markers", default="auto", metavar="auto|off|pelvis|pelvis,heels", help=_MARKERS_HELP)
    a.add_argument("--view", choices=("auto", "side", "rear", "front"), default="auto",
                   help="camera view (default: decided from body geometry)")
    a.add_argument("--setting", choices=("auto", "treadmill", "overground"), default="auto",
                   help="treadmill or overground (default: decided from pelvis travel)")
    a.add_argument("--direction", choices=("auto", "right", "left", "away", "toward"), default="auto",
                   help="side view: runner faces image-right or -left; rear/front: away or toward")
    a.add_argument("--height-cm", type=float, default=None, metavar="CM",
                   help="runner's height, the scale for centimetres (default 170 cm, reported)")
    a.add_argument("--no-video", action="store_true", help="do not write the annotated video")
    a.add_argument("--rules", type=Path, default=None, metavar="FILE",
                   help="a TOML file overriding the cue rules (thresholds, wording) by rule id")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    a.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    v = sub.add_parser("verify", help="measure formcam's accuracy on phantom runners with known form",
                       description="Render phantom runners with known form faults, analyse them, and "
                                   "compare with the truth. Exit 1 when a judged row's error exceeds its "
                                   "tolerance (rows without a tolerance or truth are not judged).")
    v.add_argument("--quick", action="store_true", help="one short case only")
    v.add_argument("--case", action="append", metavar="NAME", help="run only this case (repeatable)")
    v.add_argument("--source", choices=("model", "truth"), default="model",
                   help="pose from the model on the rendered video (default) or the true keypoints")
    v.add_argument("--keep", type=Path, metavar="DIR", help="keep the rendered clips and reports here")
    b = sub.add_parser("batch", help="analyse every video in a folder (parallel, resumable)",
                       description="Analyse every video under DIR into OUT/<relative path>/, with "
                                   "OUT/summary.csv. Exit 1 when any video failed.")
    b.add_argument("folder", type=Path, metavar="DIR")
    b.add_argument("--out", type=Path, required=True, metavar="OUT")
    b.add_argument("--include", action="append", metavar="GLOB",
                   help="only files matching (repeatable; default: common video extensions)")
    b.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip matching files")
    b.add_argument("--workers", type=int, default=None, metavar="N",
                   help="parallel worker processes (default: cores / 2)")
    b.add_argument("--resume", action="store_true",
                   help="skip videos already analysed with the same input, version and settings")
    b.add_argument("--engine", choices=("local", "ray"), default="local")
    b.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="Ray cluster address (default: start a local Ray)")
    b.add_argument("--model", choices=MODEL_SIZES, default=None)
    b.add_argument("--backend", choices=BACKENDS, default=None,
                   help=f"pose runtime (default {DEFAULT_BACKEND}: ONNX Runtime; mediapipe: MediaPipe Tasks)")
    b.add_argument("--detect-interval", default=None, metavar="S", help=_DETECT_HELP)
    b.add_argument("--view", choices=("auto", "side", "rear", "front"), default=None)
    b.add_argument("--setting", choices=("auto", "treadmill", "overground"), default=None)
    b.add_argument("--height-cm", type=float, default=None, metavar="CM")
    b.add_argument("--max-fps", default=None, metavar="HZ", help=_MAX_FPS_HELP)
    b.add_argument("--capture-fps", default=None, metavar="HZ", help=_CAPTURE_FPS_HELP)
    b.add_argument("--markers", default=None, metavar="auto|off|pelvis|pelvis,heels", help=_MARKERS_HELP)
    b.add_argument("--html", action="store_true",
                   help="also write each video's report.html, frames.csv, plots and key frames")
    b.add_argument("--video", action="store_true", help="also write each video's annotated.mp4")
    b.add_argument("--rules", type=Path, default=None, metavar="FILE", help="cue rules override file")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    b.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    c = sub.add_parser("compare-sides", help="left/right comparison from two side views, one from each side",
                       description="Compare the legs from two side-view analyses of the same running, "
                       "one filmed from the runner's left and one from the right: each leg is taken from "
                       "the clip where it is nearer the camera (a single side view withholds left/right).")
    c.add_argument("reports", nargs=2, type=Path, metavar="REPORT",
                   help="report.json (or the folder formcam analyze wrote), one per side, in either order")
    c.add_argument("--json", type=Path, default=None, metavar="FILE",
                   help="also write the comparison as JSON")
    from formcam.app.launch import add_parser as add_app_parser
    from formcam.live.cli import add_parser as add_live_parser
    from formcam.phantom.cli import add_parser as add_phantom_parser

    add_app_parser(sub)
    add_live_parser(sub)

    add_phantom_parser(sub)
    return parser


def _progress_bar(quiet: bool):  # type: ignore[no-untyped-def]
    """A progress callback drawing a tqdm bar on a terminal, silent otherwise."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}  # type: ignore[type-arg]
    enabled = not quiet and sys.stderr.isatty()

    def progress(stage: str, done: int, total: int) -> None:
        if not enabled:
            return
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="frame", leave=False)
        if done > bar.total:
            bar.total = done
        bar.update(done - bar.n)

    def close() -> None:
        for bar in bars.values():
            bar.close()

    return progress, close


def _cmd_analyze(args: argparse.Namespace) -> int:
    from formcam.options import AnalyzeOptions, parse_capture_fps, parse_detect_interval, parse_max_fps
    from formcam.pipeline import analyze_keypoints, analyze_video
    from formcam.pose import PersonChoice

    if (args.video is None) == (args.keypoints is None):
        raise FormcamError("give either a VIDEO or --keypoints FILE.npz (exactly one)")
    max_fps = parse_max_fps(args.max_fps)
    if max_fps is not None and args.keypoints is not None:
        raise FormcamError("--max-fps applies to a VIDEO; a --keypoints replay keeps the frames it was "
                           "made with")
    source = args.video if args.video is not None else args.keypoints
    out = args.out or Path("formcam_out") / source.stem
    options = AnalyzeOptions(backend=args.backend, model=args.model, num_poses=args.max_people,
                             person=PersonChoice.parse(args.person), keypoints_only=args.keypoints_only,
                             view=args.view, setting=args.setting, direction=args.direction,
                             height_cm=args.height_cm,
                             render_video=not args.no_video, max_fps=max_fps,
                             capture_fps=parse_capture_fps(args.capture_fps), markers=args.markers,
                             detect_interval_s=parse_detect_interval(args.detect_interval) or 0.0,
                             track_runner=args.track_runner,
                             rules_path=str(args.rules) if args.rules else None)
    progress, close = _progress_bar(args.quiet)
    try:
        if args.keypoints is not None:
            result = analyze_keypoints(args.keypoints, out, options, progress=progress)
        else:
            result = analyze_video(args.video, out, options, progress=progress)
    finally:
        close()
    if not args.quiet:
        from formcam.report import summary_text

        print(summary_text(result.report))
        main_files = [p.name for k, p in result.files.items() if not k.startswith(("plot_", "keyframe_"))]
        extra = len(result.files) - len(main_files)
        more = f" (+ {extra} plots and key frames)" if extra else ""
        print(f"wrote {out}/: {', '.join(main_files)}{more}")
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from formcam.batch import BatchOptions, run_batch
    from formcam.batch.discover import VIDEO_PATTERNS
    from formcam.options import parse_capture_fps, parse_detect_interval, parse_max_fps
    from formcam.pose import parse_markers

    pairs = (("capture_fps", parse_capture_fps(args.capture_fps)), ("model", args.model),
             ("backend", args.backend),
             ("detect_interval_s", parse_detect_interval(args.detect_interval)),
             ("view", args.view), ("setting", args.setting),
             ("height_cm", args.height_cm), ("max_fps", parse_max_fps(args.max_fps)),
             ("rules", str(args.rules.resolve()) if args.rules else None),
             ("html", args.html or None), ("video", args.video or None),
             ("markers", parse_markers(args.markers) if args.markers is not None else None))
    settings = {k: v for k, v in pairs if v is not None}
    options = BatchOptions(include=tuple(args.include or VIDEO_PATTERNS), exclude=tuple(args.exclude),
                           workers=args.workers, resume=args.resume, engine=args.engine,
                           ray_address=args.ray_address, settings=settings)
    bar = tqdm(desc="videos", unit="video", disable=args.quiet or not sys.stderr.isatty())

    def on_done(job, outcome, n_done, n_total):  # type: ignore[no-untyped-def]
        bar.total = n_total
        bar.update(1)
        if outcome.row["status"] == "error":
            bar.write(f"error: {outcome.row['error']}")
        elif outcome.row["status"] == "partial":
            bar.write(f"partial: {outcome.row['path']}: withheld {outcome.row['withheld']}")

    try:
        result = run_batch(args.folder, args.out, options, on_done=on_done)
    finally:
        bar.close()
    print(f"wrote {', '.join(str(p) for p in result.files)}")
    print(f"{result.n_ok} ok, {result.n_partial} partial, {result.n_error} failed "
          f"({result.n_reused} reused from an earlier run)")
    return 0 if result.n_ok == len(result.rows) else 1


def _cmd_compare_sides(args: argparse.Namespace) -> int:
    from formcam.app.two_sides import compare_sides, format_rows, load, to_json

    a, b = (load(p) for p in args.reports)
    rows, warnings = compare_sides(a, b, names=(str(args.reports[0]), str(args.reports[1])))
    print(format_rows(rows))
    for w in warnings:
        print(f"warning: {w}")
    if args.json is not None:
        try:
            args.json.write_text(json.dumps(to_json(rows, warnings), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise FormcamError(f"{args.json}: cannot write ({exc.strerror})") from None
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from formcam.verify import DEFAULT_CASES, QUICK_CASES, exit_status, format_table, run_cases, summary_line

    cases = QUICK_CASES if args.quick else DEFAULT_CASES
    if args.case:
        known = {c.name: c for c in DEFAULT_CASES + QUICK_CASES}
        unknown = [n for n in args.case if n not in known]
        if unknown:
            raise FormcamError(f"--case: expected one of {sorted(known)}, got {unknown}")
        cases = tuple(known[n] for n in args.case)
    rows = run_cases(cases, source=args.source, workdir=args.keep)
    print(format_table(rows))
    print(summary_line(rows))
    return exit_status(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``formcam`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
                        format="formcam: %(levelname)s: %(message)s")
    try:
        if args.command == "analyze":
            return _cmd_analyze(args)
        if args.command == "batch":
            return _cmd_batch(args)
        if args.command == "verify":
            return _cmd_verify(args)
        if args.command == "compare-sides":
            return _cmd_compare_sides(args)
        if args.command in ("phantom", "app", "live"):
            return int(args.func(args))
    except FormcamError as exc:
        print(f"formcam: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("formcam: interrupted", file=sys.stderr)
        return 130
    return EXIT_USER_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
