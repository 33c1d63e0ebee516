"""The formcam Streamlit page: ``streamlit run`` this file, or run ``formcam app``.

Flow: the sidebar holds the analysis settings; the *Analyse* tab takes an
upload (checked by decoding it) or a phantom sample, runs the analysis with a
progress bar, caches the result under the video's SHA-256 + settings, and
shows the results; the *Live* tab streams the browser's camera (rolling numbers, and
recordings analysed in full); the *Compare* tab compares two reports. Session state holds
only objects from :mod:`formcam.app.state` (this file may be re-executed as a
script on every rerun, so it defines no classes).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import streamlit as st

from formcam import __version__
from formcam.app import views
from formcam.app.compare_view import render_compare
from formcam.app.live_view import render_live
from formcam.app.paths import sample_videos
from formcam.app.processing import (
    ThrottledProgress,
    UploadedVideo,
    guarded,
    handle_upload,
    remove_upload,
    run_analysis,
    supported_options,
)
from formcam.app.state import (
    BACKEND_LABELS,
    SETTINGS_CHOICES,
    VIEWS,
    Entry,
    ResultCache,
    Settings,
    Source,
    Workspace,
    cache_key,
)
from formcam.errors import InputError
from formcam.pose import BACKENDS, DEFAULT_BACKEND, MARKER_SETTINGS, installed_models
from formcam.video import file_sha256

log = logging.getLogger(__name__)

PRIVACY = ("**Private by design:** your video never leaves this machine. It is analysed here, by the "
           "formcam server you started; nothing is uploaded to any other service, and usage statistics "
           "are off. Temporary copies are deleted after the analysis and when you clear the session.")
FILMING_TIPS = ("Film 10–30 s of steady running with the whole body in view, head to feet, filling at least "
                "a quarter of the frame height. Side view for stride, trunk and knee; rear view for pelvis. "
                "60 fps or more if your phone can; hold it steady at hip height.")


def _session() -> tuple[Workspace, ResultCache]:
    ss = st.session_state
    ws = ss.get("workspace")
    if not isinstance(ws, Workspace) or not ws.alive:
        ss["workspace"] = ws = Workspace()
    cache = ss.get("cache")
    if not isinstance(cache, ResultCache):
        ss["cache"] = cache = ResultCache()
    return ws, cache


def _available_backends() -> list[str]:
    """``mediapipe`` always (its absence is reported by the analysis); ``onnx`` when installed."""
    return [b for b in BACKENDS if b == "mediapipe" or installed_models(b)]


def _set_person(rank: int | None) -> None:
    st.session_state["person_rank"] = rank


def _select_sample(view: str, path: Path) -> None:
    ss = st.session_state
    ss["source"] = Source("sample", f"{path.name} ({view}-view phantom sample)", file_sha256(path), path)
    ss["person_rank"] = ss["upload_error"] = None
    ss.pop("failures", None)


def _clear() -> None:
    """Forget results and delete the session's temp folder; also empty the upload widget."""
    ss = st.session_state
    cache, ws = ss.get("cache"), ss.get("workspace")
    if isinstance(cache, ResultCache):
        cache.clear()
    if isinstance(ws, Workspace):
        ws.cleanup()
    for key in ("workspace", "cache", "source", "person_rank", "upload_error", "upload_file_id", "failures"):
        ss.pop(key, None)
    ss["upload_generation"] = int(ss.get("upload_generation", 0)) + 1


