"""The "Live" tab: the browser's camera streamed to this server, the overlay and rolling numbers.

streamlit-webrtc (aiortc) carries the stream; :class:`~formcam.app.live_processor.LiveProcessor`
does the work. Nothing leaves the machine: the WebRTC configuration lists no STUN or TURN
server (``iceServers: []``, so neither the browser nor aiortc asks any outside service for
addresses; the connection uses this machine's own addresses) and the page is served on
127.0.0.1 unless the user binds another address.

*Start recording* keeps every frame as H.264; *Stop recording* runs the full analysis on it
(the sidebar's settings, as an upload would), makes it the current analysis (the Analyse tab
shows its report, the Compare tab can compare it) and offers its ``report.json``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import streamlit as st

from formcam.app.live_processor import LiveProcessor, LiveSnapshot
from formcam.app.processing import ThrottledProgress, guarded, run_analysis
from formcam.app.state import Entry, ResultCache, Settings, Source, Workspace, cache_key
from formcam.live.text import LABELS, rate_text
from formcam.video import file_sha256

log = logging.getLogger(__name__)

RTC_CONFIGURATION: dict[str, Any] = {"iceServers": []}
"""No STUN/TURN server: no address or media goes to any outside service."""
STALL_S = 3.0
"""A stream that sent no frame for this long is called lost."""
SLOW_FRACTION = 0.8
"""Below this fraction of the stream's rate the page says the model cannot keep up."""
PROCESSOR, RESULT = "live_processor", "live_result_key"
HELP = ("Point the camera at the runner (side view for stride, trunk and knee; rear view for the "
        "pelvis), press **Start** and allow the camera when the browser asks. The pose model (lite) runs "
        "on the newest frame and drops the others, so the overlay never falls behind; the numbers use the "
        "last 10 s and update every 2 s. Nothing leaves this machine: the stream goes only to this formcam "
        "server.")


def _processor(settings: Settings) -> LiveProcessor:
    proc = st.session_state.get(PROCESSOR)
    if not isinstance(proc, LiveProcessor) or proc.backend_name != settings.backend:
        st.session_state[PROCESSOR] = proc = LiveProcessor(backend=settings.backend)
    proc.view = None if settings.view == "auto" else settings.view
    proc.height_cm = settings.height_cm
    return proc


def render_live(settings: Settings, workspace: Workspace, cache: ResultCache) -> None:
    """The tab: the stream beside the rolling numbers, then the recording controls."""
    st.header("Live (treadmill)")
    st.markdown(HELP)
    proc = _processor(settings)
    left, right = st.columns([3, 2])
    with left:
        ctx = _streamer(proc)
        if ctx is None:
            return
        st.caption("No picture? Allow the camera for this page in the browser (the lock icon by the address) "
                   "and check that a camera is connected; the player above names the error.")
    playing = bool(ctx.state.playing)
    with right:
        _numbers_panel(proc, playing)
    _recording(proc, playing, settings, workspace, cache)


def _streamer(proc: LiveProcessor) -> Any:
    """The WebRTC player (its context), or None with a message where it cannot run."""
    try:
        from streamlit_webrtc import WebRtcMode, webrtc_streamer
    except ImportError:
        st.info("Live mode needs the streamlit-webrtc package: `pip install streamlit-webrtc`.")
        return None
    try:
        return webrtc_streamer(key="formcam-live", mode=WebRtcMode.SENDRECV,
                               rtc_configuration=RTC_CONFIGURATION,
                               media_stream_constraints={"video": True, "audio": False},
                               queued_video_frames_callback=proc.on_frames, on_video_ended=proc.on_ended,
                               async_processing=True)
    except Exception as exc:  # e.g. a page run without a Streamlit server (AppTest): no WebRTC session
        log.warning("live: the WebRTC player could not start: %r", exc)
        st.warning("The live stream cannot start in this session (see the server log); the Analyse and "
                   "Compare tabs work as usual.")
        return None


