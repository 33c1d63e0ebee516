#!/usr/bin/env python3
"""formcam throughput and memory benchmark (a script, not a test; see benchmarks/README.md).

On one clip, in one run, it measures frames per second of

* decoding alone: formcam's PyAV ``FrameReader`` (RGB frames, as analysed), the same
  through :func:`formcam.video.prefetch.prefetch`, and OpenCV ``VideoCapture.read`` (BGR);
* the pose model alone, per backend, model size and ``num_poses``, on frames already
  decoded into memory (``--frames``, default 240);
* the decode + pose loop, serial and with decoding prefetched in a thread (``--loops``);
* formcam's pose stage, ``estimate_pose`` (probe, decode, pose, runner selection);
* a naive baseline: ``cv2.VideoCapture`` read -> RGB -> MediaPipe ``detect_for_video``;
* formcam's end-to-end ``analyze_video`` per backend/model/num_poses (with the annotated
  video too when ``AnalyzeOptions`` has ``render_video``, and with ``max_fps`` when it has
  that field);
* for the ONNX backend, every row names its intra-op threads and person-detector interval,
  and the model-only row an ``analyze`` row is compared with has exactly the same ones
  (the defaults, and MediaPipe's every-frame detection as an extra setting);

and the peak resident memory of each (every measurement runs in a fresh subprocess,
which reports its resident-set high-water mark: ``VmHWM``, see :func:`peak_rss_mb`),
compared for ``analyze`` on a 10 s and a 60 s clip.
The default clip is a 1080p60 phantom render (10 s; the 60 s clip loops it six times
by copying packets), cached in ``--cache``. The real clips of :data:`REAL_CLIPS` (when
``../shared/videos`` has them) get whole-program rows (``formcam analyze --no-video`` and the naive
loop, start-up included); ``--clip PATH`` adds another, ``--real-only`` runs only those.

Usage::

    python benchmarks/bench.py                      # full run, ~10-15 min on 2 cores
    python benchmarks/bench.py --quick              # fewer configurations
    python benchmarks/bench.py --clip ../shared/videos/side_treadmill_01_portrait_60fps.mp4
    python benchmarks/bench.py --json results.json
    python benchmarks/bench.py --quick --repeat 5 --only "onnx/full/P1" --only naive   # paired ratios
    python benchmarks/bench.py --frames 20 --only "model onnx/lite" --no-real   # smoke test
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_clips import UHD, make_clips
from bench_measure import child_main, onnx_defaults

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "formcam-bench"
SHARED_VIDEOS = ROOT.parent / "shared" / "videos"
REAL_CLIPS = ("side_treadmill_01_portrait_60fps.mp4", "side_overground_01_50fps.mp4")
"""Real clips measured when ``../shared/videos`` has them: a 1080x1920 60 fps phone clip (the
issue's clip) and a 1920x1080 50 fps landscape one."""
CLI_SETTINGS: tuple[tuple[str, ...], ...] = ((), ("--backend", "mediapipe"), ("--track-runner",))
"""``formcam analyze --no-video`` rows on the real clips: the defaults (ONNX, three people), the
previous defaults (MediaPipe, three people) and choose-then-track."""


# --- running measurements -----------------------------------------------------------------------

def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
                          capture_output=True, text=True, check=False, env=None)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        print(f"  FAILED {spec}: {proc.stderr.strip().splitlines()[-1:]}", flush=True)
        return {**spec, "error": proc.stderr[-2000:]}
    return {**spec, **json.loads(lines[-1])}




# --- plan, table, ratios --------------------------------------------------------------------

MAX_FPS = 30.0
"""``max_fps`` of the extra analyze row (when ``AnalyzeOptions`` has that field)."""
BUSY = max(1, (os.cpu_count() or 2) - 1)
"""Spinning processes beside the ``+busy`` model rows: every other core."""


def real_plan(real: list[Path]) -> list[dict[str, Any]]:
    """Rows on real clips: the naive loop and ``formcam analyze --no-video`` as whole programs
    (start-up included: what a user waits for), and in-process (after loading)."""
    onnx = onnx_defaults()
    specs: list[dict[str, Any]] = []
    for path in real:
        clip = str(path)
        naive = {"clip": clip, "backend": "mediapipe", "model": "full", "num_poses": 1}
        specs += [{"kind": "decode_pyav", "clip": clip}, {"kind": "naive_cli", **naive},
                  {"kind": "naive", **naive}]
        specs += [{"kind": "cli", "clip": clip, "args": list(args)} for args in CLI_SETTINGS]
        for backend in ("mediapipe", "onnx"):
            specs.append({"kind": "analyze", "clip": clip, "backend": backend, "model": "full",
                          "num_poses": 3, **(onnx if backend == "onnx" else {})})
    return specs