def _sidebar(workspace: Workspace) -> Settings:
    """The settings widgets; ``person_rank`` is filled in later from session state."""
    sb = st.sidebar
    sb.header("Settings")
    view = sb.selectbox("Camera view", VIEWS, key="set_view",
                        help="auto decides from the body's shape; side for stride, rear/front for pelvis")
    setting = sb.selectbox("Setting", SETTINGS_CHOICES, key="set_setting",
                           help="auto decides from how far the pelvis travels across the frame")
    height = sb.number_input("Runner height (cm)", min_value=100.0, max_value=230.0, value=None, step=1.0,
                             key="set_height", placeholder="not given: 170 cm is used",
                             help="the scale for centimetres (overstride, oscillation, sway)")
    backends = _available_backends()
    backend = sb.selectbox("Pose runtime", backends, key="set_backend",
                           index=backends.index(DEFAULT_BACKEND) if DEFAULT_BACKEND in backends else 0,
                           format_func=lambda b: BACKEND_LABELS.get(b, b),
                           help="the same BlazePose models through MediaPipe or ONNX Runtime; ONNX Runtime "
                                "is about 1.4-1.8x faster on a CPU; keypoints within 3 px of MediaPipe's")
    models = installed_models(str(backend)) or ["full"]
    model = sb.selectbox("Pose model", models, index=models.index("full") if "full" in models else 0,
                         key="set_model", help="lite is fastest, heavy most accurate (if installed)")
    max_fps = sb.number_input("Pose frames per second, at most", min_value=10.0, max_value=1000.0, value=None,
                              step=10.0, key="set_max_fps", placeholder="every frame",
                              help="on a faster clip the pose model runs on every k-th frame only (faster); "
                                   "contact time needs at least 60")
    capture = sb.number_input("Filmed at (frames per second)", min_value=10.0, max_value=2000.0, value=None,
                              step=10.0, key="set_capture_fps", placeholder="as the file says",
                              help="for slow-motion video: the rate it was filmed at (e.g. 240), so that "
                                   "cadence and contact time are measured in real time")
    markers = sb.selectbox("Skin markers (stickers)", MARKER_SETTINGS, key="set_markers",
                           help="PSIS stickers on the lower back give the clinic's pelvic drop and sway "
                                "(rear/front views); ASIS and PSIS stickers on the near side give pelvic "
                                "tilt (side view). auto uses rear/front ones when found (a side view is "
                                "searched only under pelvis), off never looks, pelvis expects them "
                                "(warns when missing)")
    can_render = "render_video" in supported_options()
    render = sb.checkbox("Render annotated video", value=can_render, disabled=not can_render,
                         key="set_render", help="skeleton and events drawn on the video" if can_render
                              else "this formcam version cannot render video yet")
    rank = st.session_state.get("person_rank")
    if rank:
        sb.caption(f"Runner: candidate {rank}, chosen by you.")
        sb.button("Choose the runner automatically", key="person_auto", on_click=_set_person, args=(None,))
    sb.divider()
    sb.button("Clear results and delete temporary files", key="clear", on_click=_clear)
    sb.caption(f"Temporary files of this session: `{workspace.root}`")
    return Settings(view=str(view), setting=str(setting), height_cm=float(height) if height else None,
                    model=str(model), render_video=bool(render and can_render),
                    max_fps=float(max_fps) if max_fps else None, backend=str(backend),
                    capture_fps=float(capture) if capture else None, markers=str(markers))


def _track_upload(uploaded: Any, workspace: Workspace) -> UploadedVideo | None:
    """Check a newly uploaded file (by decoding it) and make it the source; None if not new or bad."""
    ss = st.session_state
    if uploaded is None:
        if ss.get("upload_file_id") is not None:
            ss["upload_file_id"] = ss["upload_error"] = None
            source = ss.get("source")
            if isinstance(source, Source) and source.kind == "upload":
                ss["source"] = None
        return None
    if uploaded.file_id == ss.get("upload_file_id"):
        return None
    ss["upload_file_id"], ss["person_rank"] = uploaded.file_id, None
    ss.pop("failures", None)
    max_bytes = int(st.get_option("server.maxUploadSize")) * 1024 * 1024
    video, error = guarded(lambda: handle_upload(uploaded.getvalue(), uploaded.name, workspace.uploads(),
                                                 max_bytes=max_bytes),
                           what="reading the upload", name=uploaded.name)
    ss["upload_error"] = error
    ss["source"] = None if video is None else Source("upload", uploaded.name, video.sha256)
    return video