@st.fragment(run_every=2.0)
def _numbers_panel(proc: LiveProcessor, playing: bool) -> None:
    """The rolling numbers, rate and latency, and what is wrong with the stream (every 2 s)."""
    snap = proc.snapshot()
    _stream_notes(snap, playing)
    numbers = snap.numbers
    if numbers is None or numbers.reason is not None:
        why = f" ({numbers.reason})" if numbers is not None and numbers.reason else ""
        st.caption(f"Numbers: waiting for steps{why}")
    else:
        st.caption(f"{numbers.view} view, last 10 s: {numbers.n_steps} steps")
        cols = st.columns(2)
        for i, (name, value) in enumerate(numbers.values.items()):
            label, fmt, unit = LABELS[name]
            unit = unit.strip().replace("spm", "steps/min")
            shown = fmt.format(value) if value is not None else "–"
            cols[i % 2].metric(f"{label.capitalize()} ({unit})", shown)
        cue = numbers.cues[0] if numbers.cues else None
        st.markdown(f"**Cue:** {cue['message']}" if cue else "**Cue:** none raised")
    if snap.stats.taken:
        p50 = snap.stats.latency_ms(50)
        st.caption(f"{rate_text(snap.stats)}, median {p50:.0f} ms (capture to overlay on this server)")
    if snap.recording:
        st.caption(f"● recording: {snap.frames_recorded} frames")


def _stream_notes(snap: LiveSnapshot, playing: bool) -> None:
    if snap.error:
        st.warning(snap.error)
    stats = snap.stats
    if playing and snap.since_last_frame_s is None:
        st.info("Waiting for the camera… If no picture comes, allow the camera for this page and check that "
                "one is connected.")
    elif playing and snap.since_last_frame_s is not None and snap.since_last_frame_s > STALL_S:
        st.warning(f"The camera stream stopped: no frame for {snap.since_last_frame_s:.0f} s (camera "
                   "unplugged or the connection lost). A recording so far is kept: stop it to analyse it.")
    elif not playing and stats.offered:
        st.info("The stream is stopped. A recording so far is kept: stop it to analyse it.")
    if playing and stats.taken > 60 and stats.pose_fps < SLOW_FRACTION * stats.offered_fps:
        st.warning(f"The pose model keeps up with {stats.pose_fps:.0f} of {stats.offered_fps:.0f} frames/s: "
                   "frames are dropped (the newest wins). Numbers stay valid but contact timing is coarser; "
                   "try the ONNX runtime in the sidebar or a lower camera resolution.")


def _recording(proc: LiveProcessor, playing: bool, settings: Settings, workspace: Workspace,
               cache: ResultCache) -> None:
    st.subheader("Record and compare")
    row = st.container(horizontal=True)
    if proc.has_recording:
        if row.button("Stop recording and analyse", key="live_stop", type="primary"):
            _stop_and_analyse(proc, settings, workspace, cache)
    elif row.button("Start recording", key="live_start", disabled=not playing,
                    help="keeps every frame (H.264); at stop the full analysis runs on it"):
        folder = workspace.root / "live"
        folder.mkdir(parents=True, exist_ok=True)
        proc.start_recording(folder / f"live-{time.strftime('%Y%m%d-%H%M%S')}.mp4")
        st.rerun()
    _result(cache)


def _stop_and_analyse(proc: LiveProcessor, settings: Settings, workspace: Workspace,
                      cache: ResultCache) -> None:
    path = proc.stop_recording()
    if path is None:
        st.warning("Nothing was recorded (no frame arrived while recording).")
        return
    source = Source("recording", path.name, file_sha256(path), path)
    bar = st.progress(0.0, text=f"analysing {path.name}…")
    progress = ThrottledProgress(lambda fraction, text: bar.progress(fraction, text=text))
    entry, error = guarded(lambda: run_analysis(name=source.name, sha256=source.sha256, settings=settings,
                                                workspace=workspace, cache=cache, video=lambda: path,
                                                progress=progress, delete_video=False),
                           what=f"analysing {path.name}", name=path.name)
    bar.empty()
    if error is not None or entry is None:
        st.error(f"{error} The recording is kept: {path}")
        return
    ss = st.session_state
    ss["source"], ss["person_rank"], ss[RESULT] = source, None, cache_key(source.sha256, settings)
    st.rerun()


def _result(cache: ResultCache) -> None:
    key = st.session_state.get(RESULT)
    entry: Entry | None = cache.get(key) if isinstance(key, str) else None
    if entry is None:
        st.caption("Record a few steps before and after a change (a cue, the cadence, the shoes): each "
                   "recording becomes the current analysis; download its report.json to compare two of them.")
        return
    cadence = (entry.report.get("metrics") or {}).get("cadence_spm") or {}
    value = cadence.get("value")
    said = f", cadence {value:.1f} steps/min" if isinstance(value, int | float) else ""
    st.success(f"Report of the recording {entry.name} ready{said}: the Analyse tab shows it in full and the "
               "Compare tab can use it as the current analysis.")
    report = entry.files.get("report")
    if report is not None and report.is_file():
        st.download_button("Report of the recording (JSON)", data=report.read_bytes(),
                           file_name="report.json", mime="application/json", key="live_dl_report",
                           on_click="ignore")