def plan(clips: dict[int, Path], *, quick: bool, frames: int, loops: bool = False) -> list[dict[str, Any]]:
    from formcam.options import AnalyzeOptions

    clip = str(clips[10])
    fields = {f.name for f in dataclasses.fields(AnalyzeOptions)}
    onnx = onnx_defaults()
    other_threads = 1 if onnx["threads"] > 1 else 2
    models = ("full",) if quick else ("lite", "full")
    specs: list[dict[str, Any]] = [{"kind": k, "clip": clip} for k in
                                   ("decode_pyav", "decode_pyav_prefetch", "decode_cv2")]

    def settings(backend: str, **override: Any) -> dict[str, Any]:
        return {**onnx, **override} if backend == "onnx" else {}

    for backend in ("mediapipe", "onnx"):
        for model in models:
            for n in (3, 1):
                base = {"clip": clip, "backend": backend, "model": model, "num_poses": n, **settings(backend)}
                specs.append({"kind": "model", "frames": frames, **base})
                specs.append({"kind": "model", "frames": frames, "busy": BUSY, **base})
                specs.append({"kind": "model", "frames": frames, "decode": True, **base})
                if loops:
                    specs += [{"kind": "loop", **base}, {"kind": "loop_prefetch", **base}]
                specs += [{"kind": "pose_stage", **base}, {"kind": "pose_stage", "feet": True, **base},
                          {"kind": "analyze", **base},
                          {"kind": "analyze", "report_only": True, **base}]
                if "render_video" in fields and n == 3:
                    specs.append({"kind": "analyze", "render": True, **base})
                if "max_fps" in fields and n == 3 and model == "full":
                    specs.append({"kind": "analyze", "max_fps": MAX_FPS, **base})
    for model in models:  # ONNX settings other than the defaults, each with its own model-only row
        for n, override in ((3, {"detect_interval_s": 0.5}), (3, {"threads": other_threads}),
                            (1, {"threads": other_threads})):
            base = {"clip": clip, "backend": "onnx", "model": model, "num_poses": n,
                    **settings("onnx", **override)}
            specs += [{"kind": "model", "frames": frames, **base}, {"kind": "pose_stage", **base}]
            if model == "full":
                specs += [{"kind": "analyze", **base}, {"kind": "analyze", "report_only": True, **base}]
    for model in models:
        specs.append({"kind": "naive", "clip": clip, "backend": "mediapipe", "model": model, "num_poses": 1})
    for backend, model, n in (("mediapipe", "full", 3), ("onnx", models[0], 1), ("onnx", "full", 3)):
        specs.append({"kind": "analyze", "clip": str(clips[60]), "backend": backend, "model": model,
                      "num_poses": n, "memory": True, **settings(backend)})
    specs.append({"kind": "analyze", "clip": str(clips[60]), "backend": "onnx", "model": "full",
                  "num_poses": 3, "memory": True, **settings("onnx", detect_interval_s=0.5)})
    for clip_key in (10, UHD):  # RGB frames vs YUV planes for the ONNX backend (formcam gives it planes)
        base = {"clip": str(clips[clip_key]), "backend": "onnx", "model": "full", "num_poses": 1,
                **settings("onnx")}
        if clip_key == UHD:
            specs += [{"kind": "decode_pyav", "clip": str(clips[UHD])},
                      {"kind": "model", "frames": 60, **base}, {"kind": "pose_stage", **base}]
        specs += [{"kind": "loop_prefetch", "yuv": yuv, **base} for yuv in (False, True)]
    return specs


SETTINGS = ("threads", "detect_interval_s")
"""Spec keys that must agree between an analyze row and the model-only row it is compared with."""


def label(r: dict[str, Any]) -> str:
    parts = [r["kind"]]
    if r["kind"] == "cli":
        parts.append(" ".join(r["args"]) or "(defaults)")
    if "backend" in r:
        parts.append(f"{r['backend']}/{r['model']}/P{r['num_poses']}")
    if r.get("backend") == "onnx":
        parts.append(f"t{r['threads']}")
        if r["num_poses"] > 1:  # with one pose the detector runs only until someone is tracked
            interval = r["detect_interval_s"]
            parts.append(f"det{interval:g}s" if interval else "det-every")
    for key, text in (("render", "+video"), ("report_only", "report-only"), ("max_fps", "max_fps={:g}"),
                      ("busy", "+busy"), ("decode", "+decode"), ("feet", "+feet")):
        if r.get(key):
            parts.append(text.format(r[key]))
    if "yuv" in r:
        parts.append("yuv-planes" if r["yuv"] else "rgb-frames")
    return " ".join(parts)


def clip_fps(path: str) -> float:
    from formcam.video.reader import probe

    return float(probe(path).fps)


