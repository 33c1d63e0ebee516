"""Render (or, with ``source="truth"``, only simulate) each case, analyse it and compare.

:func:`run_cases` is what the CLI calls; :func:`run_case` one case in a given folder;
:func:`add_pelvis_image` the pelvis pass over a clip's frames for the true-keypoints source.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np

from formcam.phantom import PhantomClip, render_phantom
from formcam.verify.cases import Case
from formcam.verify.compare import Row, compare

log = logging.getLogger(__name__)


def add_pelvis_image(npz_path: Path, clip: PhantomClip, *, markers: str) -> None:
    """Run the pelvis pass (:func:`formcam.pose.observe`) over ``clip``'s rendered frames (not
    encoded) with its true keypoints, and store it in the keypoints file's ``meta_json``, as
    ``formcam analyze`` does for a video."""
    import json

    from formcam.pose import observe, observe_side
    from formcam.series import load_keypoints
    from formcam.video import Frame

    series = load_keypoints(npz_path)
    frames = (Frame(i, float(t), clip.frame(i)) for i, t in enumerate(clip.t_s))
    image = (observe_side if clip.view.startswith("side") else observe)(frames, series, markers=markers)
    with np.load(npz_path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays.get("meta_json", "{}")))
    meta["pelvis_image"] = image.to_meta()
    arrays["meta_json"] = np.array(json.dumps(meta, sort_keys=True))
    with open(npz_path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def run_case(case: Case, workdir: Path, *, source: str = "model") -> list[Row]:
    """Render ``case``, analyse it, and compare with the truth."""
    from formcam.options import AnalyzeOptions
    from formcam.pipeline import analyze_keypoints, analyze_video

    params = case.params()
    width, height = case.size
    video = workdir / f"{case.name}.mp4"
    options = AnalyzeOptions(height_cm=params.height_cm, markers=case.markers)
    if source == "truth":  # the true keypoints alone: no video to render
        clip = PhantomClip(params, view=case.view, fps=case.fps, duration_s=case.duration_s,
                           width=width, height=height, clothing=case.clothing, stickers=case.stickers)
        truth = clip.save_truth(video.with_suffix(".truth.json"), video.with_suffix(".truth.npz"))
        if case.stickers or case.clothing != "plain":
            add_pelvis_image(video.with_suffix(".truth.npz"), clip, markers=case.markers)
        result = analyze_keypoints(video.with_suffix(".truth.npz"), workdir / case.name, options)
    else:
        truth = render_phantom(video, params, view=case.view, fps=case.fps, duration_s=case.duration_s,
                               width=width, height=height, noise_sigma=1.0, seed=1, clothing=case.clothing,
                               stickers=case.stickers)
        result = analyze_video(video, workdir / case.name, options)
    return compare(case, truth, result.report)


def run_cases(cases: tuple[Case, ...], *, source: str = "model", workdir: Path | None = None) -> list[Row]:
    """Run every case (in ``workdir`` or a temporary folder) and return all rows."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="formcam-verify-") as tmp:
        base = workdir or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        for case in cases:
            log.info("verify: %s (%s, %g fps)", case.name, case.view, case.fps)
            rows.extend(run_case(case, base, source=source))
    return rows