def _ensure(source: Source, settings: Settings, workspace: Workspace, cache: ResultCache,
            uploaded: Any, fresh: UploadedVideo | None) -> Entry | None:
    """The cached analysis for ``source`` + ``settings``, running it (with a progress bar) if needed."""
    ss = st.session_state
    key = cache_key(source.sha256, settings)
    failures: dict[str, str] = ss.setdefault("failures", {})
    if key in failures:  # do not re-run a failed analysis on every interaction
        st.error(failures[key])
        return None
    entry = cache.get(key)
    if entry is not None:
        if fresh is not None:
            remove_upload(fresh.path)
        return entry

    def video() -> Path:
        if source.path is not None:
            return source.path
        if fresh is not None:
            return fresh.path
        if uploaded is None:
            raise InputError(f"{source.name}: the upload is gone; upload the video again")
        return handle_upload(uploaded.getvalue(), source.name, workspace.uploads()).path

    bar = st.progress(0.0, text=f"analysing {source.name}…")
    progress = ThrottledProgress(lambda fraction, text: bar.progress(fraction, text=text))
    entry, error = guarded(lambda: run_analysis(name=source.name, sha256=source.sha256, settings=settings,
                                                workspace=workspace, cache=cache, video=video,
                                                progress=progress, delete_video=source.path is None),
                           what=f"analysing {source.name}", name=source.name)
    bar.empty()
    if error is not None:
        failures[key] = error
        st.error(error)
    return entry


def _people(entry: Entry) -> None:
    """Thumbnails of the candidate runners with a button to re-run on each (several people only)."""
    person = entry.report.get("person") or {}
    cands = person.get("candidates") or []
    if int(person.get("n_people") or 0) <= 1 or len(cands) <= 1:
        return
    st.subheader("Who is the runner?")
    st.markdown(f"{person['n_people']} people were tracked and formcam chose by **{person.get('method')}**. "
                "If that is the wrong person, pick the runner: the clip is analysed again.")
    cols = st.columns(min(len(cands), 4))
    for i, cand in enumerate(cands):
        rank, current = i + 1, cand.get("track") == person.get("chosen_track")
        with cols[i % len(cols)]:
            thumb = entry.thumbnails[i] if i < len(entry.thumbnails) else None
            caption = f"Candidate {rank}: in {100 * float(cand.get('presence') or 0):.0f} % of frames"
            if thumb:
                st.image(thumb, caption=caption)
            else:
                st.caption(caption)
            st.button("Current runner" if current else "This is the runner", key=f"person_{rank}",
                      disabled=current, on_click=_set_person, args=(rank,))


def _results(entry: Entry) -> None:
    """Findings first (cues, then the numbers), then how they were measured (collapsed)."""
    views.render_summary(entry)
    views.render_cues(entry.report, entry.out_dir)
    views.render_metric_cards(entry.report)
    views.render_notes(entry.report)
    _people(entry)
    views.render_media(entry)
    views.render_plots(entry)
    views.render_downloads(entry)
    views.render_disclaimer(entry.report)


def _analyse_tab(base: Settings, workspace: Workspace, cache: ResultCache) -> Entry | None:
    ss = st.session_state
    limit_mb = int(st.get_option("server.maxUploadSize"))
    uploaded = st.file_uploader(f"Upload a running video (MP4, MOV, M4V, AVI or WEBM; up to {limit_mb} MB)",
                                key=f"upload_{ss.get('upload_generation', 0)}", help=FILMING_TIPS)
    samples = sample_videos()
    if samples:
        row = st.container(horizontal=True)
        for view, path in samples.items():
            row.button(f"Try the {view}-view sample", key=f"sample_{view}", on_click=_select_sample,
                       args=(view, path), help=f"a synthetic runner with known form ({path.name})")
    fresh = _track_upload(uploaded, workspace)
    if ss.get("upload_error"):
        st.error(ss["upload_error"])
    source = ss.get("source")
    if not isinstance(source, Source):
        st.markdown(FILMING_TIPS)
        return None
    settings = replace(base, person_rank=ss.get("person_rank"))
    entry = _ensure(source, settings, workspace, cache, uploaded, fresh)
    if entry is not None:
        _results(entry)
    return entry


def main() -> None:
    """Draw the page (Streamlit calls this on every rerun)."""
    st.set_page_config(page_title="formcam", page_icon="🏃", layout="wide")
    workspace, cache = _session()
    base = _sidebar(workspace)
    st.title("formcam")
    st.caption(f"Running-form analysis from video · version {__version__}")
    st.info(PRIVACY, icon="🔒")
    analyse, live, compare = st.tabs(["Analyse", "Live", "Compare"])
    with analyse:
        entry = _analyse_tab(base, workspace, cache)
    with live:
        render_live(base, workspace, cache)
    with compare:
        render_compare(entry)


if __name__ == "__main__":
    main()