def combine(rounds: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One result per spec from ``rounds`` of the same plan: the median time, the highest peak
    memory, and every round's frames/s under ``fps_rounds`` (for paired ratios, :func:`ratio`)."""
    combined = []
    for runs in zip(*rounds, strict=True):
        good = [r for r in runs if "error" not in r]
        if not good:
            combined.append(runs[0])
            continue
        row = dict(good[0])
        row["seconds"] = statistics.median(r["seconds"] for r in good)
        row["peak_mb"] = max(r["peak_mb"] for r in good)
        row["fps_rounds"] = [r["frames"] / r["seconds"] if "error" not in r else None for r in runs]
        combined.append(row)
    return combined


def ratio(r: dict[str, Any], other: dict[str, Any]) -> str:
    """``r``'s frames/s over ``other``'s; with several rounds, the median of the per-round ratios
    (each round ran both rows close together in time) and their range."""
    pairs = [a / b for a, b in zip(r.get("fps_rounds", []), other.get("fps_rounds", []), strict=False)
             if a and b]
    if len(pairs) < 2:
        return f"{r['fps'] / other['fps']:.2f}"
    return f"{statistics.median(pairs):.2f} [{min(pairs):.2f}-{max(pairs):.2f}]"


def report(results: list[dict[str, Any]], clips: dict[int, Path]) -> None:
    fps_of = {p: clip_fps(p) for p in {r["clip"] for r in results}}
    print(f"\n{'measurement':52s} {'clip':>10s} {'frames':>6s} {'s':>7s} {'frames/s':>9s} {'x real':>7s} "
          f"{'peak MB':>8s}")
    for r in results:
        if "error" in r:
            print(f"{label(r):52s} FAILED")
            continue
        fps = r["frames"] / r["seconds"]
        r["fps"] = fps
        print(f"{label(r):52s} {Path(r['clip']).stem[-10:]:>10s} {r['frames']:6d} {r['seconds']:7.1f} "
              f"{fps:9.1f} {fps / fps_of[r['clip']]:7.2f} {r['peak_mb']:8.0f}")
    ok = [r for r in results if "fps" in r]
    base = str(clips[10]) if 10 in clips else ""

    def find(clip: str = base, **kw: Any) -> dict[str, Any] | None:
        return next((r for r in ok if r["clip"] == clip and all(r.get(k) == v for k, v in kw.items())), None)

    def model_row(r: dict[str, Any], *, clip: str = base, busy: int | None = None,
                  decode: bool | None = None) -> dict[str, Any] | None:
        """The model-only row on ``clip`` with ``r``'s backend, model, num_poses and SETTINGS."""
        return find(clip, kind="model", backend=r["backend"], model=r["model"], num_poses=r["num_poses"],
                    busy=busy, decode=decode, **{k: r.get(k) for k in SETTINGS})

    print("\nratios (targets: analyze/pose-only >= 0.90, analyze/naive >= 1.5, x real >= 1, memory <= 1.10)")
    naive_full = find(kind="naive", model="full")
    for r in ok:
        if r["kind"] not in ("pose_stage", "analyze") or r["clip"] != base or r.get("render"):
            continue
        model_only, loaded, decoding = model_row(r), model_row(r, busy=BUSY), model_row(r, decode=True)
        text = f"  {label(r):50s}"
        if model_only and not r.get("max_fps"):  # max_fps runs the model on fewer frames than counted
            text += f" /pose-only {ratio(r, model_only)}"
            for name, other in (("+busy", loaded), ("+decode", decoding)):
                if other:
                    text += f" (/pose-only{name} {ratio(r, other)})"
        if naive_full:
            text += f"  /naive(full) {ratio(r, naive_full)}"
        text += f"  x real {r['fps'] / fps_of[r['clip']]:.2f}"
        print(text)
    for r in ok:
        if r.get("memory"):
            same: dict[str, Any] = {k: r.get(k) for k in SETTINGS}
            short = find(kind="analyze", backend=r["backend"], model=r["model"], num_poses=r["num_poses"],
                         render=None, max_fps=None, report_only=None, **same)
            model_only = model_row(r)
            if model_only:
                print(f"  {label(r)} on the 60 s clip: /pose-only {ratio(r, model_only)}  "
                      f"x real {r['fps'] / fps_of[r['clip']]:.2f}")
            if short:
                print(f"  peak memory 60 s / 10 s, {label(r)}: {r['peak_mb']:.0f} / "
                      f"{short['peak_mb']:.0f} MB = {r['peak_mb'] / short['peak_mb']:.2f}")
    for r in ok:
        if r["kind"] == "loop_prefetch" and r.get("yuv"):
            rgb = find(clip=r["clip"], kind="loop_prefetch", yuv=False, backend=r["backend"],
                       model=r["model"], num_poses=r["num_poses"])
            if rgb:
                print(f"  {label(r)} on {Path(r['clip']).stem}: / rgb-frames = {ratio(r, rgb)}")
        if r["kind"] == "pose_stage" and r["clip"] != base:
            model_only = model_row(r, clip=r["clip"])
            if model_only:
                print(f"  {label(r)} on {Path(r['clip']).stem}: /pose-only "
                      f"{ratio(r, model_only)}  x real {r['fps'] / fps_of[r['clip']]:.2f}")
    for r in ok:  # issue 20: the foot-motion stage costs at most 15 % of the pose stage
        if r["kind"] == "pose_stage" and r.get("feet"):
            plain = find(clip=r["clip"], kind="pose_stage", feet=None, backend=r["backend"], model=r["model"],
                         num_poses=r["num_poses"], **{k: r.get(k) for k in SETTINGS})
            text = (f"  {label(r)} on {Path(r['clip']).stem}: foot motion {r['observer_s']:.2f} s = "
                    f"{100 * r['observer_s'] / r['seconds']:.1f} % of the pose stage (target <= 15 %)")
            if plain:
                text += f"; pose stage with / without it {ratio(plain, r)} (time)"
            print(text)
    for r in ok:
        idle = model_row(r) if r["kind"] == "model" else None
        if idle and r.get("busy"):
            print(f"  {label(r)}: with {r['busy']} other core(s) busy / idle = {ratio(r, idle)}")
        if idle and r.get("decode"):
            print(f"  {label(r)}: with the clip decoded beside as formcam does / idle = {ratio(r, idle)} "
                  "(the ceiling of analyze/pose-only on this machine)")
    for clip in sorted({r["clip"] for r in ok if r["kind"] == "naive_cli"}):
        naive_prog = find(clip, kind="naive_cli")
        naive_loop = find(clip, kind="naive")
        print(f"\n{Path(clip).name} (whole programs, start-up included; targets: /naive >= 1.5, x real >= 1)")
        for r in ok:
            if r["clip"] != clip or r["kind"] not in ("cli", "analyze", "naive_cli"):
                continue
            other = naive_prog if r["kind"] in ("cli", "naive_cli") else naive_loop
            text = f"  {label(r):50s} {r['seconds']:6.1f} s"
            if other and r is not other:
                text += f"  /naive{'' if r['kind'] == 'cli' else ' (in-process)'} {ratio(r, other)}"
            print(text + f"  x real {r['fps'] / fps_of[clip]:.2f}")
    print("\nONNX rows: tN = N intra-op threads; detXs = person detector every X s of video once someone "
          "is tracked (det-every: every frame, as MediaPipe)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clip", type=Path, default=None,
                        help=f"a real clip to add to {', '.join(REAL_CLIPS)} (those when present)")
    parser.add_argument("--no-real", action="store_true", help="do not add the shared real clips")
    parser.add_argument("--real-only", action="store_true",
                        help="only the rows on the real shared clips (../shared/videos; none when absent)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where rendered clips are kept")
    parser.add_argument("--frames", type=int, default=240, help="frames in memory for pose-model-only runs")
    parser.add_argument("--quick", action="store_true", help="full model only")
    parser.add_argument("--loops", action="store_true", help="also time bare decode + pose loops")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="run only rows whose label contains TEXT (repeatable; e.g. a smoke test)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run the plan N times (every other round in reverse order); rows show the "
                             "median time, ratios the median of the per-round ratios [and their range]")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child)
    shared = [] if args.no_real else [SHARED_VIDEOS / n for n in REAL_CLIPS if (SHARED_VIDEOS / n).is_file()]
    if args.clip and args.clip.resolve() not in {p.resolve() for p in shared}:
        shared.append(args.clip)
    if args.real_only and not shared:
        print(f"no real clips: {SHARED_VIDEOS} has none of {REAL_CLIPS}", flush=True)
        return 0
    clips = {} if args.real_only else make_clips(args.cache)
    specs = [] if args.real_only else plan(clips, quick=args.quick, frames=args.frames, loops=args.loops)
    specs += real_plan(shared)
    if args.only:
        specs = [s for s in specs if any(text in label(s) for text in args.only)]
    if args.repeat < 1:
        parser.error(f"--repeat: expected 1 or more, got {args.repeat}")
    rounds = []
    for k in range(args.repeat):
        order = list(range(len(specs)))[:: -1 if k % 2 else 1]
        got: dict[int, dict[str, Any]] = {}
        for n, i in enumerate(order, 1):
            print(f"[{k + 1}.{n}/{len(specs)}] {label(specs[i])} {Path(specs[i]['clip']).name}", flush=True)
            got[i] = run_child(specs[i])
        rounds.append([got[i] for i in range(len(specs))])
    results = combine(rounds)
    report(results, clips)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
